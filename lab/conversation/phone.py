"""The phone: simulated WhatsApp users, what each one did, and the webhooks their actions become."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Iterable

from lab.clock import VirtualClock
from lab.config import Business, Contact
from lab.conversation.model import InboundEvent
from lab.errors import ConfigError, LabError
from lab.phone_numbers import looks_like_number, wa_id_of
from lab.whatsapp.ids import IdFactory
from lab.whatsapp.inbound import InboundBuilder, InboundWebhook
from lab.whatsapp.signing import SIGNATURE_HEADER, SignedWebhook


@dataclass(slots=True)
class ContactState:
    """One simulated user and what they sent."""

    contact: Contact
    sent: list[InboundEvent] = field(default_factory=list)


class Phone:
    """Contacts and their actions, turned into signed Cloud API webhooks on the shared virtual clock."""

    def __init__(
        self, business: Business, clock: VirtualClock, app_secret: str, contacts: Iterable[Contact]
    ) -> None:
        self.business = business
        self.clock = clock
        self._secret = app_secret
        self.builder = InboundBuilder(business, clock, IdFactory("phone"))
        self._contacts: dict[str, ContactState] = {}
        self._numbers = itertools.count(1)
        for c in contacts:
            self._contacts[c.wa_id] = ContactState(c)

    # -- contacts ---------------------------------------------------------------------------
    @property
    def contacts(self) -> list[Contact]:
        return [s.contact for s in self._contacts.values()]

    def contact(self, wa_id: str) -> Contact:
        """The contact with that wa_id; unknown numbers become new contacts (as a new user writing in)."""
        state = self._contacts.get(wa_id)
        if state is None:
            if not wa_id.isdigit() or not 8 <= len(wa_id) <= 15:
                raise LabError(
                    f"not a WhatsApp number: {wa_id!r}",
                    fix="use digits only, country code first, e.g. 5511987654321",
                )
            state = self._contacts[wa_id] = ContactState(Contact(wa_id, f"Contato {wa_id[-4:]}"))
        return state.contact

    def add_contact(self, name: str, wa_id: str | None = None) -> Contact:
        """Add a user (or rename the one with that number); the number as people write it
        (`lab.phone_numbers`); without one, a free Brazilian mobile number is made up."""
        name, wa_id = new_contact(name, wa_id)
        if wa_id is None:
            while True:
                wa_id = f"55119{next(self._numbers) + 70000000:08d}"
                if wa_id not in self._contacts:
                    break
        if wa_id in self._contacts:
            self._contacts[wa_id].contact.name = name
        else:
            self.contact(wa_id)
            self._contacts[wa_id].contact.name = name
        return self._contacts[wa_id].contact

    def sent(self, wa_id: str) -> list[InboundEvent]:
        state = self._contacts.get(wa_id)
        return list(state.sent) if state else []

    def forget(self, wa_id: str) -> None:
        """Clear what the user sent (the chat was cleared)."""
        if wa_id in self._contacts:
            self._contacts[wa_id].sent.clear()

    # -- actions -> webhooks ----------------------------------------------------------------
    def event(self, hook: InboundWebhook, kind: str, summary: str) -> InboundEvent:
        """Sign the webhook once and remember it as the user's action."""
        signed: SignedWebhook = hook.signed(self._secret)

        ev = InboundEvent(
            wa_id=hook.wa_id,
            kind=kind,
            summary=summary,
            payload=hook.payload,
            body=signed.body,
            wamid=hook.wamid,
            time=float(hook.timestamp),
            signature=signed.headers[SIGNATURE_HEADER],
        )
        self._contacts[hook.wa_id].sent.append(ev)
        return ev

    def text(self, wa_id: str, text: str, *, context: dict[str, Any] | None = None) -> InboundEvent:
        c = self.contact(wa_id)
        return self.event(self.builder.text(c, text, context=context), "text", text)

    def button(self, wa_id: str, reply_id: str, title: str, to_wamid: str) -> InboundEvent:
        c = self.contact(wa_id)
        return self.event(
            self.builder.button_reply(c, reply_id, title, to_wamid=to_wamid), "button", title
        )

    def list_row(self, wa_id: str, row_id: str, title: str, to_wamid: str) -> InboundEvent:
        c = self.contact(wa_id)
        return self.event(
            self.builder.list_reply(c, row_id, title, to_wamid=to_wamid), "list", title
        )

    def template_button(self, wa_id: str, text: str, payload: str, to_wamid: str) -> InboundEvent:
        c = self.contact(wa_id)
        return self.event(
            self.builder.template_button(c, text, to_wamid=to_wamid, payload=payload),
            "button",
            text,
        )

    def media(
        self,
        wa_id: str,
        kind: str,
        media_id: str,
        sha256: str,
        *,
        mime_type: str,
        caption: str | None,
        filename: str | None,
        source_path: str | None = None,
        voice: bool = False,
        url: str | None = None,
    ) -> InboundEvent:
        """A photo, audio, video, document or sticker; `voice`: an audio recorded as a voice note
        (OGG/Opus, as WhatsApp flags them); `url`: where the Graph API serves it (Meta's media
        webhooks carry it); `source_path` is the file it came from."""
        c = self.contact(wa_id)
        hook = self.builder.media(
            c,
            kind,
            media_id,
            sha256,
            mime_type=mime_type,
            caption=caption,
            filename=filename if kind == "document" else None,
            voice=voice,
            url=url,
        )
        summary = f"[{kind}] {filename or ''}".rstrip() + (f" — {caption}" if caption else "")
        ev = self.event(hook, kind, summary)
        ev.source_path = source_path
        return ev

    def location(
        self, wa_id: str, lat: float, lon: float, name: str | None, address: str | None
    ) -> InboundEvent:
        c = self.contact(wa_id)
        summary = f"[location] {name or ''} {lat:.5f},{lon:.5f}".replace("  ", " ")
        return self.event(
            self.builder.location(c, lat, lon, name=name, address=address), "location", summary
        )

    def contacts_card(self, wa_id: str, cards: list[dict[str, Any]]) -> InboundEvent:
        c = self.contact(wa_id)
        shaped = [_card(card) for card in cards]
        names = ", ".join(card["name"]["formatted_name"] for card in shaped)
        return self.event(self.builder.contacts(c, shaped), "contacts", f"[contact] {names}")

    def reaction(self, wa_id: str, emoji: str | None, to_wamid: str) -> InboundEvent:
        c = self.contact(wa_id)
        return self.event(
            self.builder.reaction(c, to_wamid, emoji),
            "reaction",
            f"[reaction {emoji or 'removed'}]",
        )


