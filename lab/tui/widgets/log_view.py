"""The execution logs of the selected turn, streaming while the execution runs."""

from __future__ import annotations

from datetime import datetime, timezone

from rich.text import Text
from textual.widgets import RichLog

from lab.conversation.model import LogLine, Turn

LEVEL_STYLE = {
    "ERROR": "bold red",
    "WARN": "yellow",
    "WARNING": "yellow",
    "INFO": "cyan",
    "DEBUG": "dim",
    "TRACE": "dim",
}


def log_text(line: LogLine) -> Text:
    """One log line: time, level, task, message."""
    t = datetime.fromtimestamp(line.timestamp, timezone.utc).strftime("%H:%M:%S.%f")[:-3]
    out = Text(t + " ", style="dim")
    out.append(f"{line.level:<5} ", style=LEVEL_STYLE.get(line.level.upper(), ""))
    if line.task_id:
        out.append(f"{line.task_id} ", style="bold")
    out.append(line.message)
    return out


class LogView(RichLog):
    """A line-API log (virtualised by RichLog), refilled when the selected turn changes.

    Lines wrap at the panel's width (RichLog's default renders at least 78 columns, which the
    panel then clipped: the end of each long message was lost), and are wrapped again when the
    panel's width changes.
    """

    DEFAULT_CSS = """
    LogView { height: 1fr; background: $surface; border: none; padding: 0 1; scrollbar-gutter: stable; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            id=id, wrap=True, markup=False, highlight=False, max_lines=5000, min_width=8
        )
        self.turn_index: int | None = None
        self.turn: Turn | None = None
        self._count = 0
        self._wrapped_at = 0  # the width the lines were wrapped at (0: not rendered yet)

    def show_turn(self, turn: Turn | None) -> None:
        """Show every log line of a turn (called when the selection changes or the turn ends)."""
        self.clear()
        self._count = 0
        self.turn = turn
        self.turn_index = turn.index if turn else None
        if turn is None:
            self._write(Text("No logs yet.", style="dim"))
            return
        if not turn.logs:
            self._write(Text(f"Turn {turn.index}: no log lines.", style="dim"))
        for line in turn.logs:
            self.append_line(line)

    def append_line(self, line: LogLine) -> None:
        """Stream one more line (the turn in flight)."""
        if self._count == 0 and self.lines:
            self.clear()
        self._write(log_text(line))
        self._count += 1

    def _write(self, text: Text) -> None:
        self.write(text)
        # A hidden tab has no width (RichLog then wraps at its min_width): the next size rewraps.
        self._wrapped_at = self.scrollable_content_region.width

    def on_resize(self) -> None:
        # Runs before RichLog's own handler: the first size is RichLog's to use (deferred writes).
        # The turn on show holds every line (streamed ones too: the live turn gets them first).
        width = self.scrollable_content_region.width
        if not width:  # a hidden tab: keep the lines as they are
            return
        if self._size_known and width != self._wrapped_at:
            self.show_turn(self.turn)
        self._wrapped_at = width
