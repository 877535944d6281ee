"""What the fake Graph API captured: the business side of each contact's thread.

Shared by the sandbox (which fills it), the conversation engine, the TUI and the snapshots.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(slots=True)
class Verdict:
    """Meta's verdict on a send: ok, or the error Meta would return (code, title, message)."""

    ok: bool
    code: int | None = None
    title: str | None = None
    message: str | None = None
    http_status: int = 200
    asynchronous: bool = (
        False  # True when Meta accepts the send and fails it later by a status (131047)
    )

    def label(self) -> str:
        """One line for a bubble flag: `131047 Re-engagement message`."""
        return "ok" if self.ok else f"{self.code} {self.title or self.message}"


@dataclass(slots=True)
class StatusEvent:
    """One status of an outbound message: sent, delivered, read, played or failed."""

    status: str
    timestamp: float
    error: dict[str, Any] | None = None


@dataclass(slots=True)
class CapturedSend:
    """One request the bot made to send something to a contact.

    `payload` is the request body as the bot sent it (no headers: the bearer token never
    lands here); `response` is what the sandbox answered.
    """

    seq: int  # order of capture in the sandbox, across all contacts
    wamid: str | None  # None when the send was rejected synchronously
    to: str  # the contact's wa_id
    phone_number_id: str
    type: str  # text, template, interactive, image, reaction, read, typing, notification...
    payload: dict[str, Any]
    verdict: Verdict
    response: dict[str, Any]
    time: float  # virtual clock, seconds since the epoch
    via: str = (
        "graph"  # "graph" (Cloud API send) or "notification" (Kestra WhatsApp notification task)
    )
    pricing_category: str | None = None  # service, utility, marketing, authentication
    billable: bool | None = None
    statuses: list[StatusEvent] = field(default_factory=list)
    # An audio sent by its uploaded media id: its duration, read from the OGG/Opus bytes (None for
    # a link, or bytes that are not OGG/Opus).
    audio_seconds: float | None = None

    @property
    def state(self) -> str:
        """The latest delivery state: failed, read, delivered, sent, or rejected."""
        if not self.verdict.ok and not self.verdict.asynchronous:
            return "rejected"
        return self.statuses[-1].status if self.statuses else "accepted"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
