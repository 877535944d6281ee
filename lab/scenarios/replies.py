"""A captured send as WhatsApp would show it: text, buttons, list, template, media.

Assertions, the snapshot serialiser and the recorder all read replies through `show()`, so what
a scenario asserts is exactly what the snapshot shows.
"""

from __future__ import annotations

from typing import Any

from lab.whatsapp.model import CapturedSend

MEDIA = ("image", "audio", "document", "video", "sticker")
# Sends that are not messages in the thread (read receipts, typing indicators).
RECEIPTS = ("read", "typing")


def is_message(send: CapturedSend) -> bool:
    """True for sends that appear as a bubble in the user's thread (not read marks, typing)."""
    return send.type not in RECEIPTS and (send.payload or {}).get("status") != "read"


def show(send: CapturedSend) -> dict[str, Any]:
    """The reply as a bubble: only the fields a WhatsApp user would see, in reading order."""
    p = send.payload or {}
    kind = send.type or p.get("type") or "text"
    view: dict[str, Any] = {"type": kind}
    if kind == "text":
        view["text"] = (p.get("text") or {}).get("body", "")
    elif kind == "interactive":
        inter = p.get("interactive") or {}
        view["type"] = f"interactive/{inter.get('type', '?')}"
        header = inter.get("header") or {}
        if header.get("text"):
            view["header"] = header["text"]
        view["text"] = (inter.get("body") or {}).get("text", "")
        action = inter.get("action") or {}
        if inter.get("type") == "button":
            view["buttons"] = [(b.get("reply") or {}).get("title", "") for b in action.get("buttons") or []]
        elif inter.get("type") == "list":
            view["list_button"] = action.get("button", "")
            view["sections"] = [
                {"title": s.get("title", ""), "rows": [r.get("title", "") for r in s.get("rows") or []]}
                for s in action.get("sections") or []
            ]
        elif inter.get("type") == "cta_url":
            params = action.get("parameters") or {}
            view["link"] = {"text": params.get("display_text", ""), "url": params.get("url", "")}
        footer = inter.get("footer") or {}
        if footer.get("text"):
            view["footer"] = footer["text"]
    elif kind == "template":
        tpl = p.get("template") or {}
        view["template"] = {
            "name": tpl.get("name", ""),
            "language": (tpl.get("language") or {}).get("code", ""),
            "params": template_params(tpl),
        }
    elif kind in MEDIA:
        media = p.get(kind) or {}
        view["media"] = media.get("link") or media.get("filename") or (f"id:{media['id']}" if media.get("id") else "")
        if media.get("caption"):
            view["text"] = media["caption"]
    elif kind == "reaction":
        view["emoji"] = (p.get("reaction") or {}).get("emoji", "")
    elif kind == "location":
        loc = p.get("location") or {}
        view["location"] = {k: loc[k] for k in ("latitude", "longitude", "name", "address") if k in loc}
    elif kind == "notification":
        view["text"] = p.get("text") or p.get("body") or str(p)
    else:
        view["payload"] = p
    if not send.verdict.ok:
        view["error"] = send.verdict.label()
    return view


def template_params(template: dict[str, Any]) -> list[str]:
    """The text of each parameter of a template's components, in order."""
    out = []
    for comp in template.get("components") or []:
        for param in comp.get("parameters") or []:
            kind = param.get("type", "text")
            value = param.get(kind)
            out.append(value if isinstance(value, str) else str(value))
    return out


def reply_text(view: dict[str, Any]) -> str:
    """The readable text of a bubble (body, caption, or the template's name for templates)."""
    if "text" in view:
        return str(view["text"])
    if "template" in view:
        return f"[template {view['template']['name']}]"
    if "emoji" in view:
        return view["emoji"]
    return ""


def row_titles(view: dict[str, Any]) -> list[str]:
    return [r for s in view.get("sections") or [] for r in s["rows"]]
