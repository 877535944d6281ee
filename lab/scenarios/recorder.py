"""Turn a live lab session into a scenario file, one finished turn at a time.

The recorder listens for `TurnFinished` and rewrites the scenario file by atomic replace after
every turn, so a crash or Ctrl-C keeps every finished turn. Each turn becomes a step whose
expectations start as the replies observed; the person edits them afterwards. The LLM cassette
beside it is written by the gateway in record mode.

    recorder = Recorder(lab, Path("scenarios/plans.yaml"), "plans")
    recorder.start()
    ...                       # chat; recorder.note_advance("25h") for clock moves
    path = recorder.stop()
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from lab import yamlio
from lab.conversation.model import Turn
from lab.scenarios import replies as rp


class Recorder:
    """Records a lab session as a scenario file (`version: 1`).

    Args:
        lab: an open `Lab` (anything with `subscribe`, `settings` and `transcript`).
        path: the scenario file to write; the cassette is `<name>.cassette.yaml` beside it.
        name: the scenario's name.
        description: an optional line saying what the conversation shows.
    """

    def __init__(self, lab: Any, path: str | Path, name: str, *, description: str | None = None,
                 llm_note: str | None = None, llm_source: str | None = None, clock_start: Any = None) -> None:
        self.lab, self.path, self.name = lab, Path(path), name
        self.description = description
        self.llm_note = llm_note  # e.g. "cassette recorded against a local stub, not a real model"
        self.clock_start = clock_start  # the virtual clock's start, so replays run on the same dates
        self.llm_source = llm_source  # cassette (recorded by the gateway), live or scripted; None = the lab's mode
        self.steps: list[dict[str, Any]] = []
        self._contact: str | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.cassette_path = self.path.with_name(f"{name}.cassette.yaml")

    def start(self) -> None:
        """Start listening; writes the (empty) scenario header at once."""
        clock = getattr(self.lab, "clock", None)
        if self.clock_start is None and clock is not None and hasattr(clock, "now"):
            # A replay starts its virtual clock where this recording started.
            self.clock_start = clock.now().replace(microsecond=0)
        self._unsubscribe = self.lab.subscribe(self._on_event)
        self._write()

    def stop(self) -> Path:
        """Stop listening and write the final file; returns its path."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._write()
        return self.path

    @property
    def recording(self) -> bool:
        return self._unsubscribe is not None

    def note_advance(self, duration: str) -> None:
        """Record a move of the virtual clock (`25h`), which is not a turn."""
        self.steps.append({"advance": duration})
        self._write()

    def note_step(self, step: dict[str, Any]) -> None:
        """Record any other non-turn step (`{read: true}`, `{wait: {status: read}}`)."""
        self.steps.append(step)
        self._write()

    def _on_event(self, event: Any) -> None:
        from lab.conversation.events import TurnFinished

        if isinstance(event, TurnFinished):
            self.add_turn(event.turn)

    def add_turn(self, turn: Turn) -> None:
        """Append the step for a finished turn and rewrite the file (atomic replace)."""
        if self._contact is not None and turn.contact != self._contact:
            self.steps.append({"contact": turn.contact})
        self._contact = turn.contact
        step = step_of(turn, self.lab.settings.project_dir)
        step["expect"] = observed(turn)
        self.steps.append(step)
        self._write()

    def document(self) -> dict[str, Any]:
        settings = self.lab.settings
        doc: dict[str, Any] = {"version": 1, "name": self.name}
        if self.description:
            doc["description"] = self.description
        doc["flow"] = f"{settings.namespace}/{settings.flow}"
        prompt = getattr(self.lab, "prompt_id", None)
        if prompt:
            doc["prompt"] = prompt
        doc["contacts"] = [{"name": c.name, "wa_id": c.wa_id} for c in settings.contacts]
        clock = self.clock_start or getattr(self.lab, "clock_start", None)
        if clock is not None:
            doc["clock"] = clock.isoformat()
        doc["llm"] = self._llm()
        doc["steps"] = self.steps
        return doc

    def _llm(self) -> dict[str, Any]:
        """Where the replay's LLM answers come from: the cassette the gateway records into, or the script."""
        import os

        mode = getattr(self.lab, "llm_mode", None) or getattr(self.lab.settings, "llm_mode", "record")
        source = self.llm_source or {"live": "live", "scripted": "scripted"}.get(mode, "cassette")
        llm: dict[str, Any] = {"source": source}
        gateway = getattr(self.lab, "gateway", None)
        if source == "cassette":
            store = getattr(gateway, "cassettes", None)
            target = getattr(store, "record_to", None) if store is not None else None
            cassette = Path(target) if target else self.cassette_path
            llm["cassette"] = os.path.relpath(cassette, self.path.parent)
        elif source == "scripted":
            script = getattr(gateway, "_script", None)
            llm["scripted"] = list(getattr(script, "items", []) or [])
        if self.llm_note:
            llm["note"] = self.llm_note
        return llm

    def _write(self) -> None:
        header = "# Recorded with `walab record`; expectations start as the replies observed: edit them.\n"
        yamlio.write_atomic(self.path, header + yamlio.dumps(self.document()))


