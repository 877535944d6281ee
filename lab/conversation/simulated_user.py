"""The simulated user: what each act of `lab.conversation.actions` does on the phone.

An act that WhatsApp would deliver as a message (text, tap, media, voice note, location, contact
cards, reaction, quoted reply) becomes the inbound webhook event the phone posts (`Post`); the
session (`Lab.perform`) runs the turn it starts. The other acts change the world around the chat
and post nothing: a clock move, the user reading the chat, waiting for a status, an armed fault.

Resolving an act reads what the bot sent: a tap finds the newest button, row or quick reply with
that title, a reaction or a quoted reply without a target takes the last business message.
"""

from __future__ import annotations

import asyncio
import mimetypes
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from lab import limits
from lab.conversation.actions import (
    Action,
    Advance,
    ArmFault,
    React,
    Read,
    ReplyTo,
    SendContacts,
    SendLocation,
    SendMedia,
    SendText,
    SendVoice,
    SwitchContact,
    Tap,
    Wait,
)
from lab.conversation.model import InboundEvent, Transcript
from lab.errors import LabError
from lab.voice.ogg import OGG_OPUS, is_ogg_opus, ogg_opus_seconds, player_time
from lab.voice.synth import synthesise
from lab.whatsapp.inbound import reply_context
from lab.whatsapp.media import MediaItem
from lab.whatsapp.model import CapturedSend
from lab.whatsapp.reply import Reply, visible

if TYPE_CHECKING:
    from lab.clock import VirtualClock
    from lab.config import Settings
    from lab.conversation.phone import Phone
    from lab.llm.gateway import LLMGateway
    from lab.whatsapp.sandbox import GraphSandbox

STATUS_ORDER = ["accepted", "sent", "delivered", "read"]


@dataclass(frozen=True)
class Post:
    """An inbound webhook to post: the event, how many redeliveries follow it (Meta's duplicates)
    and how long after the user wrote it it arrives (a late webhook)."""

    inbound: InboundEvent
    duplicates: int = 0
    delivered_after: timedelta | None = None


