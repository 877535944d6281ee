"""What the chat pane shows, as plain data: one `ChatItem` per bubble.

Built from the headless models (`Turn`, `InboundEvent`, `CapturedSend`) by pure functions, so
the rules of how a reply reads (buttons, lists, templates, media, flags) are tested without a
screen. Widgets only render these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Literal

from lab.conversation.actions import (
    Action,
    React,
    ReplyTo,
    SendContacts,
    SendLocation,
    SendMedia,
    SendText,
    SendVoice,
    Tap,
)
from lab.conversation.model import InboundEvent, Turn
from lab.voice.ogg import player_line
from lab.whatsapp.model import CapturedSend
from lab.whatsapp.reply import Reply, TemplateUse, contact_card, visible

Side = Literal["user", "business", "system"]


@dataclass(slots=True)
class Choice:
    """A reply button or list row the user can pick."""

    id: str
    title: str
    description: str = ""
    section: str = ""


@dataclass(slots=True)
class ChatItem:
    """One bubble of the chat pane."""

    key: str  # unique per thread: "in-3", "out-17", "pending-2", "note-1"
    side: Side
    time: float
    kind: str
    text: str = ""
    header: str = ""
    footer: str = ""
    label: str = ""  # a card's title line: "🖼 image", "📍 location", "📋 template hello_world"
    buttons: list[Choice] = field(default_factory=list)
    list_button: str = ""  # the list picker's button text ("Ver opções")
    rows: list[Choice] = field(default_factory=list)
    link: str = ""  # cta_url / media link
    state: str = ""  # pending, accepted, sent, delivered, read, failed, rejected
    flag: str = ""  # the broken WhatsApp rule and Meta's code, when any
    reactions: list[str] = field(default_factory=list)
    via: str = "graph"
    wamid: str | None = None
    turn_index: int | None = None
    answered: bool = False  # a choice was made after this interactive bubble
    reacts_to: str | None = None  # for reactions: the wamid of the message reacted to
    quotes: str | None = (
        None  # a reply (WhatsApp's swipe to reply): the wamid of the quoted message
    )
    quote: str = ""  # what the quoted message says, shown on top of the bubble

    @property
    def interactive(self) -> bool:
        return bool(self.buttons or self.rows)


def flag_for(send: CapturedSend) -> str:
    """The bubble flag for a send Meta would reject: `24-hour window · 131047 Re-engagement message`."""
    return Reply.of(send).flag


def _template_text(
    tpl: TemplateUse, templates: Any = None
) -> tuple[str, str, str, str, list[Choice]]:
    """(label, header, body, footer, quick replies) of a template send, with its parameters filled in.

    With the project's template registry the bubble reads as WhatsApp shows it; without it (or for
    a template the registry does not know) the parameters are listed by position.
    """
    values = tpl.components
    label = f"📋 template {tpl.name or '?'}" + (f" ({tpl.language})" if tpl.language else "")
    known = (
        templates.get(tpl.name, tpl.language)
        if templates is not None and hasattr(templates, "get")
        else None
    )
    if known is not None:
        header = known.render("header", values.get("header", [])) if known.header else ""
        buttons = [Choice(b.text, b.text) for b in known.buttons if b.type == "quick_reply"]
        return (
            label,
            header,
            known.render("body", values.get("body", [])),
            known.footer or "",
            buttons,
        )
    lines = [
        f"{ctype}: " + ", ".join(f"{{{{{i}}}}}={v}" for i, v in enumerate(vals, 1))
        for ctype, vals in values.items()
    ]
    return label, "", "\n".join(lines), "", []


_MEDIA_ICONS = {
    "image": "🖼",
    "video": "🎬",
    "audio": "🎵",
    "document": "📄",
    "sticker": "💟",
    "voice": "🎤",
}


def item_from_send(
    send: CapturedSend, turn_index: int | None = None, templates: Any = None
) -> ChatItem | None:
    """The business bubble for one captured send (None for read receipts and typing indicators)."""
    reply = Reply.of(send)
    if not reply.visible:
        return None
    item = ChatItem(
        key=f"out-{send.seq}",
        side="business",
        time=send.time,
        kind=reply.type,
        state=send.state,
        flag=reply.flag,
        via=send.via,
        wamid=send.wamid,
        turn_index=turn_index,
    )
    if reply.kind == "notification":
        item.text = reply.body
        item.label = "🔔 via Kestra notification"
        return item
    item.header, item.text, item.footer = reply.header, reply.body, reply.footer
    if reply.type == "interactive":
        item.kind = reply.kind
        item.buttons = [Choice(c.id, c.title) for c in reply.choices if c.kind == "button"]
        item.rows = [
            Choice(c.id, c.title, c.description, c.section)
            for c in reply.choices
            if c.kind == "list"
        ]
        item.list_button = reply.list_button
        if reply.link is not None:
            item.label = f"🔗 {reply.link[0] or 'link'}"
            item.link = reply.link[1]
        elif reply.asks_location:
            item.label = "📍 asks for your location"
    elif reply.template is not None:
        item.label, item.header, item.text, item.footer, item.buttons = _template_text(
            reply.template, templates
        )
    elif reply.media is not None and reply.media.voice:
        item.label = "🎤 voice note"
        item.text = player_line(send.audio_seconds) + (f"\n{item.text}" if item.text else "")
    elif reply.media is not None:
        name = reply.media.name
        item.label = f"{_MEDIA_ICONS[reply.type]} {reply.type}" + (f" · {name}" if name else "")
    elif reply.location is not None:
        item.label = "📍 location"
        item.text = _location_text(reply.location)
    elif reply.type == "contacts":
        item.label = "👤 contact card"
        item.text = _card_lines(reply.contacts)
    elif reply.type == "reaction":
        item.text = reply.emoji or ""
        item.label = "reaction"
        item.reacts_to = reply.reacts_to
    elif reply.type != "text" and not item.text:
        item.text = f"[{reply.type}]"
    return item


def _location_text(loc: dict[str, Any]) -> str:
    parts = [str(loc[k]) for k in ("name", "address") if loc.get(k)]
    parts.append(f"{loc.get('latitude', '?')}, {loc.get('longitude', '?')}")
    return "\n".join(parts)


def _card_lines(cards: list[tuple[str, str]]) -> str:
    return "\n".join(name + (f" · {phones}" if phones else "") for name, phones in cards)


def _message_of(inbound: InboundEvent) -> dict[str, Any]:
    try:
        return inbound.payload["entry"][0]["changes"][0]["value"]["messages"][0]
    except (KeyError, IndexError, TypeError):
        return {}


def heard_text(turn: Turn) -> str | None:
    """What the flow's transcription of the turn's voice note said (None before it has one)."""
    for call in turn.llm_calls:
        if call.status == 200 and "transcription" in (call.request or {}):
            return str((call.response or {}).get("text") or "")
    return None


def item_from_inbound(
    inbound: InboundEvent,
    turn_index: int | None,
    state: str = "sent",
    transcription: str | None = None,
) -> ChatItem:
    """The user's bubble for what the simulated user did; a voice note shows its player line and,
    once the flow has transcribed it, the `transcription`."""
    msg = _message_of(inbound)
    kind = inbound.kind
    item = ChatItem(
        key=f"in-{turn_index}",
        side="user",
        time=inbound.time,
        kind=kind,
        text=inbound.summary,
        state=state,
        wamid=inbound.wamid,
        turn_index=turn_index,
    )
    body = msg.get(kind) if isinstance(msg.get(kind), dict) else {}
    context = msg.get("context") if isinstance(msg.get("context"), dict) else {}
    item.quotes = context.get("id") if kind != "reaction" else None
    if kind == "audio" and body.get("voice"):
        item.label = "🎤 voice note"
        item.text = player_line(inbound.audio_seconds)
        if transcription is not None:
            item.text += f"\n“{transcription}”"
    elif kind in _MEDIA_ICONS:
        item.label = f"{_MEDIA_ICONS[kind]} {kind}" + (
            f" · {body.get('filename')}" if body.get("filename") else ""
        )
        item.text = str(body.get("caption") or "")
    elif kind == "location":
        item.label = "📍 location"
        item.text = _location_text(body)
    elif kind == "contacts":
        item.label = "👤 contact card"
        item.text = _card_lines([contact_card(c) for c in msg.get("contacts") or []])
    elif kind == "reaction":
        item.text = str(body.get("emoji") or "")
        item.reacts_to = body.get("message_id")
    elif kind in ("button", "list", "interactive"):
        item.label = "↩ reply"
    return item


def pending_summary(action: Action) -> tuple[str, str, str]:
    """(kind, label, text) of the user's bubble shown at once, before the act's turn starts."""
    match action:
        case SendText() | ReplyTo():
            return "text", "↩ reply" if isinstance(action, ReplyTo) else "", action.text
        case Tap():
            return "button", "↩ reply", action.title
        case SendMedia():
            return action.kind, f"{action.kind} · {action.path.name}", action.caption or ""
        case SendVoice():
            return "audio", "🎤 voice note", player_line(None)
        case SendLocation():
            place = f"{action.name or ''}\n{action.latitude}, {action.longitude}".strip()
            return "location", "📍 location", place
        case SendContacts():
            cards = ", ".join(f"{c.name} · {c.phone or ''}".rstrip(" ·") for c in action.cards)
            return "contacts", "👤 contact card", cards
        case React():
            return "reaction", "", action.emoji or ""
    return "text", "", ""


def items_for_turn(turn: Turn, templates: Any = None) -> list[ChatItem]:
    """The bubbles of one turn: the user's, then each reply in capture order."""
    read = {str((s.payload or {}).get("message_id")) for s in turn.replies if not visible(s)}
    state = "read" if turn.inbound.wamid in read else "delivered"
    items = [item_from_inbound(turn.inbound, turn.index, state, heard_text(turn))]
    for send in sorted(turn.replies, key=lambda s: s.seq):
        it = item_from_send(send, turn.index, templates)
        if it is not None:
            items.append(it)
    return items


