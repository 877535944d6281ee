"""App-wide messages: facts about the lab session the screens react to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from lab.conversation.session import LabSession


@dataclass
class LabOpened(Message):
    """The lab session is open: the target answered and the flows are deployed."""

    lab: LabSession


@dataclass
class LabEventArrived(Message):
    """The session reported a `lab.conversation.events` event."""

    event: Any


@dataclass
class TurnCompleted(Message):
    """A turn the person started returned (its worker finished)."""

    turn: Any
    pending_key: str | None = None


@dataclass
class ActionFailed(Message):
    """An action the person started failed; the error is shown and the session goes on."""

    error: BaseException
    pending_key: str | None = None


@dataclass
class RecordingChanged(Message):
    """The recorder started (name, path) or stopped (path of the scenario written)."""

    name: str | None
    path: Any
    active: bool


@dataclass
class AutopilotEnded(Message):
    """The autopilot's persona finished, was stopped or failed (`summary` says how, in one line)."""

    summary: str
    passed: bool
