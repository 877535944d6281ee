"""WhatsApp's list picker: the rows of an interactive list, grouped by section."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from lab.tui.chat_items import ChatItem, Choice


class ListPickerModal(ModalScreen[Choice | None]):
    """Pick one row; Enter or a click sends it as the list reply."""

    DEFAULT_CSS = """
    ListPickerModal { align: center middle; }
    ListPickerModal > Vertical { width: 60; height: auto; max-height: 80%; border: thick $primary; background: $surface; padding: 0 1; }
    ListPickerModal OptionList { height: auto; max-height: 24; border: none; }
    """

    BINDINGS = [
        Binding(
            "escape",
            "dismiss(None)",
            "Close",
            id="list-picker-close",
            tooltip="Close without choosing",
        )
    ]

    def __init__(self, item: ChatItem) -> None:
        super().__init__()
        self.item = item

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.item.list_button, style="bold"))
            options: list[Option | None] = []
            section = None
            for i, row in enumerate(self.item.rows):
                if row.section and row.section != section:
                    section = row.section
                    options.append(Option(Text(section, style="bold dim"), disabled=True))
                label = Text(row.title)
                if row.description:
                    label.append("\n" + row.description, style="dim")
                options.append(Option(label, id=str(i)))
            yield OptionList(*options)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.item.rows[int(event.option.id or 0)])
