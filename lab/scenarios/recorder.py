"""Turn a live lab session into a scenario file, one finished turn at a time.

The recorder is told every act the session performs (`ActionPerformed`, from `Lab.perform`) and
writes it as the act's own step (`action.to_step()`): a late or duplicated delivery, a clock move,
a read, a fault, a switch of contact are written exactly as performed. It rewrites the scenario
file by atomic replace after every act, so a crash or Ctrl-C keeps every finished turn. A turn's
expectations start as the replies observed; the person edits them afterwards. The contacts are the
session's at the time of writing (those added during the recording too). The LLM cassette beside it
is written by the gateway in record mode.

    recorder = Recorder(lab, Path("scenarios/plans.yaml"), "plans")
    recorder.start()
    ...                       # chat: every `lab.perform(wa_id, action)` becomes a step
    path = recorder.stop()
"""

from __future__ import annotations

import dataclasses
import os
import re
import unicodedata
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from lab import yamlio
from lab.clock import duration_text
from lab.conversation.actions import Action, Advance, SwitchContact
from lab.conversation.events import ActionPerformed, LabEvent
from lab.conversation.model import Turn
from lab.conversation.session import LabSession
from lab.errors import ConfigError, LabError
from lab.llm.cassette import Cassette
from lab.redaction import NOTICE, Redactor, policy_for
from lab.redaction.files import redact_cassette
from lab.scenarios import replies as rp
from lab.scenarios.step_media import keep_beside
from lab.whatsapp.reply import MEDIA_KINDS, visible

NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
# A pause longer than this between two earlier turns becomes an `advance` step (the bot may
# treat a long silence differently: the 24-hour window, KV TTLs); a webhook delivered this much
# after the user wrote it is a late delivery.
GAP_SECONDS = 60


