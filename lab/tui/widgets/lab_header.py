"""The header: target, flow, LLM mode, the virtual clock and the recorder's state."""

from __future__ import annotations

import re
from datetime import datetime

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

_VERSION = re.compile(r"Kestra v?(\d[\w.-]*)")
MODE_STYLE = {
    "live": "bold red",
    "record": "bold magenta",
    "replay": "bold green",
    "scripted": "bold yellow",
}


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
        if (
            self.size.width and out.cell_len > self.size.width
        ):  # a narrow terminal: the clock must stay
            out = self._facts(compact=True)
        if (
            self.size.width and out.cell_len > self.size.width
        ):  # narrower still: the version goes too
            out = self._facts(compact=True, version=False)
        return out

    def _facts(self, *, compact: bool, version: bool = True) -> Text:
        """The header line; compact shortens the target ("embedded (Kestra 2.0 API)" -> "embedded 2.0")."""
        out = Text()
        out.append("walab", style="bold")
        if self.recording:  # first: it is what the person must not forget
            out.append("  ● REC ", style="bold red")
            out.append(self.recording)
        out.append("  ⛁ ", style="dim")
        if self.failed:
            out.append("✖ session failed · F10 reconnects", style="bold red")
            return out
        out.append(_compact(self.target, version) if compact else self.target)
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


def _compact(target: str, keep_version: bool = True) -> str:
    """The target without its detail, keeping the Kestra version (the API the flows run against) if asked."""
    name, _, detail = target.partition(" (")
    version = _VERSION.search(detail) if keep_version else None
    return f"{name} {version.group(1)}" if version else name
