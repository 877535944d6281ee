"""What front ends drive of a lab session: the `LabSession` protocol.

`lab.conversation.lab.Lab` is the session; the TUI, `walab record`, `walab send`, the scenario
player, the recorder and the prompt lab are written against this protocol, so the contract between
a front end and the core is visible in one place, and a test double (tests/fake_lab.py) is checked
against it (`tests/conversation/test_session_protocol.py`). Acts go in through `perform` (the
`lab.conversation.actions` vocabulary); what happens comes out through `subscribe` (the
`lab.conversation.events`) and the `transcript`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Protocol, runtime_checkable

if TYPE_CHECKING:
    from lab.clock import VirtualClock
    from lab.config import Contact, Settings
    from lab.conversation.actions import Action
    from lab.conversation.events import LabEvent
    from lab.conversation.model import ThreadItem, Transcript, Turn


@runtime_checkable
class LabSession(Protocol):
    """The part of `Lab` front ends use (see lab/conversation/lab.py for what each does)."""

    transcript: "Transcript"
    settings: "Settings"
    clock: "VirtualClock"

    @property
    def contacts(self) -> list["Contact"]: ...

    async def perform(self, wa_id: str, action: "Action") -> "Turn | None": ...

    def subscribe(self, callback: Callable[["LabEvent"], None]) -> Callable[[], None]: ...

    def thread(self, wa_id: str) -> list["ThreadItem"]: ...

    def describe_target(self) -> str: ...

    def add_contact(self, name: str, wa_id: str | None = None) -> "Contact": ...

    async def restart(self, wa_id: str, new_user: bool = False) -> None: ...

    async def apply_prompt(self, prompt_id: str) -> Any: ...
