"""Turn a live lab session into a scenario file, one finished turn at a time.

The recorder listens for `TurnFinished` and rewrites the scenario file by atomic replace after
every turn, so a crash or Ctrl-C keeps every finished turn. Each turn becomes a step whose
expectations start as the replies observed; the person edits them afterwards. The LLM cassette
beside it is written by the gateway in record mode.

    recorder = Recorder(lab, Path("scenarios/plans.yaml"), "plans")
    recorder.start()
    ...                       # chat; recorder.note_advance("25h") for clock moves
    path = recorder.stop()

A message the webhook delivered late (`lab.send_text(..., delivered_after=...)`, the TUI's `/late`)
becomes `user: {text: ..., delivered_after: 25h}`, so its replay moves the clock as the recording did.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from lab import yamlio
from lab.conversation.model import Turn
from lab.errors import ConfigError, LabError
from lab.scenarios import replies as rp

NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
# A pause longer than this between two earlier turns becomes an `advance` step (the bot may
# treat a long silence differently: the 24-hour window, KV TTLs); a webhook delivered this much
# after the user wrote it is a late delivery.
GAP_SECONDS = 60


def check_name(name: str) -> str:
    """The scenario name, or a ConfigError: a slug, so it names a file inside the scenarios folder."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ConfigError(f"invalid scenario name {name!r}",
                          fix="use lowercase letters, digits, `_` and `-` (no `/`, no `..`, no spaces), "
                              "e.g. `walab record greeting_plans`")
    return name


