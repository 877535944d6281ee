"""The help screen: every key binding (with its id) and every composer command."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from lab.conversation.composer import USAGE


def help_renderable(bindings: list[tuple[str, Binding]]) -> Table:
    """Keys grouped by where they work, then the composer's commands."""
    table = Table(box=None, expand=True, show_header=True, header_style="bold", pad_edge=False)
    table.add_column("key", no_wrap=True, style="bold cyan")
    table.add_column("action")
    table.add_column("id", style="dim", no_wrap=True)
    group = None
    for where, b in bindings:
        if where != group:
            group = where
            table.add_row(Text(where, style="bold underline"), "", "")
        key = b.key_display or b.key.split(",")[0]
        table.add_row(key, b.tooltip or b.description, b.id or "")
    table.add_row("", "", "")
    table.add_row(Text("composer", style="bold underline"), "", "")
    table.add_row("text", "send it as the user's message", "")
    for usage, what in USAGE.items():
        table.add_row(usage, what, "")
    table.add_row("up / down", "recall what you sent before", "")
    table.add_row("ctrl+p", "command palette: every action by name", "")
    return table


class HelpScreen(ModalScreen[None]):
    """Lists keys and commands; Esc or F1 closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 100; max-width: 95%; height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    HelpScreen Static { width: 1fr; height: auto; }
    """

    BINDINGS = [
        Binding(
            "escape,f1,q",
            "dismiss(None)",
            "Close help",
            id="help-close",
            tooltip="Back to the chat",
        )
    ]

    def __init__(
        self, bindings: list[tuple[str, Binding]], access: list[str] | None = None
    ) -> None:
        super().__init__()
        self.bindings = bindings
        self.access = access or []  # a served lab: its endpoints and where their credentials are

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "walab · keys and commands (Esc closes)"
            yield Static(
                Text(
                    "Chat as a WhatsApp user with your Kestra agent flow. Click a bubble to see "
                    "its turn in the side panel.\n",
                    style="italic",
                )
            )
            yield Static(help_renderable(self.bindings))
            if self.access:
                yield Static(Text("\n" + "\n".join(self.access), style="dim"))