def new_contact(name: str, number: str | None) -> tuple[str, str | None]:
    """A new contact's name and wa_id from what a person typed (the TUI's add-contact dialog,
    `/as NAME PHONE`): a ConfigError says what is missing or how to write the number."""
    name = " ".join(name.split())
    if not name:
        raise ConfigError("the contact needs a name", fix="give a name, e.g. Ana Lima")
    number = (number or "").strip()
    return name, wa_id_of(number) if number else None


def find_contact(contacts: Iterable[Contact], who: str) -> Contact:
    """The contact with that wa_id or name, or the only one whose name starts so (`João`); a
    phone number as people write it (`+55 11 98765-4321`) finds its contact too."""
    contacts = list(contacts)
    exact = [c for c in contacts if who in (c.name, c.wa_id)]
    if not exact and looks_like_number(who):
        wa_id = wa_id_of(who)
        exact = [c for c in contacts if c.wa_id == wa_id]
    starts = [c for c in contacts if who and c.name.casefold().startswith(who.casefold())]
    if exact or len(starts) == 1:
        return (exact or starts)[0]
    raise ConfigError(
        f"no contact {who!r}",
        fix="use one of: "
        + ", ".join(f"{c.name} ({c.wa_id})" for c in contacts)
        + " (a new contact: /as NAME PHONE in a chat, `contacts:` in a scenario)",
    )


def _card(card: dict[str, Any]) -> dict[str, Any]:
    """A contact card as Meta sends it, from {"name": ..., "phone": ...} or an already-shaped card."""
    if isinstance(card.get("name"), dict):
        return card
    name = str(card.get("name") or "Contato")
    first, _, last = name.partition(" ")
    shaped: dict[str, Any] = {"name": {"formatted_name": name, "first_name": first}}
    if last:
        shaped["name"]["last_name"] = last
    phone = card.get("phone")
    if phone:
        digits = "".join(ch for ch in str(phone) if ch.isdigit())
        shaped["phones"] = [{"phone": f"+{digits}", "wa_id": digits, "type": "CELL"}]
    return shaped
