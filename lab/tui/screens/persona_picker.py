"""Choose the persona the autopilot plays in the chat (those written for the chat's flow first)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from lab.simulate.autopilot import PersonaChoice


class PersonaPickerModal(ModalScreen[PersonaChoice | None]):
    """Pick one persona; Enter or a click starts the autopilot with it."""

    DEFAULT_CSS = """
    PersonaPickerModal { align: center middle; }
    PersonaPickerModal > Vertical { width: 80; height: auto; max-height: 80%; border: thick $primary; background: $surface; padding: 0 1; }
    PersonaPickerModal OptionList { height: auto; max-height: 24; border: none; }
    """

    BINDINGS = [
        Binding(
            "escape",
            "dismiss(None)",
            "Close",
            id="persona-picker-close",
            tooltip="Close without starting the autopilot",
        )
    ]

    def __init__(self, choices: list[PersonaChoice], flow: str) -> None:
        super().__init__()
        self.choices = choices
        self.flow = flow

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text("Autopilot: who chats with the agent?", style="bold"))
            options = []
            for i, choice in enumerate(self.choices):
                label = Text(choice.name, style="bold")
                if choice.flow != self.flow:
                    label.append(f"  (written for {choice.flow})", style="yellow")
                if choice.goal:
                    label.append("\n" + choice.goal, style="dim")
                options.append(Option(label, id=str(i)))
            yield OptionList(*options, id="persona-options")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.choices[int(event.option.id or 0)])