class Recorder:
    """Records a lab session as a scenario file (`version: 1`).

    Args:
        lab: an open `Lab` (anything with `subscribe`, `settings` and `transcript`).
        path: the scenario file to write; the cassette is `<name>.cassette.yaml` beside it. A file
            directly in the project's scenarios folder goes to `scenarios/<flow_id>/` instead, where
            `walab record` writes (`recorder.path` is the file written).
        name: the scenario's name, a slug (`check_name`); the file's name is authoritative.
        description: an optional line saying what the conversation shows.

    Started on a session that already has turns, the recorder puts the earlier turns still in their
    chats (a restart clears a chat) in front of the first recorded turn, and starts the scenario's
    clock at the first of them: the flow state they built (KV, a welcome sent) is rebuilt on replay.
    """

    def __init__(self, lab: Any, path: str | Path, name: str, *, description: str | None = None,
                 llm_note: str | None = None, llm_source: str | None = None, clock_start: Any = None) -> None:
        check_name(name)
        self.lab, self.path = lab, placed_path(lab, Path(path))
        if self.path != Path(path) and self.path.exists():
            # The caller checked the file it asked for; the one written is in the flow's folder.
            raise LabError(f"a scenario named {self.path.name} already exists", where=str(self.path),
                           fix="choose another name, or delete or rename the existing file")
        self.name = check_name(self.path.stem) if self.path.stem != name else name
        self.description = description
        self.llm_note = llm_note  # e.g. "cassette recorded against a local stub, not a real model"
        self.clock_start = clock_start  # the virtual clock's start, so replays run on the same dates
        self.llm_source = llm_source  # cassette (recorded by the gateway), live or scripted; None = the lab's mode
        self.steps: list[dict[str, Any]] = []
        self._contact: str | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.cassette_path = self.path.with_name(f"{self.name}.cassette.yaml")
        self._earlier: list[Turn] = []  # turns of the session before start()
        self._earlier_done = False
        self._started_at: float | None = None  # virtual clock at start(), seconds since the epoch
        self._turns: list[Turn] = []  # every turn in the steps, in order (for the cassette)
        self.earlier_count = 0  # how many of those were from before start()
        self._clock_fixed = clock_start is not None  # given by the caller, or set by the first step
        self._late: dict[int, float] = {}  # id(inbound) -> seconds between writing and delivery

    @property
    def turns(self) -> int:
        """How many turns the file holds (earlier ones included)."""
        return len(self._turns)

    def start(self) -> None:
        """Start listening; writes the (empty) scenario header at once."""
        self._started_at = self._now()
        if self.clock_start is None and self._started_at is not None:
            # Until the first step says when the conversation starts (`_first_step_at`).
            self.clock_start = _utc(self._started_at)
        transcript = getattr(self.lab, "transcript", None)
        self._earlier = list(getattr(transcript, "turns", None) or [])
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
        """Record a move of the virtual clock (`25h`, as typed), which is not a turn; called after the move."""
        from lab.clock import parse_duration

        now = self._now()
        self.note_step({"advance": duration}, None if now is None else now - parse_duration(str(duration)).total_seconds())

    def note_step(self, step: dict[str, Any], at: float | None = None) -> None:
        """Record any other non-turn step (`{read: true}`, `{wait: {status: read}}`) that happened `at` (now)."""
        self._first_step_at(self._now() if at is None else at)
        self._include_earlier()
        self.steps.append(step)
        self._write()

    def _on_event(self, event: Any) -> None:
        from lab.conversation.events import TurnFinished, TurnStarted

        if isinstance(event, TurnStarted):
            # Posted now, written at inbound.time: a late delivery moved the clock in between.
            now = self._now()
            if now is not None:
                self._late[id(event.inbound)] = now - event.inbound.time
        elif isinstance(event, TurnFinished):
            self.add_turn(event.turn)

    def add_turn(self, turn: Turn) -> None:
        """Append the step for a finished turn and rewrite the file (atomic replace)."""
        self._first_step_at(turn.inbound.time)
        self._include_earlier()
        self._append(turn)
        self._write()

    def _now(self) -> float | None:
        """The lab's virtual clock, seconds since the epoch (None on a lab without one)."""
        clock = getattr(self.lab, "clock", None)
        return clock.now().timestamp() if clock is not None and hasattr(clock, "now") else None

    def _first_step_at(self, when: float | None) -> None:
        """The scenario's clock starts at its first step (not when recording started), unless given."""
        if not self._clock_fixed and when is not None:
            self.clock_start = _utc(when)
        self._clock_fixed = True

    def _include_earlier(self) -> None:
        """Before the first recorded step: the session's earlier turns, once."""
        if self._earlier_done:
            return
        self._earlier_done = True
        earlier = self._earlier_turns()
        if earlier:
            # The replay starts where the conversation started, not where the recording did.
            self.clock_start = _utc(earlier[0].inbound.time)
        previous = None
        for old in earlier:
            if previous is not None and (gap := _gap(previous, old)) >= GAP_SECONDS:
                self.steps.append({"advance": duration_text(gap)})
            self._append(old)
            previous = old
        self.earlier_count = len(earlier)
        if previous is not None and self._started_at is not None:
            if (gap := _gap(previous, None, self._started_at)) >= GAP_SECONDS:
                self.steps.append({"advance": duration_text(gap)})

    def _append(self, turn: Turn) -> None:
        if self._contact is not None and turn.contact != self._contact:
            self.steps.append({"contact": turn.contact})
        self._contact = turn.contact
        step = step_of(turn, self.lab.settings.project_dir, late=self._late_by(turn))
        step["expect"] = observed(turn)
        self.steps.append(step)
        self._turns.append(turn)

    def _late_by(self, turn: Turn) -> float:
        """Seconds between the user writing the turn's message and the webhook's delivery.

        Seen at `TurnStarted` for the turns recorded; for earlier turns, the embedded engine's
        execution start (on the lab's clock; a real Kestra's dates follow its own clock)."""
        late = self._late.pop(id(turn.inbound), None)
        if late is None and getattr(self.lab, "engine", None) is not None and turn.executions:
            start = turn.executions[0].start
            late = None if start is None else start - turn.inbound.time
        return late or 0.0

    def _earlier_turns(self) -> list[Turn]:
        """The turns from before start() that are still in their contact's chat (a restart clears them)."""
        phone = getattr(self.lab, "phone", None)
        if phone is None or not hasattr(phone, "sent"):
            return list(self._earlier)
        on_phone: dict[str, set[str | None]] = {}
        for t in self._earlier:
            if t.contact not in on_phone:
                on_phone[t.contact] = {e.wamid for e in phone.sent(t.contact)}
        return [t for t in self._earlier if t.inbound.wamid in on_phone[t.contact]]

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
        mode = getattr(self.lab, "llm_mode", None) or getattr(self.lab.settings, "llm_mode", "record")
        source = self.llm_source or {"live": "live", "scripted": "scripted"}.get(mode, "cassette")
        llm: dict[str, Any] = {"source": source}
        gateway = getattr(self.lab, "gateway", None)
        script = getattr(gateway, "_script", None)
        if source == "cassette":  # always the scenario's own file (`_write_cassette` copies the exchanges)
            llm["cassette"] = os.path.relpath(self.cassette_path, self.path.parent)
        elif source == "scripted" and script is None:  # no model at all (an empty script is a model that fails)
            llm["source"] = "none"
        elif source == "scripted":
            llm["scripted"] = list(getattr(script, "items", []) or [])
        if self.llm_note:
            llm["note"] = self.llm_note
        return llm

    def _write(self) -> None:
        header = "# Recorded with `walab record`; expectations start as the replies observed: edit them.\n"
        doc = self.document()
        if doc["llm"].get("source") == "cassette":
            self._write_cassette()
        yamlio.write_atomic(self.path, header + yamlio.dumps(doc))

    def _write_cassette(self) -> None:
        """Copy the LLM exchanges of the recorded turns into `<name>.cassette.yaml` when the session's
        gateway keeps them elsewhere (the TUI's session cassette), so the scenario carries its own."""
        import dataclasses

        from lab.llm.cassette import Cassette
        store = getattr(getattr(self.lab, "gateway", None), "cassettes", None)
        if store is None or not hasattr(store, "lookup") or getattr(store, "record_to", None) == self.cassette_path:
            return
        seen: dict[str, int] = {}  # occurrences in the whole session, as the gateway counted them
        position = {id(t): i for i, t in enumerate(getattr(self.lab.transcript, "turns", []))}
        session_occurrence: dict[tuple[int, int], int] = {}
        for turn in sorted(getattr(self.lab.transcript, "turns", []), key=lambda t: t.index):
            for j, call in enumerate(turn.llm_calls):
                if call.cassette_key:
                    session_occurrence[(id(turn), j)] = seen.get(call.cassette_key, 0)
                    seen[call.cassette_key] = seen.get(call.cassette_key, 0) + 1
        entries, mine = [], {}  # occurrences within the scenario, as the replay will count them
        for turn in self._turns:
            for j, call in enumerate(turn.llm_calls):
                key = call.cassette_key
                if not key or id(turn) not in position:
                    continue
                entry = store.lookup(key, session_occurrence.get((id(turn), j), 0))
                if entry is None:
                    continue
                entries.append(dataclasses.replace(entry, occurrence=mine.get(key, 0), source=str(self.cassette_path),
                                                   wire={}))
                mine[key] = mine.get(key, 0) + 1
        if entries or not self.cassette_path.exists():
            Cassette(self.cassette_path, entries).save()


