"""Snapshot changes reviewed turn by turn (`walab review` in the TUI): expected and actual bubbles
side by side, the differing lines marked; accept, reject or skip each change, or all of its kind;
`w` writes what was accepted as --snapshot-update writes it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Label, Static

from lab.scenarios.review import ACCEPT, REJECT, SKIP, Change, Review, apply, decide


class ReviewScreen(Screen[list[str]]):
    """Walks `reviews`' changes; dismisses with the snapshot files written (escape: none)."""

    DEFAULT_CSS = """
    ReviewScreen #review-title { text-style: bold; padding: 0 1; }
    ReviewScreen #review-status { color: $text-muted; padding: 0 1; }
    ReviewScreen Horizontal { height: 1fr; }
    ReviewScreen .review-side { width: 1fr; border: round $primary; padding: 0 1; }
    ReviewScreen #review-actual { border: round $success; }
    """

    BINDINGS = [
        Binding(
            "a", "decide('accept')", "Accept", id="review-accept", tooltip="Accept this change"
        ),
        Binding(
            "r", "decide('reject')", "Reject", id="review-reject", tooltip="Reject this change"
        ),
        Binding("s", "decide('skip')", "Skip", id="review-skip", tooltip="Decide it later"),
        Binding(
            "A",
            "decide_kind('accept')",
            "Accept kind",
            id="review-accept-kind",
            tooltip="Accept every undecided change of this change's first kind",
        ),
        Binding(
            "R",
            "decide_kind('reject')",
            "Reject kind",
            id="review-reject-kind",
            tooltip="Reject every undecided change of this change's first kind",
        ),
        Binding("w", "write", "Write", id="review-write", tooltip="Write the accepted changes"),
        Binding("escape", "leave", "Back", id="review-back", tooltip="Leave without writing"),
    ]

    def __init__(self, reviews: list[Review]) -> None:
        super().__init__()
        self.reviews = reviews
        self.changes: list[Change] = [c for r in reviews for c in r.changes]
        self.position = 0
        self.written: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("", id="review-title")
            with Horizontal():
                yield Static("", id="review-expected", classes="review-side", markup=False)
                yield Static("", id="review-actual", classes="review-side", markup=False)
            yield Label("", id="review-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#review-expected", Static).border_title = "expected (stored)"
        self.query_one("#review-actual", Static).border_title = "actual (this run)"
        self.show()

    @property
    def current(self) -> Change | None:
        return self.changes[self.position] if self.position < len(self.changes) else None

    def show(self) -> None:
        change = self.current
        title = self.query_one("#review-title", Label)
        if change is None:
            title.update(self.summary())
            for side in ("expected", "actual"):
                self.query_one(f"#review-{side}", Static).update("")
        else:
            title.update(
                f"{change.case} · turn {change.turn} · {', '.join(change.kinds)}"
                f"   ({self.position + 1} of {len(self.changes)})"
            )
            left, right = change.lines("expected"), change.lines("actual")
            self.query_one("#review-expected", Static).update(_marked(left, right, "red"))
            self.query_one("#review-actual", Static).update(_marked(right, left, "green"))
        self.query_one("#review-status", Label).update(self.counts())

    def counts(self) -> str:
        n = {d: sum(1 for c in self.changes if c.decision == d) for d in (ACCEPT, REJECT, SKIP)}
        return f"{n[ACCEPT]} accepted · {n[REJECT]} rejected · {n[SKIP]} undecided"

    def summary(self) -> str:
        if self.written:
            return f"written: {', '.join(self.written)}"
        if not self.changes:
            return "no snapshot changes to review"
        return "every change seen: w writes the accepted ones, escape leaves"

    def action_decide(self, decision: str) -> None:
        change = self.current
        if change is None:
            return
        change.decision = decision
        self.position += 1
        self.show()

    def action_decide_kind(self, decision: str) -> None:
        change = self.current
        if change is None:
            return
        decide(self.changes, decision, change.kinds[0])
        while self.current is not None and self.current.decision != SKIP:
            self.position += 1
        self.show()

    def action_write(self) -> None:
        self.written = [str(r.path) for r in self.reviews if apply(r)]
        self.position = len(self.changes)
        self.show()
        self.notify(
            f"{len(self.written)} snapshot(s) written" if self.written else "nothing accepted"
        )

    def action_leave(self) -> None:
        self.dismiss(self.written)


def _marked(lines: list[str], other: list[str], colour: str) -> Text:
    """The lines, those that differ from the other side's line in `colour` and marked `≠`."""
    text = Text()
    for i, line in enumerate(lines):
        differs = i >= len(other) or other[i] != line
        text.append(("≠ " if differs else "  ") + line + "\n", style=colour if differs else "")
    return text
