"""Fixtures for the TUI tests: apps on a scripted or real lab, settling, and SVG snapshots."""

from __future__ import annotations

import difflib
import html
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode
from waiting import eventually

from .fake_lab import FakeLab

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT_SIZE = (120, 36)  # one size for every snapshot
CLOCK = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
MARIA = "5511987654321"
JOAO = "5521998765432"


class SVGSnapshot(SingleFileSnapshotExtension):
    """One .svg file per snapshot, text mode (reviewable diffs)."""

    file_extension = "svg"
    _write_mode = WriteMode.TEXT


_TERMINAL_ID = re.compile(r"terminal-\d+")


_SVG_TEXT = re.compile(
    r'<text class="terminal-[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]*)</text>'
)


def screen_lines(svg: str) -> list[str]:
    """The text a person sees in a screenshot SVG, line by line (colours left out)."""
    rows: dict[float, list[tuple[float, str]]] = {}
    for x, y, text in _SVG_TEXT.findall(svg):
        rows.setdefault(float(y), []).append((float(x), html.unescape(text).replace("\xa0", " ")))
    return ["".join(t for _, t in sorted(parts)).rstrip() for _, parts in sorted(rows.items())]


def explain_svg_mismatch(stored_path: Path, svg: str) -> str:
    """What differs from the stored snapshot, as text lines; the screen is kept in out/ to look at."""
    failed = ROOT / "out" / "snapshot-failures" / stored_path.name
    failed.parent.mkdir(parents=True, exist_ok=True)
    failed.write_text(svg, encoding="utf-8")
    stored = stored_path.read_text(encoding="utf-8") if stored_path.exists() else ""
    diff = difflib.unified_diff(
        screen_lines(stored), screen_lines(svg), "stored", "this run", lineterm="", n=1
    )
    text = "\n".join(diff) or "(same text: only colours or styles differ)"
    return f"the screen differs from {stored_path.name} (this run's screen: {failed}):\n{text}"


def normalise_svg(svg: str) -> str:
    """Textual numbers its CSS classes per run (terminal-1234-r1): make them stable."""
    return _TERMINAL_ID.sub("terminal", svg)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project's flows and prompts, so tests may edit prompts and record scenarios."""
    for name in ("flows", "prompts"):
        shutil.copytree(ROOT / name, tmp_path / name)
    for name in ("templates.yaml",):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "scenarios").mkdir()
    return tmp_path


@pytest.fixture
def make_fake_app(project: Path) -> Callable[..., Any]:
    """`make_fake_app(history=0)`: the app on a scripted FakeLab (deterministic, frozen clock)."""

    def make(history: int = 0, flow: str = "lead_qualification", **kw: Any) -> Any:
        from lab.config import Settings
        from lab.tui.app import WalabApp

        settings = Settings(project_dir=project, flow=flow, llm_mode="scripted")
        app = WalabApp(
            lambda: FakeLab.open(history=history, settings=settings),
            settings,
            clock_interval=0,
            **kw,
        )
        app.animation_level = "none"
        return app

    return make


@pytest.fixture
def make_real_app(project: Path) -> Callable[..., Any]:
    """`make_real_app(flow=..., scripted=[...])`: the app on the real Lab, embedded engine, frozen clock."""

    def make(flow: str = "lead_qualification", scripted: list | None = None, **kw: Any) -> Any:
        from lab.config import load_settings
        from lab.conversation.lab import Lab
        from lab.llm.scripted import ScriptedReplies
        from lab.tui.app import WalabApp

        settings = load_settings(
            project, env={}, flow=flow, llm_mode="scripted" if scripted is not None else "replay"
        )
        replies = ScriptedReplies(scripted, source="test") if scripted is not None else None
        app = WalabApp(
            lambda: Lab.open(settings, clock_start=CLOCK, scripted=replies),
            settings,
            clock_interval=0,
            **kw,
        )
        app.animation_level = "none"
        return app

    return make


async def settle(pilot: Any) -> None:
    """Wait for every worker but the session's own (which lives as long as the app), then repaint."""
    app = pilot.app
    for _ in range(3):
        busy = [w for w in app.workers if w.group != "lab" and not w.is_finished]
        if busy:
            await app.workers.wait_for_complete(busy)
        await pilot.pause()


async def opened(pilot: Any) -> None:
    """Wait until the lab session is open and shown."""
    await eventually(
        lambda: pilot.app.lab is not None and pilot.app.chat.lab is not None,
        "the lab session to open",
        pause=pilot.pause,
        step=0.02,
    )
    await settle(pilot)
    no_blink(pilot.app)


def no_blink(app: Any) -> None:
    """No cursor blink: a blinking cursor makes snapshots flaky."""
    from textual.widgets import Input, TextArea

    for widget in app.screen.query(Input):
        widget.cursor_blink = False
    for widget in app.screen.query(TextArea):
        widget.cursor_blink = False
        # Its line cache forgets the blink phase: a focused editor otherwise kept the cursor as last
        # painted (drawn or not, depending on the machine's load); without blinking it is drawn.
        widget.notify_style_update()
        widget.refresh()


async def send(pilot: Any, text: str) -> None:
    """Type into the composer and press Enter, then wait for the turn."""
    from lab.tui.widgets.composer import Composer

    composer = pilot.app.screen.query_one(Composer)
    composer.focus()
    composer.value = text
    await pilot.press("enter")
    await settle(pilot)


def texts(app: Any) -> list[str]:
    """The chat's bubbles' texts, in order."""
    return [b.item.text for b in app.chat.query(".bubble")]


async def steady_screenshot(pilot: Any, tries: int = 20) -> str:
    """The screen once two screenshots in a row agree: under load a table can still be laying out
    its columns (header drawn at the old widths) when the workers are done."""
    svg = normalise_svg(pilot.app.export_screenshot(title="walab"))
    for _ in range(tries):
        await pilot.pause(0.05)
        again = normalise_svg(pilot.app.export_screenshot(title="walab"))
        if again == svg:
            break
        svg = again
    return svg


@pytest.fixture
def svg_snapshot(snapshot: Any) -> Callable[[Any], Any]:
    """`await svg_snapshot(pilot)` compares the screen with tests/tui/__snapshots__/<test>.svg."""

    async def take(pilot: Any) -> bool:
        await settle(pilot)
        no_blink(pilot.app)
        await pilot.pause()
        svg = await steady_screenshot(pilot)
        assertion = snapshot(extension_class=SVGSnapshot)
        stored = Path(
            assertion.extension.get_location(
                test_location=assertion.test_location, index=assertion.index
            )
        )
        if assertion == svg:
            return True
        raise AssertionError(explain_svg_mismatch(stored, svg))

    return take