def placed_path(lab: Any, path: Path) -> Path:
    """Where the recorder writes a scenario file asked for at `path`: a file given directly in the
    project's scenarios folder goes to its flow's folder (`scenarios/<flow_id>/NAME.yaml`); any other
    path is kept as given, as is every path on a lab without a scenarios folder or flow."""
    settings = getattr(lab, "settings", None)
    folder = getattr(settings, "scenarios_dir", None)
    flow = getattr(lab, "flow_id", None) or getattr(settings, "flow", None)
    if folder is None or not flow:
        return path
    try:
        same = path.parent.resolve() == Path(folder).resolve()
    except OSError:
        return path
    return Path(folder) / str(flow) / path.name if same else path


def duration_text(seconds: float) -> str:
    """A clock move as a person writes it: `25h`, `1h30m`, `45s`. Seconds are dropped from a move of
    an hour or more: in the TUI the virtual clock follows the wall clock, so the seconds a person took
    to type (9 s after `/advance 25h`) are part of a measured gap and mean nothing to the flow."""
    total = int(seconds) // 60 * 60 if seconds >= 3600 else int(seconds)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return "".join(f"{n}{unit}" for n, unit in ((h, "h"), (m, "m"), (s, "s")) if n) or "0s"


def _utc(when: float) -> datetime:
    return datetime.fromtimestamp(when, timezone.utc).replace(microsecond=0)


def _gap(previous: Turn, turn: Turn | None, until: float = 0.0) -> int:
    """Whole seconds between the end of one turn (its last reply) and the next turn's message (or `until`)."""
    end = max([previous.inbound.time, *(s.time for s in previous.replies if getattr(s, "time", None) is not None)])
    return int((turn.inbound.time if turn is not None else until) - end)


def step_of(turn: Turn, project_dir: Path | None = None, *, late: float = 0.0) -> dict[str, Any]:
    """The scenario step that reproduces a turn's inbound event (`late`: seconds its webhook was
    delivered after the user wrote it; a minute or more is written as `delivered_after`)."""
    ev = turn.inbound
    msg = _message(ev.payload)
    kind = msg.get("type", ev.kind)
    context = (msg.get("context") or {}).get("id")
    if kind == "text":
        if context:
            return {"reply_to": {"text": msg["text"]["body"], "to": context}}
        text = (msg.get("text") or {}).get("body", ev.summary)
        return {"user": {"text": text, "delivered_after": duration_text(late)} if late >= GAP_SECONDS else text}
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
        step: dict[str, Any] = {"kind": kind, "path": _media_path(getattr(ev, "source_path", None), project_dir)
                                or media.get("filename") or ev.summary}
        if media.get("caption"):
            step["caption"] = media["caption"]
        return {"media": step}
    return {"user": ev.summary}


def _media_path(source: str | None, project_dir: Path | None) -> str | None:
    """The file a media message was sent from, relative to the project when inside it (as the player
    reads `media.path`), else absolute; None when the event does not say (built by a test double)."""
    if not source:
        return None
    path, project = Path(source).resolve(), Path(project_dir or "/").resolve()
    return path.relative_to(project).as_posix() if project_dir and path.is_relative_to(project) else str(path)


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