def plain_letters(text: str) -> str:
    """`text` with its accents dropped as Portuguese readers do (`orçamento` -> `orcamento`)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def scenario_slug(name: str) -> str:
    """A scenario name as a file name: accents dropped, lowercase, other runs joined by `_`
    (`Orçamento rápido` -> `orcamento_rapido`)."""
    return re.sub(r"[^a-z0-9]+", "_", plain_letters(name).lower()).strip("_")


def check_name(name: str) -> str:
    """The scenario name, or a ConfigError: a slug, so it names a file inside the scenarios folder."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ConfigError(
            f"invalid scenario name {name!r}",
            fix="use lowercase letters, digits, `_` and `-` (no `/`, no `..`, no spaces), "
            "e.g. `walab record greeting_plans`",
        )
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
        thread_of: a contact's wa_id: of the session's earlier turns only that contact's are put in
            front (the chat on show in the TUI); None puts every contact's.

    Started on a session that already has turns, the recorder puts the earlier turns still in their
    chats (a restart clears a chat) in front of the first recorded turn, and starts the scenario's
    clock at the first of them: the flow state they built (KV, a welcome sent) is rebuilt on replay.
    """

    def __init__(
        self,
        lab: LabSession,
        path: str | Path,
        name: str,
        *,
        description: str | None = None,
        llm_note: str | None = None,
        llm_source: str | None = None,
        clock_start: Any = None,
        redact: bool = True,
        header: str | None = None,
        batch: bool = False,
        thread_of: str | None = None,
    ) -> None:
        check_name(name)
        self.lab, self.path = lab, placed_path(lab, Path(path))
        if self.path != Path(path) and self.path.exists():
            # The caller checked the file it asked for; the one written is in the flow's folder.
            raise LabError(
                f"a scenario named {self.path.name} already exists",
                where=str(self.path),
                fix="choose another name, or delete or rename the existing file",
            )
        self.name = check_name(self.path.stem) if self.path.stem != name else name
        self.description = description
        self.llm_note = llm_note  # e.g. "cassette recorded against a local stub, not a real model"
        self.clock_start = (
            clock_start  # the virtual clock's start, so replays run on the same dates
        )
        self.llm_source = llm_source  # cassette (recorded by the gateway), live or scripted; None = the lab's mode
        self.steps: list[dict[str, Any]] = []
        self._contact: str | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.cassette_path = self.path.with_name(f"{self.name}.cassette.yaml")
        self._earlier: list[Turn] = []  # turns of the session before start()
        self.thread_of = thread_of  # earlier turns: this contact's only (None: every contact's)
        self._earlier_done = False
        self._started_at: float | None = None  # virtual clock at start(), seconds since the epoch
        self._turns: list[Turn] = []  # every turn in the steps, in order (for the cassette)
        self.earlier_count = 0  # how many of those were from before start()
        self._clock_fixed = clock_start is not None  # given by the caller, or set by the first step
        # personal data out of the scenario and its cassette (walab.yaml `redaction:`; --no-redact)
        self.redactor = Redactor(policy_for(lab.settings, redact=redact))
        self.header = header or (
            "# Recorded with `walab record`; expectations start as the replies observed: edit them.\n"
        )
        # Keys added to the next turn's step (an import's `fixtures:`), then forgotten.
        self.next_step: dict[str, Any] = {}
        # A batch (`walab import`) writes the files once, at stop, without fsync: it is run again
        # rather than resumed. A person's recording is on disk after every act.
        self.batch = batch

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
        if not self.batch:
            self._write()

    def stop(self) -> Path:
        """Stop listening and write the final file; returns its path."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._write()
        redact_cassette(self.cassette_path, self.redactor, durable=not self.batch)
        return self.path

    @property
    def recording(self) -> bool:
        return self._unsubscribe is not None

    def _on_event(self, event: LabEvent) -> None:
        if isinstance(event, ActionPerformed):
            self.add_action(event.contact, event.action, event.turn)

    def add_action(self, contact: str, action: Action, turn: Turn | None = None) -> None:
        """Append the step of a performed act (with its turn's observed replies) and rewrite the file."""
        if isinstance(action, SwitchContact):
            return  # written before the next act done as that contact (a switch alone does nothing)
        if turn is not None:
            self._first_step_at(turn.inbound.time)
            self._include_earlier()
            self._append(turn)
        else:
            now = self._now()
            if isinstance(action, Advance) and now is not None:
                now -= action.delta.total_seconds()  # the move happened before it was reported
            self._first_step_at(now)
            self._include_earlier()
            if action.per_contact:
                self._switch_to(contact)
            self.steps.append(self._step(action))
        if not self.batch:
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
        self._switch_to(turn.contact)
        if turn.action is None:
            raise LabError(
                f"turn {turn.index} was not made by Lab.perform, so it cannot be recorded",
                fix="perform the user's acts with lab.perform(wa_id, action)",
            )
        step = self._step(turn.action)
        step.update(self.next_step)
        self.next_step = {}
        step["expect"] = observed(turn)
        self.steps.append(step)
        self._turns.append(turn)

    def _step(self, action: Action) -> dict[str, Any]:
        """The act's step; a media file from outside the project is copied beside the scenario."""
        project_dir = self.lab.settings.project_dir
        return keep_beside(action.to_step(project_dir), self.path, project_dir)

    def _switch_to(self, contact: str) -> None:
        """A `contact:` step when the next act is another contact's than the last one (the first
        contact of the scenario speaks first)."""
        current = self._contact or self._contacts()[0]["wa_id"]
        if contact != current:
            self.steps.append({"contact": contact})
        self._contact = contact

    def _contacts(self) -> list[dict[str, str]]:
        """The session's contacts, those added while it ran too (the replay needs every one)."""
        return [{"name": c.name, "wa_id": c.wa_id} for c in self.lab.contacts]

    def _earlier_turns(self) -> list[Turn]:
        """The turns from before start() that are still in their contact's chat (a restart clears
        them), of `thread_of` only when given."""
        earlier = [t for t in self._earlier if self.thread_of in (None, t.contact)]
        phone = getattr(self.lab, "phone", None)
        if phone is None or not hasattr(phone, "sent"):
            return earlier
        on_phone: dict[str, set[str | None]] = {}
        for t in earlier:
            if t.contact not in on_phone:
                on_phone[t.contact] = {e.wamid for e in phone.sent(t.contact)}
        return [t for t in earlier if t.inbound.wamid in on_phone[t.contact]]

    def document(self) -> dict[str, Any]:
        settings = self.lab.settings
        doc: dict[str, Any] = {"version": 1, "name": self.name}
        if self.description:
            doc["description"] = self.description
        doc["flow"] = f"{settings.namespace}/{settings.flow}"
        prompt = getattr(self.lab, "active_prompt", None)
        if prompt:
            doc["prompt"] = prompt
        doc["contacts"] = self._contacts()
        clock = self.clock_start or getattr(self.lab, "clock_start", None)
        if clock is not None:
            doc["clock"] = clock.isoformat()
        doc["llm"] = self._llm()
        doc["steps"] = self.steps
        return doc

    def _llm(self) -> dict[str, Any]:
        """Where the replay's LLM answers come from: the cassette the gateway records into, or the script."""
        mode = getattr(self.lab, "llm_mode", None) or getattr(
            self.lab.settings, "llm_mode", "record"
        )
        source = self.llm_source or {"live": "live", "scripted": "scripted"}.get(mode, "cassette")
        llm: dict[str, Any] = {"source": source}
        gateway = getattr(self.lab, "gateway", None)
        script = getattr(gateway, "scripted_replies", None)
        if (
            source == "cassette"
        ):  # always the scenario's own file (`_write_cassette` copies the exchanges)
            llm["cassette"] = os.path.relpath(self.cassette_path, self.path.parent)
        elif (
            source == "scripted" and script is None
        ):  # no model at all (an empty script is a model that fails)
            llm["source"] = "none"
        elif source == "scripted":
            llm["scripted"] = list(getattr(script, "items", []) or [])
        if self.llm_note:
            llm["note"] = self.llm_note
        return llm

    def _write(self) -> None:
        header = self.header
        doc = self.document()
        if doc["llm"].get("source") == "cassette":
            self._write_cassette()
        if not self.redactor.enabled:
            header = NOTICE + header
        yamlio.write_atomic(
            self.path, header + yamlio.dumps(self.redactor.data(doc)), durable=not self.batch
        )

    def _write_cassette(self) -> None:
        """Copy the LLM exchanges of the recorded turns into `<name>.cassette.yaml` when the session's
        gateway keeps them elsewhere (the TUI's session cassette), so the scenario carries its own."""

        store = getattr(getattr(self.lab, "gateway", None), "cassettes", None)
        if (
            store is None
            or not hasattr(store, "lookup")
            or getattr(store, "record_to", None) == self.cassette_path
        ):
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
                entries.append(
                    dataclasses.replace(
                        entry, occurrence=mine.get(key, 0), source=str(self.cassette_path), wire={}
                    )
                )
                mine[key] = mine.get(key, 0) + 1
        if entries or not self.cassette_path.exists():
            Cassette(self.cassette_path, entries).save(durable=not self.batch)


def placed_path(lab: LabSession, path: Path) -> Path:
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


def _utc(when: float) -> datetime:
    return datetime.fromtimestamp(when, timezone.utc).replace(microsecond=0)


def _gap(previous: Turn, turn: Turn | None, until: float = 0.0) -> int:
    """Whole seconds between the end of one turn (its last reply) and the next turn's message (or `until`)."""
    end = max(
        [
            previous.inbound.time,
            *(s.time for s in previous.replies if getattr(s, "time", None) is not None),
        ]
    )
    return int((turn.inbound.time if turn is not None else until) - end)


def observed(turn: Turn) -> dict[str, Any]:
    """Expectations that hold for the turn as it happened (the person narrows them later)."""
    expect: dict[str, Any] = {}
    shown = [rp.show(s) for s in turn.replies if visible(s)]
    replies = []
    for view in shown:
        r: dict[str, Any] = {}
        if view["type"] in MEDIA_KINDS:
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