class SimulatedUser:
    """Carries out a contact's acts on the phone, the fake Graph API and the virtual clock."""

    def __init__(
        self,
        settings: "Settings",
        phone: "Phone",
        sandbox: "GraphSandbox",
        gateway: "LLMGateway",
        clock: "VirtualClock",
        transcript: Transcript,
    ) -> None:
        self.settings = settings
        self.phone = phone
        self.sandbox = sandbox
        self.gateway = gateway
        self.clock = clock
        self.transcript = transcript

    async def act(self, wa_id: str, action: Action) -> Post | None:
        """Do the act as the contact; the webhook to post for it, or None when it posts none."""
        match action:
            case SendText():
                duplicates = limits.count(action.duplicates, "duplicates", limits.MAX_DUPLICATES)
                late = action.delivered_after
                late = None if late is None else limits.clock_move(late, "delivered_after")
                return Post(self.phone.text(wa_id, action.text), duplicates, late)
            case Tap():
                return Post(self.tapped(wa_id, action.title))
            case SendMedia():
                return Post(self.media(wa_id, action))
            case SendVoice():
                return Post(self.voice(wa_id, action))
            case SendLocation():
                return Post(
                    self.phone.location(
                        wa_id, action.latitude, action.longitude, action.name, action.address
                    )
                )
            case SendContacts():
                cards = [{"name": c.name, "phone": c.phone} for c in action.cards]
                return Post(self.phone.contacts_card(wa_id, cards))
            case React():
                to = action.to or self.last_business_wamid(wa_id, "react to")
                return Post(self.phone.reaction(wa_id, action.emoji, to))
            case ReplyTo():
                to = action.to or self.last_business_wamid(wa_id, "reply to")
                context = reply_context(self.settings.business, to)
                return Post(self.phone.text(wa_id, action.text, context=context))
            case Advance():
                self.clock.advance(limits.clock_move(action.delta))
            case Read():
                self.sandbox.read(wa_id)
            case Wait():
                await self.wait(wa_id, action)
            case SwitchContact():
                pass
            case ArmFault():
                script = self.gateway.faults if action.on_model else self.sandbox.faults
                script.arm(action.script_name, action.count, **action.options)
            case _:
                raise LabError(
                    f"cannot perform {type(action).__name__}",
                    fix="an act of lab.conversation.actions",
                )
        return None

    def tapped(self, wa_id: str, title: str) -> InboundEvent:
        """The webhook of a tap on the newest button, row or quick reply with that title."""
        offered: list[str] = []
        for send in reversed(self.sandbox.thread(wa_id)):
            for choice in Reply.of(send).choices:
                offered.append(choice.title)
                if choice.title.casefold() == title.casefold() and send.wamid:
                    if choice.kind == "button":
                        return self.phone.button(wa_id, choice.id, choice.title, send.wamid)
                    if choice.kind == "list":
                        return self.phone.list_row(wa_id, choice.id, choice.title, send.wamid)
                    return self.phone.template_button(wa_id, choice.title, choice.id, send.wamid)
        raise LabError(
            f"nothing to tap called {title!r} in the chat with {wa_id}",
            fix=f"choices offered: {', '.join(dict.fromkeys(offered))}"
            if offered
            else "the bot has not sent buttons or a list yet",
        )

    def media(self, wa_id: str, action: SendMedia) -> InboundEvent:
        """The media is uploaded to the fake Graph API and the webhook names it (a relative path is
        the project's)."""
        p = action.path if action.path.is_absolute() else self.settings.project_dir / action.path
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise LabError(
                f"cannot read {p}: {exc.strerror}", where=str(p), fix="check the file path"
            ) from None
        if action.kind == "audio" and is_ogg_opus(data):
            # a recording WhatsApp would flag as a voice note
            return self.voice_note(wa_id, data, p.name, str(p), action.caption)
        fallback = {"audio": "audio/ogg", "image": "image/jpeg"}.get(
            action.kind, "application/octet-stream"
        )
        mime = mimetypes.guess_type(p.name)[0] or fallback
        item = self.sandbox.media.put(data, mime, None, p.name)
        return self.phone.media(
            wa_id,
            action.kind,
            item.id,
            item.sha256_b64,
            mime_type=mime,
            caption=action.caption,
            filename=p.name,
            source_path=str(p),
            url=self.media_url(item),
        )

    def media_url(self, item: MediaItem) -> str:
        """Where the fake Graph API serves a user's media (with the bearer token): the `url` Meta's
        media webhooks carry."""
        return f"{self.settings.base_url}/graph{item.download_path}"

    def voice(self, wa_id: str, action: SendVoice) -> InboundEvent:
        """A voice note: synthesised from `say` (the gateway's scripted mode then hears those words),
        or a recording, sent as audio (a voice note when it is OGG/Opus)."""
        if action.path is not None:
            return self.media(wa_id, SendMedia("audio", action.path))
        data = synthesise(action.say or "")
        self.gateway.hear(data, action.say or "")
        return self.voice_note(wa_id, data, "voice-note.ogg", None, None)

    def voice_note(
        self, wa_id: str, data: bytes, name: str, source: str | None, caption: str | None
    ) -> InboundEvent:
        """The webhook of an OGG/Opus recording sent as a voice note (its length in the summary)."""
        item = self.sandbox.media.put(data, OGG_OPUS, None, name)
        seconds = ogg_opus_seconds(data)
        event = self.phone.media(
            wa_id,
            "audio",
            item.id,
            item.sha256_b64,
            mime_type=OGG_OPUS,
            caption=caption,
            filename=name,
            source_path=source,
            voice=True,
            url=self.media_url(item),
        )
        event.audio_seconds = seconds
        event.summary = f"[voice note {player_time(seconds)}]"
        return event

    def last_business_wamid(self, wa_id: str, doing: str) -> str:
        """The last message the bot sent the contact, for an act that targets it (`doing` it)."""
        wamid = self.transcript.last_business_wamid(wa_id)
        if wamid is None:
            raise LabError(
                f"the bot has sent nothing to {wa_id} to {doing}",
                fix="wait for the agent's first message",
            )
        return wamid

    async def wait(self, wa_id: str, action: Wait) -> None:
        """Until the last business message reaches the status (a later one counts too)."""
        deadline = time.monotonic() + action.timeout
        while True:
            send = self.last_send(wa_id)
            state = send.state if send is not None else None
            if state == action.status or (
                state in STATUS_ORDER
                and action.status in STATUS_ORDER
                and STATUS_ORDER.index(state) >= STATUS_ORDER.index(action.status)
            ):
                return
            if time.monotonic() > deadline:
                raise LabError(
                    f"the last business message did not reach status {action.status!r} "
                    f"in {action.timeout:g}s (it is {state!r})"
                )
            await asyncio.sleep(0.01)

    def last_send(self, wa_id: str) -> CapturedSend | None:
        """The last bubble the bot sent the contact (read marks and typing indicators skipped)."""
        for turn in reversed(self.transcript.for_contact(wa_id)):
            for send in reversed(turn.replies):
                if visible(send):
                    return send
        return None
