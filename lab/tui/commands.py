"""Command palette providers: every key binding, contacts to switch to, prompt variants to apply."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any, Callable, Iterable

from textual.command import DiscoveryHit, Hit, Hits, Provider

from lab.conversation.actions import Advance
from lab.tui.screens.chat import ChatScreen
from lab.tui.session import contact_id, contact_name


class _ListProvider(Provider):
    """A provider over a list of (title, help, callback), built fresh when the palette opens."""

    def entries(self) -> Iterable[tuple[str, str, Callable[[], Any]]]:
        return []

    async def discover(self) -> Hits:
        for title, help_text, callback in self.entries():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self.entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)


def _chat_screen(provider: Provider) -> Any:
    for screen in reversed(provider.app.screen_stack):
        if isinstance(screen, ChatScreen):
            return screen
    return None


class ActionCommands(_ListProvider):
    """Each key binding of the app and the chat screen, as `group: action` (contextual labels)."""

    def entries(self) -> Iterable[tuple[str, str, Callable[[], Any]]]:
        # cycle: lab.tui.app imports this module
        from lab.tui.app import binding_table

        # lazy: start-up, the TUI paints first and loads this when it is used
        from lab.tui.screens.compare import CompareScreen

        screen = _chat_screen(self)
        compare = next(
            (s for s in reversed(self.app.screen_stack) if isinstance(s, CompareScreen)), None
        )
        for where, binding in binding_table(self.app):
            if where == "compare" and compare is not None:
                yield (
                    f"compare: {binding.description}",
                    f"{binding.tooltip}  (key: {binding.key.split(',')[0]})",
                    partial(self.app.run_action, binding.action, compare),
                )
                continue
            if where != "chat" and where != "app":
                continue
            title = binding.description
            if binding.id == "toggle-recording" and screen is not None:
                title = "Stop recording" if screen.recording else "Start recording…"
            if binding.id == "toggle-autopilot" and screen is not None:
                title = "Stop autopilot" if screen.autopilot else "Start autopilot…"
            key = binding.key_display or binding.key.split(",")[0]
            target = screen if where == "chat" else self.app
            if target is None:
                continue
            yield (
                f"{where}: {title}",
                f"{binding.tooltip}  (key: {key})",
                partial(self.app.run_action, binding.action, target),
            )


class ReviewCommands(_ListProvider):
    """Review the scenarios' snapshot changes turn by turn (`walab review`)."""

    def entries(self) -> Iterable[tuple[str, str, Callable[[], Any]]]:
        if hasattr(self.app, "action_review"):
            yield (
                "review: snapshot changes…",
                "Play the scenarios; accept, reject or skip each changed turn of their snapshots",
                self.app.action_review,
            )


class ContactCommands(_ListProvider):
    """Switch to any contact's thread."""

    def entries(self) -> Iterable[tuple[str, str, Callable[[], Any]]]:
        screen = _chat_screen(self)
        lab = getattr(self.app, "lab", None)
        if screen is None or lab is None:
            return
        for c in lab.contacts:
            wa_id = contact_id(c)
            if wa_id != screen.contact:
                yield (
                    f"contact: switch to {contact_name(c)}",
                    f"+{wa_id}",
                    partial(screen.show_contact, wa_id),
                )


class ClockCommands(_ListProvider):
    """Move the virtual clock (the 24-hour window is the usual reason)."""

    def entries(self) -> Iterable[tuple[str, str, Callable[[], Any]]]:
        screen = _chat_screen(self)
        if screen is None or getattr(self.app, "lab", None) is None:
            return
        for text, delta in (
            ("1h", timedelta(hours=1)),
            ("25h", timedelta(hours=25)),
            ("2d", timedelta(days=2)),
        ):
            yield (
                f"clock: advance {text}",
                "move the virtual clock forward (the 24-hour window)",
                partial(screen.start_action, Advance(delta, text)),
            )
