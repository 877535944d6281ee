"""A captured reply as WhatsApp shows it, read from Meta's JSON once: `Reply.of(send)`.

Every view, check and tap reads a send through this one reading: the terminal (`walab send`,
`walab record`), the chat pane's bubbles, the scenario replies that assertions and snapshots see,
and `Lab`'s taps (the choices). `visible` is the one rule for what is a bubble in the user's chat
(a read mark or a typing indicator is not).

    reply = Reply.of(send)
    reply.kind, reply.header, reply.body, reply.footer       # "interactive/button", ...
    reply.choices                                            # (Choice(kind, id, title), ...)
    reply.template                                           # TemplateUse(name, language, params)
    reply.media, reply.location, reply.contacts, reply.emoji
    reply.flag                                               # "24-hour window · 131047 Re-engagement message"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lab.whatsapp.model import CapturedSend

MEDIA_KINDS = ("image", "audio", "document", "video", "sticker")
# Sends that change a state of the chat rather than add a bubble.
SILENT_TYPES = frozenset({"read", "typing", "mark_read", "status"})

# Meta error code -> the WhatsApp rule it enforces (reference/whatsapp-cloud-api.md §5).
RULES: dict[int, str] = {
    131047: "24-hour window",
    131026: "undeliverable",
    131051: "unsupported message type",
    131009: "parameter value",
    131008: "required parameter",
    131000: "generic error",
    132000: "template parameters",
    132001: "template not found",
    132005: "template text too long",
    132012: "template parameter format",
    130429: "rate limit",
    131056: "pair rate limit",
    190: "access token",
    100: "invalid parameter",
    33: "unknown id",
    131030: "recipient not allowed",
    368: "policy block",
}


def visible(send: CapturedSend) -> bool:
    """True when the send is a bubble in the user's chat (not a read mark or typing indicator)."""
    return send.type not in SILENT_TYPES and (send.payload or {}).get("status") != "read"


@dataclass(frozen=True, slots=True)
class Choice:
    """Something the user can tap: a reply button, a list row or a template quick reply."""

    kind: str  # button | list | template
    id: str
    title: str
    description: str = ""
    section: str = ""


@dataclass(frozen=True, slots=True)
class TemplateUse:
    """A template send: its name, language and parameter values (by component, in order)."""

    name: str
    language: str
    components: dict[str, list[str]]  # body / header / button -> the parameters' values

    @property
    def params(self) -> list[str]:
        """Every parameter value, in the order they were sent."""
        return [v for values in self.components.values() for v in values]


@dataclass(frozen=True, slots=True)
class Media:
    kind: str
    ref: str  # the link, the file name or `id:<media id>`
    caption: str = ""
    name: str = ""  # the file name, the link or the id, as a bubble names it
    voice: bool = False  # an audio sent as a voice note (`audio.voice: true`)


