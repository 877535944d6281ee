"""The inbound webhooks of production executions, as the user's acts, grouped into conversations.

A WhatsApp webhook an execution received (`trigger.variables.body`) holds one user message: it
becomes the act that produces the same message (`lab.conversation.actions`). A redelivery (the
same message id again) is the act's `duplicates`; a message delivered long after the user wrote it
is a late delivery. Status callbacks (sent, delivered, read) are the sandbox's to make, not the
user's, and messages whose content Kestra does not keep (media, voice notes) cannot be replayed:
both are counted, not imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from lab.conversation.actions import (
    Action,
    ContactCard,
    React,
    ReplyTo,
    SendContacts,
    SendLocation,
    SendText,
    Tap,
)
from lab.kestra.shapes import Execution

# A message delivered this much after the user wrote it was delivered late (`delivered_after`),
# as the recorder reads pauses (lab.scenarios.recorder.GAP_SECONDS).
LATE_SECONDS = 60


@dataclass(slots=True)
class Inbound:
    """One user message a production execution received."""

    execution: Execution
    wa_id: str
    name: str
    wamid: str
    written: datetime  # when the user wrote it (the message's timestamp)
    received: datetime  # when the execution started (the webhook's delivery)
    action: Action | None  # None: not replayable (see `skipped`)
    skipped: str | None = None  # why it is not imported
    duplicates: int = 0  # later deliveries of the same message

    def act(self) -> Action | None:
        """The act, with its redeliveries and a late delivery written on it (texts carry both)."""
        late = (self.received - self.written).total_seconds()
        if isinstance(self.action, SendText) and (self.duplicates or late >= LATE_SECONDS):
            return SendText(
                self.action.text,
                delivered_after=timedelta(seconds=int(late)) if late >= LATE_SECONDS else None,
                duplicates=self.duplicates,
            )
        return self.action


@dataclass(slots=True)
class Conversation:
    """The messages of one contact with no pause longer than the import's gap."""

    wa_id: str
    name: str
    messages: list[Inbound] = field(default_factory=list)

    @property
    def start(self) -> datetime:
        return self.messages[0].written


@dataclass(slots=True)
class Grouped:
    """Every conversation found, and what was left out (with why)."""

    conversations: list[Conversation]
    statuses: int = 0  # executions without a user message (status callbacks, other triggers)
    other: list[str] = field(default_factory=list)  # "execution ID: why", not imported


def inbound_of(execution: Execution) -> Inbound | None:
    """The user message the execution's webhook carried (None for a status callback or no webhook)."""
    body = ((execution.trigger or {}).get("variables") or {}).get("body")
    value = _value(body)
    messages = value.get("messages") if value else None
    if not messages or not isinstance(messages[0], dict):
        return None
    msg = messages[0]
    profile = next(
        (c for c in value.get("contacts") or [] if c.get("wa_id") == msg.get("from")),
        (value.get("contacts") or [{}])[0],
    )
    written = _epoch(msg.get("timestamp")) or _start(execution)
    received = _start(execution) or written
    action, why = act_of(msg)
    return Inbound(
        execution,
        str(msg.get("from") or profile.get("wa_id") or ""),
        str((profile.get("profile") or {}).get("name") or ""),
        str(msg.get("id") or ""),
        written or datetime.fromtimestamp(0, timezone.utc),
        received or datetime.fromtimestamp(0, timezone.utc),
        action,
        why,
    )


def act_of(msg: dict[str, Any]) -> tuple[Action | None, str | None]:
    """The act that makes this message, or (None, why it cannot be replayed)."""
    kind = msg.get("type")
    quoted = (msg.get("context") or {}).get("id")
    if kind == "text":
        text = str((msg.get("text") or {}).get("body") or "")
        return (ReplyTo(text) if quoted else SendText(text)), None
    if kind == "interactive":
        inner = msg.get("interactive") or {}
        chosen = inner.get(inner.get("type") or "") or {}
        if chosen.get("title"):
            return Tap(str(chosen["title"])), None
    if kind == "button" and (msg.get("button") or {}).get("text"):
        return Tap(str(msg["button"]["text"])), None
    if kind == "location":
        loc = msg.get("location") or {}
        return SendLocation(
            float(loc.get("latitude", 0)),
            float(loc.get("longitude", 0)),
            loc.get("name"),
            loc.get("address"),
        ), None
    if kind == "contacts":
        cards = tuple(
            ContactCard(
                str((c.get("name") or {}).get("formatted_name") or ""),
                next((p.get("phone") for p in c.get("phones") or [] if p.get("phone")), None),
            )
            for c in msg.get("contacts") or []
        )
        return SendContacts(cards), None
    if kind == "reaction":
        return React((msg.get("reaction") or {}).get("emoji") or None), None
    if kind in ("image", "audio", "video", "document", "sticker", "voice"):
        return None, f"a {kind} message: Kestra keeps its media id, not its content"
    return None, f"a {kind!r} message has no user act to replay it"


def group(executions: list[Execution], gap: timedelta) -> Grouped:
    """Executions -> conversations: per contact, split where the contact was silent longer than `gap`,
    in the order the users wrote; a message delivered again is a duplicate of the first delivery."""
    found: Grouped = Grouped([])
    by_wamid: dict[str, Inbound] = {}
    messages: list[Inbound] = []
    for execution in sorted(executions, key=lambda e: _start(e) or _EPOCH):
        inbound = inbound_of(execution)
        if inbound is None:
            found.statuses += 1
            continue
        if inbound.wamid and inbound.wamid in by_wamid:
            by_wamid[inbound.wamid].duplicates += 1
            continue
        by_wamid[inbound.wamid] = inbound
        if inbound.action is None:
            found.other.append(f"execution {execution.id}: {inbound.skipped}")
            continue
        messages.append(inbound)
    current: dict[str, Conversation] = {}
    for inbound in sorted(messages, key=lambda m: (m.written, m.received)):
        conv = current.get(inbound.wa_id)
        if conv is None or inbound.written - conv.messages[-1].written > gap:
            conv = Conversation(inbound.wa_id, inbound.name)
            current[inbound.wa_id] = conv
            found.conversations.append(conv)
        conv.messages.append(inbound)
        conv.name = conv.name or inbound.name
    return found


_EPOCH = datetime.fromtimestamp(0, timezone.utc)


def _value(body: Any) -> dict[str, Any] | None:
    try:
        return body["entry"][0]["changes"][0]["value"]
    except (KeyError, IndexError, TypeError):
        return None


def _epoch(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _start(execution: Execution) -> datetime | None:
    """When the execution started (`state.startDate`, ISO-8601)."""
    start = (execution.raw.get("state") or {}).get("startDate")
    if not start:
        return None
    try:
        when = datetime.fromisoformat(str(start).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
