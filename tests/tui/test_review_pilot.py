"""The review screen: a snapshot's changed turns shown expected | actual, accepted and rejected by
key, of one kind at once, and written as --snapshot-update writes them (Pilot)."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.widgets import Label, Static

from lab import yamlio
from lab.scenarios.review import review_of
from lab.scenarios.snapshot import HEADER
from lab.tui.screens.review import ReviewScreen


def _turn(n: int, text: str, state: str = "SUCCESS") -> dict:
    return {
        "turn": n,
        "from": "5511987654321",
        "user": f"mensagem {n}",
        "replies": [{"type": "text", "text": text, "delivery": "read"}],
        "executions": [{"id": f"execution#{n}", "flow": "f/x", "state": state, "tasks": []}],
    }


def _snapshot(*turns: dict) -> str:
    doc = {"scenario": "price", "flow": "f.x", "llm": "scripted", "turns": list(turns)}
    doc["totals"] = {"turns": len(turns), "tokens_in": 0, "tokens_out": 0, "cost_usd": 0}
    return HEADER + yamlio.dumps(doc)


class _ReviewApp(App[None]):
    def __init__(self, screen: ReviewScreen) -> None:
        super().__init__()
        self.review_screen = screen

    def on_mount(self) -> None:
        self.push_screen(self.review_screen)


def _reviews(tmp_path: Path):
    stored = _snapshot(_turn(1, "Olá!"), _turn(2, "Custa R$ 99."), _turn(3, "Até logo"))
    actual = _snapshot(
        _turn(1, "Oi, tudo bem?"), _turn(2, "Custa R$ 129."), _turn(3, "Até logo", "FAILED")
    )
    path = tmp_path / "__snapshots__" / "price" / "price.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(stored)
    return [review_of("price", path, stored, actual)], path, stored, actual


async def test_accept_and_reject_turn_by_turn_then_write(tmp_path: Path) -> None:
    reviews, path, stored, _actual = _reviews(tmp_path)
    screen = ReviewScreen(reviews)
    async with _ReviewApp(screen).run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        title = screen.query_one("#review-title", Label)
        assert "price · turn 1 · text" in str(title.render())
        expected = str(screen.query_one("#review-expected", Static).render())
        actual = str(screen.query_one("#review-actual", Static).render())
        assert "≠ bot: Olá!" in expected and "≠ bot: Oi, tudo bem?" in actual
        await pilot.press("a")  # turn 1 accepted
        assert "turn 2" in str(title.render())
        await pilot.press("r")  # turn 2 rejected
        assert "turn 3 · state" in str(title.render())
        await pilot.press("s")  # turn 3 left for later
        assert "1 accepted · 1 rejected · 1 undecided" in str(
            screen.query_one("#review-status", Label).render()
        )
        await pilot.press("w")
        await pilot.pause()
        assert screen.written == [str(path)]
    text = path.read_text()
    assert "Oi, tudo bem?" in text and "Custa R$ 99." in text and "Custa R$ 129." not in text
    assert "state: FAILED" not in text  # the skipped turn keeps what was stored


async def test_accepting_a_kind_accepts_every_change_of_it_and_writes_this_run(
    tmp_path: Path,
) -> None:
    reviews, path, _stored, actual = _reviews(tmp_path)
    screen = ReviewScreen(reviews)
    async with _ReviewApp(screen).run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("A")  # every text change: turns 1 and 2
        assert "turn 3 · state" in str(screen.query_one("#review-title", Label).render())
        await pilot.press("a", "w")
        await pilot.pause()
    assert path.read_text() == actual  # all accepted: exactly this run's snapshot


async def test_escape_leaves_without_writing(tmp_path: Path) -> None:
    reviews, path, stored, _actual = _reviews(tmp_path)
    screen = ReviewScreen(reviews)
    async with _ReviewApp(screen).run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("a", "escape")
        await pilot.pause()
        assert not isinstance(pilot.app.screen, ReviewScreen)
    assert path.read_text() == stored