@dataclass(slots=True)
class Reply:
    """One captured send, read (see the module docstring)."""

    send: CapturedSend
    type: str  # the Cloud API message type
    kind: str  # the type, interactive ones with their subtype: interactive/button, interactive/list
    visible: bool
    header: str = ""
    body: str = ""
    footer: str = ""
    choices: list[Choice] = field(default_factory=list)
    list_button: str = ""  # the list picker's button text
    sections: list[tuple[str, list[str]]] = field(default_factory=list)  # (title, row titles)
    link: tuple[str, str] | None = None  # cta_url: (display text, url)
    asks_location: bool = False  # a location request message
    template: TemplateUse | None = None
    media: Media | None = None
    location: dict[str, Any] | None = None
    contacts: list[tuple[str, str]] = field(default_factory=list)  # (name, phones)
    emoji: str | None = None
    reacts_to: str | None = None

    @classmethod
    def of(cls, send: CapturedSend) -> Reply:
        """Read the send's Meta JSON."""
        p: dict[str, Any] = send.payload or {}
        kind = send.type or p.get("type") or "text"
        reply = cls(send, kind, kind, visible(send))
        if send.via == "notification":
            reply.kind = "notification"
            reply.body = str(
                p.get("text")
                or p.get("body")
                or p.get("textBody")
                or p.get("message")
                or p.get("payload")
                or p
            )
        elif kind == "text":
            reply.body = _text_of(p.get("text"))
        elif kind == "interactive":
            _interactive(reply, p.get("interactive") or {})
        elif kind == "template":
            _template(reply, p.get("template") or {})
        elif kind in MEDIA_KINDS:
            media = p.get(kind) or {}
            ref = (
                media.get("link")
                or media.get("filename")
                or (f"id:{media['id']}" if media.get("id") else "")
            )
            name = media.get("filename") or media.get("link") or media.get("id") or ""
            reply.media = Media(
                kind,
                str(ref),
                str(media.get("caption") or ""),
                str(name),
                kind == "audio" and media.get("voice") is True,
            )
            reply.body = reply.media.caption
        elif kind == "reaction":
            reaction = p.get("reaction") or {}
            reply.emoji = reaction.get("emoji") or ""
            reply.reacts_to = reaction.get("message_id")
        elif kind == "location":
            loc = p.get("location") or {}
            reply.location = {
                k: loc[k] for k in ("latitude", "longitude", "name", "address") if k in loc
            }
        elif kind == "contacts":
            reply.contacts = [contact_card(c) for c in p.get("contacts") or []]
        else:
            reply.body = _text_of(p.get(kind))
        return reply

    @property
    def flag(self) -> str:
        """The WhatsApp rule a send broke and Meta's code (`24-hour window · 131047 …`), or ""."""
        send = self.send
        v = send.verdict
        failed = next((s for s in send.statuses if s.status == "failed"), None)
        if v.ok and failed is None:
            return ""
        code = v.code
        title = v.title or v.message or ""
        if failed is not None and failed.error and (v.ok or v.asynchronous):
            code = failed.error.get("code", code)
            title = failed.error.get("title") or failed.error.get("message") or title
        rule = RULES.get(int(code), "rule") if code is not None else "rule"
        return f"{rule} · {code} {title}".strip()

    @property
    def buttons(self) -> list[str]:
        """The titles of the reply buttons (interactive buttons only)."""
        return [c.title for c in self.choices if c.kind == "button"]


def _text_of(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj.get("text") or obj.get("body") or "")
    return "" if obj is None else str(obj)


def _interactive(reply: Reply, inter: dict[str, Any]) -> None:
    reply.kind = f"interactive/{inter.get('type', '?')}"
    reply.header = _text_of(inter.get("header"))
    reply.body = _text_of(inter.get("body"))
    reply.footer = _text_of(inter.get("footer"))
    action = inter.get("action") or {}
    for b in action.get("buttons") or []:
        button = b.get("reply") or b
        reply.choices.append(
            Choice("button", str(button.get("id", "")), str(button.get("title", "")))
        )
    if action.get("sections"):
        reply.list_button = str(action.get("button") or "Options")
        for section in action["sections"]:
            title = str(section.get("title", ""))
            rows = section.get("rows") or []
            reply.sections.append((title, [str(r.get("title", "")) for r in rows]))
            reply.choices += [
                Choice(
                    "list",
                    str(r.get("id", "")),
                    str(r.get("title", "")),
                    str(r.get("description", "")),
                    title,
                )
                for r in rows
            ]
    params = action.get("parameters") or {}
    if action.get("name") == "cta_url" or inter.get("type") == "cta_url":
        reply.link = (str(params.get("display_text", "")), str(params.get("url", "")))
    elif action.get("name") == "location_request_message":
        reply.asks_location = True


def _template(reply: Reply, tpl: dict[str, Any]) -> None:
    components: dict[str, list[str]] = {}
    for comp in tpl.get("components") or []:
        ctype = comp.get("type", "body")
        for param in comp.get("parameters") or []:
            if not isinstance(param, dict):
                continue
            ptype = param.get("type", "text")
            value = param.get(ptype)
            if isinstance(value, dict):
                value = value.get("fallback_value") or value.get("link") or value.get("id") or value
            components.setdefault(ctype, []).append(str(value))
            if ctype == "button" and comp.get("sub_type") == "quick_reply":
                payload = str(param.get("payload", ""))
                reply.choices.append(Choice("template", payload, payload))
    reply.template = TemplateUse(
        str(tpl.get("name", "")), str((tpl.get("language") or {}).get("code", "")), components
    )


def contact_card(card: dict[str, Any]) -> tuple[str, str]:
    """(name, phones) of a contact card as Meta shapes it (sent by the business or by the user)."""
    name = (card.get("name") or {}).get("formatted_name") or card.get("name") or "?"
    phones = ", ".join(
        str(ph.get("phone") or ph.get("wa_id") or "") for ph in card.get("phones") or []
    )
    return str(name), phones
