"""A captured send as WhatsApp would show it: text, buttons, list, template, media.

Assertions, the snapshot serialiser and the recorder all read replies through `show()` (built on
`lab.whatsapp.reply.Reply`, the one reading of a send), so what a scenario asserts is exactly what
the snapshot shows.
"""

from __future__ import annotations

from typing import Any

from lab.whatsapp.model import CapturedSend
from lab.whatsapp.reply import Reply


def show(send: CapturedSend) -> dict[str, Any]:
    """The reply as a bubble: only the fields a WhatsApp user would see, in reading order."""
    reply = Reply.of(send)
    view: dict[str, Any] = {"type": reply.kind if reply.type == "interactive" else reply.type}
    if reply.kind == "notification":
        view["text"] = reply.body
    elif reply.type == "text":
        view["text"] = reply.body
    elif reply.type == "interactive":
        if reply.header:
            view["header"] = reply.header
        view["text"] = reply.body
        if reply.kind == "interactive/button":
            view["buttons"] = reply.buttons
        elif reply.kind == "interactive/list":
            view["list_button"] = reply.list_button
            view["sections"] = [{"title": title, "rows": rows} for title, rows in reply.sections]
        elif reply.kind == "interactive/cta_url" and reply.link is not None:
            view["link"] = {"text": reply.link[0], "url": reply.link[1]}
        if reply.footer:
            view["footer"] = reply.footer
    elif reply.template is not None:
        tpl = reply.template
        view["template"] = {"name": tpl.name, "language": tpl.language, "params": tpl.params}
    elif reply.media is not None:
        view["media"] = reply.media.ref
        if reply.media.caption:
            view["text"] = reply.media.caption
    elif reply.type == "reaction":
        view["emoji"] = reply.emoji or ""
    elif reply.location is not None:
        view["location"] = reply.location
    else:
        view["payload"] = send.payload or {}
    if not send.verdict.ok:
        view["error"] = send.verdict.label()
    return view


def reply_text(view: dict[str, Any]) -> str:
    """The readable text of a bubble (body, caption, or the template's name for templates)."""
    if "text" in view:
        return str(view["text"])
    if "template" in view:
        return f"[template {view['template']['name']}]"
    if "emoji" in view:
        return view["emoji"]
    return ""


def bubble_text(view: dict[str, Any]) -> str:
    """The bubble as text, with what the user can tap under it: `[Ver planos] [Falar com atendente]`
    for reply buttons, `☰ Ver opções: Básico · Família` for a list's rows."""
    lines = [reply_text(view)] if reply_text(view) else []
    if view.get("buttons"):
        lines.append(" ".join(f"[{b}]" for b in view["buttons"]))
    if view.get("sections"):
        lines.append(f"☰ {view.get('list_button') or 'list'}: " + " · ".join(row_titles(view)))
    return "\n".join(lines)


def row_titles(view: dict[str, Any]) -> list[str]:
    return [r for s in view.get("sections") or [] for r in s["rows"]]
