"""Turns and transcripts: what one inbound event caused, and a conversation of them.

Shared by the conversation engine (which builds them), the TUI (which renders them), the
scenario player and the snapshot serialiser. Plain dataclasses, no Textual.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from lab.conversation.actions import Action
from lab.conversation.render import send_text
from lab.llm.model import LLMCall
from lab.whatsapp.model import CapturedSend
from lab.whatsapp.reply import visible


@dataclass(slots=True)
class InboundEvent:
    """What the simulated user did, as the webhook Meta would post for it."""

    wa_id: str
    kind: str  # text, button, list, image, audio, location, contacts, reaction, status, ...
    summary: str  # how the user's bubble reads ("Quero saber o preço", "[image] conta.jpg")
    payload: dict[str, Any]  # the webhook body as a dict
    body: bytes  # the exact signed bytes posted
    wamid: str | None
    time: float  # virtual clock
    signature: str = ""  # the X-Hub-Signature-256 header value (not a secret: an HMAC)
    source_path: str | None = (
        None  # media: the file it was sent from (a recorded scenario replays it)
    )
    audio_seconds: float | None = None  # a voice note's duration (the bubble's player line)


@dataclass(slots=True)
class TaskRunView:
    """One task run of an execution, as the timeline shows it."""

    id: str
    task_id: str
    type: str | None
    state: str
    start: float | None  # seconds since the epoch (wall clock of the target)
    end: float | None
    attempts: int = 1
    parent_task_run_id: str | None = None
    value: str | None = None  # iteration value for ForEach/Loop children
    outputs: dict[str, Any] | None = None
    stood_in: bool = False  # a task fixture stood in for the task (it did not run)

    @property
    def duration_ms(self) -> float | None:
        return None if self.start is None or self.end is None else (self.end - self.start) * 1000.0


@dataclass(slots=True)
class LogLine:
    """One log entry of an execution."""

    timestamp: float
    level: str
    message: str
    task_id: str | None = None
    execution_id: str | None = None


@dataclass(slots=True)
class ExecutionView:
    """An execution the turn started (or a subflow of it)."""

    id: str
    namespace: str
    flow_id: str
    state: str
    task_runs: list[TaskRunView] = field(default_factory=list)
    outputs: dict[str, Any] | None = None
    start: float | None = None
    end: float | None = None
    parent_id: str | None = None  # for subflow executions
    raw: dict[str, Any] | None = None  # the target's execution JSON, as it answered

    @property
    def duration_ms(self) -> float | None:
        return None if self.start is None or self.end is None else (self.end - self.start) * 1000.0


@dataclass(slots=True)
class Timings:
    """Milliseconds from posting the webhook."""

    webhook_ack_ms: float | None = None
    first_reply_ms: float | None = None
    terminal_ms: float | None = None


@dataclass(slots=True)
class Turn:
    """One inbound event and everything it caused."""

    index: int
    contact: str  # wa_id
    inbound: InboundEvent
    executions: list[ExecutionView] = field(default_factory=list)
    replies: list[CapturedSend] = field(default_factory=list)
    llm_calls: list[LLMCall] = field(default_factory=list)
    logs: list[LogLine] = field(default_factory=list)
    timings: Timings = field(default_factory=Timings)
    verdict: str = "ok"  # ok | timeout | error
    error: str | None = None  # a readable reason when verdict != ok
    action: Action | None = None  # the user's act that caused it (set by `Lab.perform`)

    @property
    def state(self) -> str:
        """The state of the turn's main execution (or the verdict when there is none)."""
        return self.executions[0].state if self.executions else self.verdict

    @property
    def input_tokens(self) -> int:
        return sum(c.input_tokens for c in self.llm_calls)

    @property
    def output_tokens(self) -> int:
        return sum(c.output_tokens for c in self.llm_calls)

    @property
    def cost_usd(self) -> float | None:
        """Total cost, None if any call's price is unknown."""
        costs = [c.cost_usd for c in self.llm_calls]
        return None if any(c is None for c in costs) else sum(costs)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["inbound"].pop("body", None)
        d["inbound"]["body_text"] = self.inbound.body.decode("ascii", "replace")
        return d


@dataclass(slots=True)
class Transcript:
    """The turns of one conversation session (possibly several contacts)."""

    flow: str  # namespace.flow_id
    target: str  # "embedded" or the Kestra URL
    llm_mode: str
    turns: list[Turn] = field(default_factory=list)

    def for_contact(self, wa_id: str) -> list[Turn]:
        return [t for t in self.turns if t.contact == wa_id]

    def last_business_wamid(self, wa_id: str) -> str | None:
        """The last message the business sent the contact (what a reaction or a reply quotes),
        None before the first: read marks and typing indicators are not messages."""
        for turn in reversed(self.turns):
            if turn.contact != wa_id:
                continue
            for send in reversed(turn.replies):
                if send.wamid and visible(send):
                    return send.wamid
        return None


@dataclass(slots=True)
class ThreadItem:
    """One bubble of a contact's chat: what the user did, or what the business sent."""

    side: str  # "user" or "business"
    time: float  # virtual clock
    inbound: InboundEvent | None = None  # side == "user"
    send: CapturedSend | None = None  # side == "business"
    turn_index: int | None = None

    @property
    def text(self) -> str:
        """The bubble's text as WhatsApp shows it."""
        if self.inbound is not None:
            return self.inbound.summary

        return send_text(self.send) if self.send is not None else ""


def thread_of(transcript: Transcript, wa_id: str) -> list[ThreadItem]:
    """A contact's chat from its turns alone: each message, then what the business sent in its turn
    (a session that also holds sends outside turns orders them itself: `Lab.thread`)."""
    items: list[ThreadItem] = []
    for turn in transcript.for_contact(wa_id):
        items.append(
            ThreadItem("user", turn.inbound.time, inbound=turn.inbound, turn_index=turn.index)
        )
        items += [
            ThreadItem("business", s.time, send=s, turn_index=turn.index) for s in turn.replies
        ]
    return items
