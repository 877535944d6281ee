"""Restart a conversation: the same user with memory cleared, or a brand-new user."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label


class RestartModal(ModalScreen[str | None]):
    """Dismisses with "same", "new" or None."""

    DEFAULT_CSS = """
    RestartModal { align: center middle; }
    RestartModal > Vertical { width: 72; max-width: 95%; height: auto; border: thick $warning; background: $surface;
                              padding: 1 2; }
    RestartModal Label { width: 100%; }  /* long texts wrap inside the dialog instead of being cut */
    RestartModal Horizontal { height: auto; margin-top: 1; }
    RestartModal Button { margin-right: 1; }
    """

    BINDINGS = [
        Binding(
            "escape",
            "dismiss(None)",
            "Cancel",
            id="restart-cancel",
            tooltip="Keep the conversation",
        )
    ]

    def __init__(self, name: str) -> None:
        super().__init__()
        self.contact = name

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Restart the conversation with {self.contact}?")
            yield Label(
                "Same user: the agent forgets the conversation (memory cleared).\n"
                "New user: a new contact with a new wa_id starts from scratch.",
                classes="muted",
            )
            with Horizontal():
                yield Button("Same user", variant="warning", id="same")
                yield Button("New user", variant="primary", id="new")
                yield Button("Cancel", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None if event.button.id == "cancel" else event.button.id)
