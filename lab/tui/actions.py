"""What each composer action does to a lab session (no widgets: tested headless)."""

from __future__ import annotations

from typing import Any

from lab.errors import LabError
from lab.tui import composer_syntax as cs
from lab.tui.session import maybe_await


async def perform(lab: Any, wa_id: str, action: cs.ComposerAction, *, last_business_wamid: str | None) -> Any:
    """Run one action for the contact; returns the Turn it caused (None for clock and read)."""
    if isinstance(action, cs.SendText):
        return await lab.send_text(wa_id, action.text)
    if isinstance(action, cs.SendLate):
        return await lab.send_text(wa_id, action.text, delivered_after=action.delay)
    if isinstance(action, cs.Tap):
        return await lab.tap(wa_id, action.title)
    if isinstance(action, cs.SendMedia):
        return await lab.send_media(wa_id, action.kind, action.path, caption=action.caption)
    if isinstance(action, cs.SendLocation):
        return await lab.send_location(wa_id, action.latitude, action.longitude, name=action.name)
    if isinstance(action, cs.SendContact):
        return await lab.send_contacts(wa_id, [{"name": action.name, "phone": action.phone}])
    if isinstance(action, cs.React):
        return await lab.react(wa_id, action.emoji, to_wamid=last_business_wamid)
    if isinstance(action, cs.ReplyTo):
        if last_business_wamid is None:
            raise LabError("nothing to reply to yet", fix="wait for the agent's first message, then /reply TEXT")
        return await lab.reply_to(wa_id, last_business_wamid, action.text)
    if isinstance(action, cs.Advance):
        await maybe_await(lab.advance(action.delta))
        return None
    if isinstance(action, cs.MarkRead):
        await maybe_await(lab.read(wa_id))
        return None
    raise LabError(f"cannot perform {type(action).__name__} here")


def tell_recorder(recorder: Any, action: cs.ComposerAction) -> None:
    """A clock move or a read is not a turn: the recorder is told of it after it is performed, so
    the replay moves the clock or opens the chat too."""
    if isinstance(action, cs.Advance):
        recorder.note_advance(action.text)
    elif isinstance(action, cs.MarkRead):
        recorder.note_step({"read": True})


def pending_summary(action: cs.ComposerAction) -> tuple[str, str, str]:
    """(kind, label, text) of the user's bubble shown at once, before the turn starts."""
    if isinstance(action, (cs.SendText, cs.SendLate)):
        return "text", "", action.text
    if isinstance(action, cs.Tap):
        return "button", "↩ reply", action.title
    if isinstance(action, cs.SendMedia):
        return action.kind, f"{action.kind} · {action.path.name}", action.caption or ""
    if isinstance(action, cs.SendLocation):
        return "location", "📍 location", f"{action.name or ''}\n{action.latitude}, {action.longitude}".strip()
    if isinstance(action, cs.SendContact):
        return "contacts", "👤 contact card", f"{action.name} · {action.phone}"
    if isinstance(action, cs.ReplyTo):
        return "text", "↩ reply", action.text
    if isinstance(action, cs.React):
        return "reaction", "", action.emoji
    return "text", "", ""
