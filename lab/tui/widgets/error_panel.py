"""The error panel: what went wrong, where, and what to do. Never a traceback; the app keeps running."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
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
        out.append(
            "\n  fix: this is a walab bug if it repeats; the session is still usable",
            style="italic",
        )
    else:
        out.append("✖ " + str(error), style="bold")
    out.append("\n  (Esc to dismiss)", style="dim")
    return out


class ErrorPanel(VerticalScroll, can_focus=False):
    """Docked above the footer; hidden until an error arrives. A long explanation (a cassette miss
    names files and commands) scrolls inside the panel instead of losing its end."""

    DEFAULT_CSS = """
    ErrorPanel {
        dock: bottom;
        height: auto;
        max-height: 12;
        display: none;
        background: $error 25%;
        border: tall $error;
        padding: 0 1;
        scrollbar-size-vertical: 1;
        &.-shown { display: block; }
        #error-text { height: auto; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.last: BaseException | str | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="error-text")

    def show_error(self, error: BaseException | str) -> None:
        self.last = error
        self.query_one("#error-text", Static).update(error_text(error))
        self.add_class("-shown")
        self.scroll_home(animate=False)

    def dismiss(self) -> None:
        self.last = None
        self.remove_class("-shown")

    @property
    def shown(self) -> bool:
        return self.has_class("-shown")

    @property
    def text(self) -> str:
        """The plain text on show ("" when hidden)."""
        return error_text(self.last).plain if self.last is not None and self.shown else ""
