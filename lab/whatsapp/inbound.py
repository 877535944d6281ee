"""Inbound webhooks as a bot receives them: every message type a WhatsApp user can send.

Each builder returns an `InboundWebhook`: the Meta envelope (entry id = WABA id, metadata,
contacts with profile and business-scoped user id), the message's wamid and timestamp (string
seconds from the virtual clock). `signed(app_secret)` gives the exact bytes and headers to post.
Reference: whatsapp-cloud-api.md §1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from lab.clock import VirtualClock
from lab.config import Business, Contact
from lab.whatsapp.errors import status_error
from lab.whatsapp.ids import IdFactory, bsuid
from lab.whatsapp.signing import SignedWebhook

MEDIA_KINDS = ("image", "audio", "video", "document", "sticker")
DEFAULT_MIME = {
    "image": "image/jpeg",
    "audio": "audio/ogg; codecs=opus",
    "video": "video/mp4",
    "document": "application/pdf",
    "sticker": "image/webp",
}


@dataclass(frozen=True, slots=True)
class InboundWebhook:
    """One webhook body (a dict in Meta's key order) and what identifies its message."""

    payload: dict[str, Any]
    wamid: str | None
    wa_id: str
    timestamp: str

    @property
    def message(self) -> dict[str, Any] | None:
        value = self.payload["entry"][0]["changes"][0]["value"]
        return value["messages"][0] if "messages" in value else None

    def signed(self, app_secret: str) -> SignedWebhook:
        """Serialise once (ASCII-escaped), sign those bytes."""
        return SignedWebhook.of(self.payload, app_secret)


def reply_context(business: Business, wamid: str, *, forwarded: bool = False) -> dict[str, Any]:
    """`context` of a message that quotes (replies to) a business message."""
    ctx: dict[str, Any] = {"from": business.display_phone_number, "id": wamid}
    if forwarded:
        ctx["forwarded"] = True
    return ctx


def forwarded_context(*, frequently: bool = False) -> dict[str, Any]:
    """`context` of a forwarded message (`frequently_forwarded` after more than 5 forwards)."""
    return {"frequently_forwarded": True} if frequently else {"forwarded": True}


def referral(
    *,
    source_url: str = "https://fb.me/3cr4Wqqkv",
    source_id: str = "120226305854810726",
    source_type: str = "ad",
    body: str = "",
    headline: str = "",
    media_type: str = "image",
    image_url: str | None = "https://scontent.xx.fbcdn.net/v/t45.1600-4/ad.jpg",
    ctwa_clid: str | None = "Aff-n8ZTODiE79d2walab",
    welcome_text: str | None = None,
) -> dict[str, Any]:
    """A click-to-WhatsApp ad `referral` (top-level on the message)."""
    ref: dict[str, Any] = {
        "source_url": source_url,
        "source_id": source_id,
        "source_type": source_type,
        "body": body,
        "headline": headline,
        "media_type": media_type,
    }
    if image_url and media_type == "image":
        ref["image_url"] = image_url
    if ctwa_clid:
        ref["ctwa_clid"] = ctwa_clid
    if welcome_text:
        ref["welcome_message"] = {"text": welcome_text}
    return ref


class InboundBuilder:
    """Builds the webhooks one business receives from its (simulated) users.

    Args:
        business: the business number (WABA id, phone number id, display number).
        clock: the virtual clock that stamps every message.
        ids: id generator (deterministic per seed).
        with_user_ids: emit business-scoped user ids (`user_id`, `from_user_id`) as current Graph versions do.
    """

    def __init__(
        self,
        business: Business,
        clock: VirtualClock,
        ids: IdFactory | None = None,
        *,
        with_user_ids: bool = True,
    ) -> None:
        self.business = business
        self.clock = clock
        self.ids = ids or IdFactory("inbound")
        self.with_user_ids = with_user_ids

    # -- envelope ---------------------------------------------------------------------------
    def metadata(self) -> dict[str, str]:
        return {
            "display_phone_number": self.business.display_phone_number,
            "phone_number_id": self.business.phone_number_id,
        }

    def contact_entry(self, contact: Contact) -> dict[str, Any]:
        entry: dict[str, Any] = {"profile": {"name": contact.name}, "wa_id": contact.wa_id}
        if self.with_user_ids:
            entry["user_id"] = bsuid(contact.wa_id, self.business.waba_id)
        return entry

    def envelope(self, value: dict[str, Any]) -> dict[str, Any]:
        """Wrap a change value: object, entry (WABA id), changes, field `messages`."""
        return {
            "object": "whatsapp_business_account",
            "entry": [
                {"id": self.business.waba_id, "changes": [{"value": value, "field": "messages"}]}
            ],
        }

    def timestamp(self) -> str:
        return str(int(self.clock.time()))

    def message(
        self,
        contact: Contact,
        type_: str,
        body: dict[str, Any] | None = None,
        *,
        context: dict[str, Any] | None = None,
        referral: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
        with_contacts: bool = True,
        timestamp: str | None = None,
    ) -> InboundWebhook:
        """A message of any type: `body` goes under the key named by the type."""
        ts = timestamp or self.timestamp()
        wamid = self.ids.inbound_wamid(contact.wa_id)
        msg: dict[str, Any] = {}
        if context:
            msg["context"] = context
        if referral:
            msg["referral"] = referral
        msg["from"] = contact.wa_id
        if self.with_user_ids:
            msg["from_user_id"] = bsuid(contact.wa_id, self.business.waba_id)
        msg["id"] = wamid
        msg["timestamp"] = ts
        msg["type"] = type_
        if body is not None:
            msg[type_] = body
        if extra:
            msg.update(extra)
        value: dict[str, Any] = {"messaging_product": "whatsapp", "metadata": self.metadata()}
        if with_contacts:
            value["contacts"] = [self.contact_entry(contact)]
        value["messages"] = [msg]
        return InboundWebhook(self.envelope(value), wamid, contact.wa_id, ts)

    # -- message types ----------------------------------------------------------------------
    def text(self, contact: Contact, body: str, **kw: Any) -> InboundWebhook:
        return self.message(contact, "text", {"body": body}, **kw)

    def button_reply(
        self, contact: Contact, reply_id: str, title: str, *, to_wamid: str, **kw: Any
    ) -> InboundWebhook:
        """The user tapped a reply button of the business message `to_wamid`."""
        kw.setdefault("context", reply_context(self.business, to_wamid))
        return self.message(
            contact,
            "interactive",
            {"type": "button_reply", "button_reply": {"id": reply_id, "title": title}},
            **kw,
        )

    def list_reply(
        self,
        contact: Contact,
        row_id: str,
        title: str,
        *,
        to_wamid: str,
        description: str | None = None,
        **kw: Any,
    ) -> InboundWebhook:
        """The user picked a list row (description only when the row had one)."""
        row = {"id": row_id, "title": title}
        if description:
            row["description"] = description
        kw.setdefault("context", reply_context(self.business, to_wamid))
        return self.message(contact, "interactive", {"type": "list_reply", "list_reply": row}, **kw)

    def template_button(
        self, contact: Contact, text: str, *, to_wamid: str, payload: str | None = None, **kw: Any
    ) -> InboundWebhook:
        """A template quick-reply tap: type `button` (payload = the send's quick_reply payload, else the text)."""
        kw.setdefault("context", reply_context(self.business, to_wamid))
        return self.message(
            contact,
            "button",
            {"payload": payload if payload is not None else text, "text": text},
            **kw,
        )

    def media(
        self,
        contact: Contact,
        kind: str,
        media_id: str,
        sha256: str,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        filename: str | None = None,
        voice: bool = False,
        animated: bool = False,
        url: str | None = None,
        **kw: Any,
    ) -> InboundWebhook:
        """An image, audio (voice flag), video, document or sticker (animated flag); sha256 is base64."""
        if kind not in MEDIA_KINDS:
            raise ValueError(f"unknown media kind {kind!r}; one of {', '.join(MEDIA_KINDS)}")
        node: dict[str, Any] = {}
        if caption is not None and kind in ("image", "video", "document"):
            node["caption"] = caption
        if filename is not None and kind == "document":
            node["filename"] = filename
        node["mime_type"] = mime_type or DEFAULT_MIME[kind]
        node["sha256"] = sha256
        node["id"] = media_id
        if url:
            node["url"] = url
        if kind == "audio":
            node["voice"] = voice
        if kind == "sticker":
            node["animated"] = animated
        return self.message(contact, kind, node, **kw)

    def location(
        self,
        contact: Contact,
        latitude: float,
        longitude: float,
        *,
        name: str | None = None,
        address: str | None = None,
        url: str | None = None,
        **kw: Any,
    ) -> InboundWebhook:
        """A shared location (only coordinates for a "current location" share)."""
        node: dict[str, Any] = {}
        if address is not None:
            node["address"] = address
        node["latitude"] = latitude
        node["longitude"] = longitude
        if name is not None:
            node["name"] = name
        if url is not None:
            node["url"] = url
        return self.message(contact, "location", node, **kw)

    def contacts(
        self, contact: Contact, cards: Iterable[dict[str, Any]], **kw: Any
    ) -> InboundWebhook:
        """Shared contact cards (vCard-like dicts: name, phones, emails, org, ...)."""
        return self.message(contact, "contacts", list(cards), **kw)

    def reaction(
        self,
        contact: Contact,
        to_wamid: str,
        emoji: str | None,
        *,
        empty_on_removal: bool = False,
        **kw: Any,
    ) -> InboundWebhook:
        """A reaction to a business message; emoji None removes it (omitted, or "" if asked)."""
        node: dict[str, Any] = {"message_id": to_wamid}
        if emoji:
            node["emoji"] = emoji
        elif empty_on_removal:
            node["emoji"] = ""
        return self.message(contact, "reaction", node, **kw)

    def order(
        self,
        contact: Contact,
        catalog_id: str,
        items: list[dict[str, Any]],
        text: str | None = None,
        **kw: Any,
    ) -> InboundWebhook:
        """A catalog cart: items of {product_retailer_id, quantity, item_price, currency}."""
        node: dict[str, Any] = {"catalog_id": catalog_id}
        if text is not None:
            node["text"] = text
        node["product_items"] = items
        return self.message(contact, "order", node, **kw)

    def unsupported(
        self, contact: Contact, original_type: str = "poll_creation", **kw: Any
    ) -> InboundWebhook:
        """A message Cloud API cannot carry (poll, edit...): `errors[]` 131051 and `unsupported.type`."""
        errors = [
            {
                "code": 131051,
                "title": "Message type unknown",
                "message": "Message type unknown",
                "error_data": {"details": "Message type is currently not supported."},
            }
        ]
        return self.message(
            contact, "unsupported", {"type": original_type}, extra={"errors": errors}, **kw
        )

    def number_changed(self, contact: Contact, new_wa_id: str, **kw: Any) -> InboundWebhook:
        """System message: the user changed number (no `contacts` array, as Meta sends it)."""
        body = {
            "body": f"User {contact.name} changed from {contact.wa_id} to {new_wa_id}",
            "wa_id": new_wa_id,
            "type": "user_changed_number",
        }
        kw.setdefault("with_contacts", False)
        return self.message(contact, "system", body, **kw)

    def request_welcome(self, contact: Contact, **kw: Any) -> InboundWebhook:
        """First-contact welcome trigger (opens the customer-service window)."""
        return self.message(contact, "request_welcome", None, **kw)

    def value_errors(
        self, code: int, *, details: str | None = None, title: str | None = None
    ) -> InboundWebhook:
        """Value-level `errors`: a system, app or account problem Meta reports with neither `messages` nor
        `statuses` (e.g. 131051 an unsupported message type, 130429 throughput, 131000 something went
        wrong); title and details default to Meta's for the code."""
        error = status_error(code, details)
        if title is not None:
            error["title"] = error["message"] = title
        value = {"messaging_product": "whatsapp", "metadata": self.metadata(), "errors": [error]}
        return InboundWebhook(self.envelope(value), None, "", self.timestamp())