def thread_items(turns: Iterable[Turn], templates: Any = None) -> list[ChatItem]:
    """All bubbles of a contact's thread, with reactions folded onto the bubble they react to."""
    items: list[ChatItem] = []
    for turn in turns:
        items.extend(items_for_turn(turn, templates))
    return fold_reactions(items)


def quoted_text(item: ChatItem) -> str:
    """How a reply shows the message it quotes: its text (or its card's title), first line."""
    for text in (item.text, item.label, item.header):
        if text.strip():
            return text.strip().splitlines()[0]
    return f"[{item.kind}]"


def fold_reactions(items: list[ChatItem]) -> list[ChatItem]:
    """Show reactions as badges on the bubble they react to and replies with the message they
    quote; mark answered interactive bubbles."""
    by_wamid = {it.wamid: it for it in items if it.wamid}
    out: list[ChatItem] = []
    last_interactive: ChatItem | None = None
    for it in items:
        if it.kind == "reaction" and it.reacts_to in by_wamid:
            by_wamid[it.reacts_to].reactions.append(it.text or "∅")
            continue
        if it.quotes in by_wamid:
            it.quote = quoted_text(by_wamid[it.quotes])
        if it.side == "user" and last_interactive is not None:
            last_interactive.answered = True
            last_interactive = None
        if it.interactive:
            last_interactive = it
        out.append(it)
    return out


def items_from_thread(thread: Iterable[Any], templates: Any = None) -> list[ChatItem]:
    """Bubbles from `Lab.thread(wa_id)` (ThreadItems: user inbound events and business sends)."""
    entries = list(thread)
    read = {
        str((e.send.payload or {}).get("message_id"))
        for e in entries
        if getattr(e, "send", None) is not None and not visible(e.send)
    }
    items: list[ChatItem] = []
    for e in entries:
        if getattr(e, "inbound", None) is not None:
            key_index = e.turn_index if e.turn_index is not None else e.inbound.wamid
            item = item_from_inbound(
                e.inbound, e.turn_index, "read" if e.inbound.wamid in read else "delivered"
            )
            item.key = f"in-{key_index}"
            items.append(item)
        elif getattr(e, "send", None) is not None:
            it = item_from_send(e.send, e.turn_index, templates)
            if it is not None:
                items.append(it)
    return fold_reactions(items)
