"""A yes/no question before something that changes files or costs money."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class ConfirmModal(ModalScreen[bool]):
    """Dismisses with True (the action's button, or Enter on it) or False (Cancel, Esc)."""

    DEFAULT_CSS = """
    ConfirmModal { align: center middle; }
    ConfirmModal > Vertical { width: 84; max-width: 95%; height: auto; border: thick $warning; background: $surface; padding: 1 2; }
    ConfirmModal #confirm-title { text-style: bold; }
    ConfirmModal #confirm-body { margin-top: 1; }
    ConfirmModal Horizontal { height: auto; margin-top: 1; }
    ConfirmModal Button { margin-right: 1; }
    """

    BINDINGS = [
        Binding("escape", "dismiss(False)", "Cancel", id="confirm-cancel", tooltip="Do nothing")
    ]

    def __init__(self, title: str, body: str, yes: str) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, id="confirm-title")
            yield Static(self.body, id="confirm-body", markup=False)
            with Horizontal():
                yield Button(self.yes, variant="warning", id="confirm-yes")
                yield Button("Cancel", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")
