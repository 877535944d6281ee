"""What a lab session reports while it runs, as plain dataclasses named as facts.

Delivered through `Lab.subscribe(callback)`: callbacks are synchronous and must be cheap (the TUI
posts a message to itself; tests append to a list). A callback that raises is dropped from the
session's reporting, never from the turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Union

if TYPE_CHECKING:
    from lab.conversation.actions import Action
    from lab.conversation.model import ExecutionView, InboundEvent, LogLine, Turn
    from lab.llm.model import LLMCall
    from lab.whatsapp.model import CapturedSend


@dataclass(slots=True)
class TurnStarted:
    """The user did something; the webhook is about to be posted."""

    index: int
    contact: str
    inbound: "InboundEvent"


@dataclass(slots=True)
class ExecutionUpdated:
    """An execution of the turn changed state (or gained task runs)."""

    turn_index: int
    execution: "ExecutionView"


@dataclass(slots=True)
class LogReceived:
    """A log line of one of the turn's executions."""

    turn_index: int
    line: "LogLine"


@dataclass(slots=True)
class ReplyCaptured:
    """The bot sent something to a contact (captured by the fake Graph API)."""

    contact: str
    send: "CapturedSend"
    turn_index: int | None = None  # None when no turn is in flight for that contact


@dataclass(slots=True)
class StatusChanged:
    """A captured message changed delivery state (sent, delivered, read, failed)."""

    contact: str
    wamid: str
    status: str
    error: dict[str, Any] | None = None


@dataclass(slots=True)
class LLMCallMetered:
    """The gateway answered one LLM call of an execution."""

    call: "LLMCall"
    turn_index: int | None = None


@dataclass(slots=True)
class TurnFinished:
    """The turn is complete: executions terminal and no reply pending (or it timed out)."""

    turn: "Turn"


@dataclass(slots=True)
class ActionPerformed:
    """The user's act is done (`Lab.perform`): what a recorder writes. `turn` is the Turn it caused
    (None for a clock move, a read, a switch of contact, a fault)."""

    contact: str
    action: "Action"
    turn: "Turn | None" = None


@dataclass(slots=True)
class LabErrorRaised:
    """Something went wrong outside a turn's verdict (deploy, server, a callback)."""

    what: str
    where: str | None = None
    fix: str | None = None


LabEvent = Union[
    TurnStarted,
    ExecutionUpdated,
    LogReceived,
    ReplyCaptured,
    StatusChanged,
    LLMCallMetered,
    TurnFinished,
    ActionPerformed,
    LabErrorRaised,
]
Listener = Callable[[LabEvent], None]


class EventBus:
    """Fan-out of lab events to subscribers; a failing subscriber is dropped, the lab goes on."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, callback: Listener) -> Callable[[], None]:
        """Add a listener; returns a function that removes it."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def emit(self, event: LabEvent) -> None:
        for cb in list(self._listeners):
            try:
                cb(event)
            except Exception:  # noqa: BLE001 - a broken view must not break the session
                self._listeners.remove(cb)

    def __bool__(self) -> bool:
        return bool(self._listeners)
