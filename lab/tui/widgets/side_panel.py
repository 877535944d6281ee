"""The side panel: Timeline, Logs, Tokens & cost and Payloads of the selected turn."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static, TabbedContent, TabPane

from lab.conversation.model import LogLine, Turn
from lab.tui.widgets.cost_view import CostView
from lab.tui.widgets.log_view import LogView
from lab.tui.widgets.payload_view import PayloadView
from lab.tui.widgets.timeline_view import TimelineView

TABS = ("timeline", "logs", "cost", "payloads")


def pinned_position(turn: Turn | None, conversation: list[Turn]) -> str:
    """`turn 6 of 7 · pinned · Esc: latest`: where a chosen turn sits in its conversation."""
    indexes = [t.index for t in conversation]
    if turn is None or turn.index not in indexes:
        return ""
    return f"turn {indexes.index(turn.index) + 1} of {len(indexes)} · pinned · Esc: latest"


class SidePanel(Vertical):
    """Shows one turn in four tabs; only the visible tab renders (payloads can be large)."""

    DEFAULT_CSS = """
    SidePanel {
        width: 48;
        height: 1fr;
        border-left: vkey $primary 30%;
        TabbedContent { height: 1fr; }
        ContentSwitcher { height: 1fr; }
        TabPane { padding: 0; height: 1fr; }
        #turn-pin { height: 1; padding: 0 1; background: $warning 25%; display: none; }
        &.-pinned #turn-pin { display: block; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.turn: Turn | None = None
        self.conversation: list[Turn] = []
        self.session: list[Turn] = []
        self.pinned = False  # the person chose the turn on show: new turns do not replace it
        self._stale: set[str] = set(TABS)

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one(TabbedContent)

    @property
    def active(self) -> str:
        return self.tabs.active

    @active.setter
    def active(self, tab: str) -> None:
        self.tabs.active = tab

    def compose(self) -> ComposeResult:
        yield Static("", id="turn-pin", markup=False)
        with TabbedContent(initial="timeline"):
            with TabPane("Timeline", id="timeline"):
                with VerticalScroll():
                    yield TimelineView(id="timeline-view")
            with TabPane("Logs", id="logs"):
                yield LogView(id="log-view")
            with TabPane("Tokens·$", id="cost"):
                with VerticalScroll():
                    yield CostView(id="cost-view")
            with TabPane("Payloads", id="payloads"):
                yield PayloadView(id="payload-view")

    def show_turn(
        self,
        turn: Turn | None,
        conversation: list[Turn],
        session: list[Turn],
        *,
        pinned: bool = False,
    ) -> None:
        """Follow a turn (the latest), or show one the person chose (`pinned`: F7/F8, a click)."""
        self.turn, self.conversation, self.session = turn, conversation, session
        self.pinned = pinned
        position = pinned_position(turn, conversation) if pinned else ""
        self.set_class(bool(position), "-pinned")
        self.query_one("#turn-pin", Static).update(position)
        self._stale = set(TABS)
        self._render_active()

    def log_arrived(self, turn_index: int, line: LogLine) -> None:
        """Stream a log line when it belongs to the turn on show."""
        if self.turn is not None and self.turn.index == turn_index and "logs" not in self._stale:
            self.query_one(LogView).append_line(line)

    def next_tab(self) -> None:
        i = TABS.index(self.active) if self.active in TABS else 0
        self.active = TABS[(i + 1) % len(TABS)]

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self._render_active()

    def _render_active(self) -> None:
        tab = self.active
        if tab not in self._stale or not self.is_mounted:
            return
        self._stale.discard(tab)
        if tab == "timeline":
            self.query_one(TimelineView).show_turn(self.turn)
        elif tab == "logs":
            self.query_one(LogView).show_turn(self.turn)
        elif tab == "cost":
            self.query_one(CostView).show_turn(self.turn, self.conversation, self.session)
        elif tab == "payloads":
            self.query_one(PayloadView).show_turn(self.turn)