def step_of(turn: Turn, project_dir: Path | None = None) -> dict[str, Any]:
    """The scenario step that reproduces a turn's inbound event."""
    ev = turn.inbound
    msg = _message(ev.payload)
    kind = msg.get("type", ev.kind)
    context = (msg.get("context") or {}).get("id")
    if kind == "text":
        if context:
            return {"reply_to": {"text": msg["text"]["body"], "to": context}}
        return {"user": (msg.get("text") or {}).get("body", ev.summary)}
    if kind == "interactive":
        inter = msg.get("interactive") or {}
        reply = inter.get("button_reply") or inter.get("list_reply") or {}
        return {"tap": reply.get("title", ev.summary)}
    if kind == "button":
        return {"tap": (msg.get("button") or {}).get("text", ev.summary)}
    if kind == "location":
        loc = msg.get("location") or {}
        return {"location": {"lat": loc.get("latitude"), "lon": loc.get("longitude"),
                             **{k: loc[k] for k in ("name", "address") if loc.get(k)}}}
    if kind == "reaction":
        return {"react": (msg.get("reaction") or {}).get("emoji", ev.summary)}
    if kind == "contacts":
        return {"contacts": [{"name": (c.get("name") or {}).get("formatted_name", ""),
                              "phone": ((c.get("phones") or [{}])[0]).get("phone", "")}
                             for c in msg.get("contacts") or []]}
    if kind in rp.MEDIA:
        media = msg.get(kind) or {}
        step: dict[str, Any] = {"kind": kind, "path": getattr(ev, "source_path", None) or media.get("filename")
                                or ev.summary}
        if media.get("caption"):
            step["caption"] = media["caption"]
        return {"media": step}
    return {"user": ev.summary}


def _message(payload: dict[str, Any]) -> dict[str, Any]:
    try:
        return payload["entry"][0]["changes"][0]["value"]["messages"][0]
    except (KeyError, IndexError, TypeError):
        return {}


def observed(turn: Turn) -> dict[str, Any]:
    """Expectations that hold for the turn as it happened (the person narrows them later)."""
    expect: dict[str, Any] = {}
    shown = [rp.show(s) for s in turn.replies if rp.is_message(s)]
    replies = []
    for view in shown:
        r: dict[str, Any] = {}
        if view["type"] in rp.MEDIA:
            r["media"] = view["type"]
        if "text" in view and view["text"]:
            r["text"] = view["text"]
        if "buttons" in view:
            r["buttons"] = view["buttons"]
        if "sections" in view:
            r["rows"] = rp.row_titles(view)
        if "template" in view:
            r["template"] = {"name": view["template"]["name"], "params": view["template"]["params"]}
        replies.append(r or {"type": view["type"]})
    if replies:
        expect["replies"] = replies
    else:
        expect["no_reply"] = True
    if turn.executions:
        expect["state"] = turn.state
    rejected = [s.verdict.code for s in turn.replies if not s.verdict.ok]
    if rejected:
        expect["violation"] = rejected[0]
    return expect
