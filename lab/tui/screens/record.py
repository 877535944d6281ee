"""Name the scenario about to be recorded."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from lab.scenarios.recorder import scenario_slug


def slug(name: str) -> str:
    """A file name for a scenario name: accents dropped, lowercase, words joined by underscores."""
    return scenario_slug(name)


class RecordModal(ModalScreen[str | None]):
    """Asks for the scenario name; Enter starts recording."""

    DEFAULT_CSS = """
    RecordModal { align: center middle; }
    RecordModal > Vertical { width: 64; height: auto; border: thick $error; background: $surface; padding: 1 2; }
    RecordModal #record-hint { color: $text-muted; height: auto; width: 100%; }
    RecordModal #record-earlier { height: auto; width: 100%; margin-top: 1; }
    """

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel", id="record-cancel", tooltip="Do not record")
    ]

    def __init__(self, scenarios_dir: str, earlier: str = "") -> None:
        super().__init__()
        self.scenarios_dir = scenarios_dir
        self.earlier = earlier  # what of the conversation so far goes in front, when any

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Record this conversation as a scenario")
            yield Input(placeholder="Scenario name (e.g. lead asks for plans)", id="record-name")
            yield Label(
                f"Each finished turn is written at once to {self.scenarios_dir}/NAME.yaml",
                id="record-hint",
            )
            if self.earlier:
                yield Label(self.earlier, id="record-earlier")

    def on_input_changed(self, event: Input.Changed) -> None:
        name = slug(event.value) or "NAME"
        self.query_one("#record-hint", Label).update(
            f"Each finished turn is written at once to {self.scenarios_dir}/{name}.yaml"
        )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if slug(event.value):
            self.dismiss(event.value.strip())
        else:
            self.query_one("#record-hint", Label).update(
                "Give the scenario a name with letters or digits."
            )
