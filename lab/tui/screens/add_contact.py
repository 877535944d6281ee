"""Add a simulated WhatsApp user."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from lab.conversation.phone import new_contact
from lab.errors import ConfigError


@dataclass(frozen=True)
class NewContact:
    name: str
    wa_id: str | None


class AddContactModal(ModalScreen[NewContact | None]):
    """Asks for a name and an optional phone number, written as people write them."""

    DEFAULT_CSS = """
    AddContactModal { align: center middle; }
    AddContactModal > Vertical { width: 64; max-width: 95%; height: auto; border: thick $primary; background: $surface;
                                 padding: 1 2; }
    AddContactModal Input { margin-bottom: 1; }
    AddContactModal Label { width: 100%; }  /* long texts wrap inside the dialog instead of being cut */
    AddContactModal #contact-error { color: $error; height: auto; }
    AddContactModal Horizontal { height: auto; align-horizontal: right; }
    """

    BINDINGS = [
        Binding(
            "escape",
            "dismiss(None)",
            "Cancel",
            id="add-contact-cancel",
            tooltip="Close without adding",
        )
    ]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("New contact")
            yield Input(placeholder="Name (e.g. Ana Lima)", id="contact-name")
            yield Input(
                placeholder="wa_id with country code (empty: generated)", id="contact-wa-id"
            )
            yield Label("", id="contact-error")
            with Horizontal():
                yield Button("Add", variant="primary", id="add")
                yield Button("Cancel", id="cancel")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "add":
            self._submit()
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        try:  # the core reads the number as people write it (+55 21 97777-1234, (11) 98765-4321)
            name, wa_id = new_contact(
                self.query_one("#contact-name", Input).value,
                self.query_one("#contact-wa-id", Input).value,
            )
        except ConfigError as exc:
            self.query_one("#contact-error", Label).update(
                f"{exc.what[0].upper()}{exc.what[1:]}: {exc.fix}."
            )
            return
        self.dismiss(NewContact(name, wa_id))
