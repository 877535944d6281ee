"""The header: target, flow, LLM mode, the virtual clock and the recorder's state."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

MODE_STYLE = {"live": "bold red", "record": "bold magenta", "replay": "bold green", "scripted": "bold yellow"}


class LabHeader(Static):
    """One line of session facts; the app updates its reactives."""

    DEFAULT_CSS = """
    LabHeader {
        dock: top;
        height: 1;
        width: 1fr;
        background: $primary 30%;
        color: $text;
        padding: 0 1;
    }
    """

    target: reactive[str] = reactive("opening…")
    flow: reactive[str] = reactive("")
    llm_mode: reactive[str] = reactive("")
    now: reactive[datetime | None] = reactive(None)
    offset_h: reactive[float] = reactive(0.0)
    failed: reactive[bool] = reactive(False)  # the session failed to open: the target is not there
    recording: reactive[str] = reactive("")  # "name · 3 turns" while recording

    def render(self) -> Text:
        out = self._facts(compact=False)
        if self.size.width and out.cell_len > self.size.width:  # a narrow terminal: the clock must stay
            out = self._facts(compact=True)
        return out

    def _facts(self, *, compact: bool) -> Text:
        """The header line; compact drops the target's detail ("embedded (Kestra 1.3 API)" -> "embedded")."""
        out = Text()
        out.append("walab", style="bold")
        if self.recording:  # first: it is what the person must not forget
            out.append("  ● REC ", style="bold red")
            out.append(self.recording)
        out.append("  ⛁ ", style="dim")
        if self.failed:
            out.append("✖ session failed · F10 reconnects", style="bold red")
            return out
        out.append(self.target.split(" (", 1)[0] if compact else self.target)
        if self.flow:
            out.append("  ⚙ ", style="dim")
            out.append(self.flow.rsplit(".", 1)[-1])  # the flow id; the namespace is in walab.yaml
        if self.llm_mode:
            out.append("  LLM ", style="dim")
            out.append(self.llm_mode, style=MODE_STYLE.get(self.llm_mode, "bold"))
        if self.now is not None:
            out.append("  ◷ ", style="dim")
            out.append(self.now.strftime("%Y-%m-%d %H:%M") + "Z")
            if self.offset_h:
                out.append(f" (+{self.offset_h:g}h)", style="bold yellow")
        return out
