"""The simulated WhatsApp users, one thread each; choosing one switches the chat pane."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from lab.tui.session import contact_id, contact_name


class ContactList(OptionList):
    """Lists contacts (name, wa_id, turns so far); posts `ContactChosen`."""

    DEFAULT_CSS = """
    ContactList {
        width: 22;
        height: 1fr;
        border: none;
        border-right: vkey $primary 30%;
        background: $surface;
        padding: 0;
        &:focus { border-right: vkey $accent; }
    }
    """

    BORDER_TITLE = "Contacts"

    @dataclass
    class ContactChosen(Message):
        """The person switched to this contact's thread."""

        contact_list: "ContactList"
        wa_id: str

        @property
        def control(self) -> "ContactList":
            return self.contact_list

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.tooltip = (
            "Simulated WhatsApp users: click one or press Ctrl+N to switch threads. "
            "'N turns': the messages this user sent that the agent handled."
        )
        self.current: str | None = None
        self._ids: list[str] = []

    def show_contacts(
        self, contacts: list[Any], current: str | None, turns: dict[str, int]
    ) -> None:
        """Render the contacts, highlighting the current thread."""
        self.current = current
        self._ids = [contact_id(c) for c in contacts]
        options = []
        for c in contacts:
            wa_id = contact_id(c)
            label = Text()
            label.append(
                ("● " if wa_id == current else "  ") + contact_name(c) + "\n",
                style="bold" if wa_id == current else "",
            )
            label.append(f"  +{wa_id}", style="dim")
            n = turns.get(wa_id, 0)
            if n:  # said in words: a bare "· 2" read as an unread count
                label.append(f"\n  {n} turn{'s' if n != 1 else ''}", style="dim italic")
            options.append(Option(label, id=wa_id))
        self.set_options(options)
        if current in self._ids:
            self.highlighted = self._ids.index(current)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.ContactChosen(self, event.option.id))
