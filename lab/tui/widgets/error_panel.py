"""The error panel: what went wrong, where, and what to do. Never a traceback; the app keeps running."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from lab.errors import LabError


def error_text(error: BaseException | str) -> Text:
    """A readable error: LabError's what/where/fix, or the exception's type and message."""
    out = Text()
    if isinstance(error, LabError):
        out.append("✖ " + error.what, style="bold")
        if error.where:
            out.append("\n  where: " + error.where)
        if error.fix:
            out.append("\n  fix: " + error.fix, style="italic")
    elif isinstance(error, BaseException):
        out.append(f"✖ {type(error).__name__}: {error}", style="bold")
        out.append("\n  fix: this is a walab bug if it repeats; the session is still usable", style="italic")
    else:
        out.append("✖ " + str(error), style="bold")
    out.append("\n  (Esc to dismiss)", style="dim")
    return out


class ErrorPanel(Static):
    """Docked above the footer; hidden until an error arrives."""

    DEFAULT_CSS = """
    ErrorPanel {
        dock: bottom;
        height: auto;
        max-height: 8;
        display: none;
        background: $error 25%;
        border: tall $error;
        padding: 0 1;
        &.-shown { display: block; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.last: BaseException | str | None = None

    def show_error(self, error: BaseException | str) -> None:
        self.last = error
        self.update(error_text(error))
        self.add_class("-shown")

    def dismiss(self) -> None:
        self.last = None
        self.remove_class("-shown")

    @property
    def shown(self) -> bool:
        return self.has_class("-shown")
