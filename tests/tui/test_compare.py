"""Pilot tests of the compare view: run a matrix, read it, cancel it, promote the winner."""

from __future__ import annotations

import asyncio
import importlib.util
import shutil
from pathlib import Path
from typing import Any

import pytest
from waiting import eventually

from lab.tui.screens.compare import CompareScreen
from lab.tui.screens.confirm import ConfirmModal
from lab.tui.screens.prompts import PromptScreen
from lab.tui.session import active_prompt

from .conftest import ROOT, SNAPSHOT_SIZE, opened, settle

VARIANTS = ["whatsapp_agent.default", "whatsapp_agent.concise"]
HELLO = (
    "version: 1\nname: hello\nflow: company.whatsapp/whatsapp_agent\nsteps:\n"
    "  - user: Olá\n    expect: {contains: Você disse}\n  - user: menu\n"
)


def _scenario_fake_lab() -> Any:
    """The scenario tests' in-memory Lab: its echo depends on the prompt (concise says "Disse")."""
    spec = importlib.util.spec_from_file_location(
        "walab_scenario_fake_lab", ROOT / "tests" / "scenarios" / "fake_lab.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.FakeLab


@pytest.fixture
def hello_project(project: Path) -> Path:
    (project / "scenarios" / "whatsapp_agent").mkdir()
    (project / "scenarios" / "whatsapp_agent" / "hello.yaml").write_text(HELLO, encoding="utf-8")
    return project


class ScriptedPlayers:
    """A player factory on the in-memory lab; `block_from` makes later cells wait until cancelled."""

    def __init__(self, project: Path, block_from: int | None = None) -> None:
        self.project = project
        self.block_from = block_from
        self.made: list[dict[str, Any]] = []
        self.fake = _scenario_fake_lab()

    def __call__(self, **kw: Any) -> Any:
        from lab.scenarios.player import Player

        self.made.append(kw)
        player = Player(lab_factory=self.fake.open, project_dir=self.project, **kw)
        if self.block_from is not None and len(self.made) >= self.block_from:
            return _Stuck()
        return player


class _Stuck:
    async def play(self, case: Any) -> Any:
        await asyncio.sleep(60)  # a slow live cell: only a cancel ends it


async def open_compare(pilot: Any, *, palette: bool = False) -> CompareScreen:
    """Open the compare view with its key, or from the command palette as a person would."""
    if palette:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Compare")
        await pilot.pause(0.3)
        await pilot.press("enter")
    else:
        await pilot.press("f6")
    await settle(pilot)
    assert isinstance(pilot.app.screen, CompareScreen)
    return pilot.app.screen


async def run_and_wait(pilot: Any) -> None:
    await pilot.press("f5")
    await settle(pilot)
    screen = pilot.app.screen
    await eventually(
        lambda: not screen.running, "the compare run to finish", pause=pilot.pause, step=0.02
    )
    await settle(pilot)


def matrix(screen: CompareScreen) -> list[list[str]]:
    from textual.widgets import DataTable

    table = screen.query_one(DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_replay_compare_of_two_variants_over_a_bundled_scenario(
    project: Path, make_fake_app
) -> None:
    """The real player on the embedded engine replays greeting_plans under both variants (each has a
    cassette recorded against the stub model): the concise one fails its checks, with a word diff."""
    shutil.copytree(ROOT / "scenarios" / "whatsapp_agent", project / "scenarios" / "whatsapp_agent")
    app = make_fake_app(flow="whatsapp_agent")
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        screen = await open_compare(pilot, palette=True)
        await pilot.press("f7")  # auto -> replay
        await settle(pilot)
        request = screen.request()
        assert [p.name for p in request.scenarios] == [
            "greeting_plans.yaml"
        ]  # the one with a cassette
        assert request.variants == VARIANTS and request.mode == "replay"
        await run_and_wait(pilot)
        rows = matrix(screen)
        assert [r[:3] for r in rows] == [
            ["greeting_plans", "whatsapp_agent.default", "✔ pass"],
            ["greeting_plans", "whatsapp_agent.concise", "✖ FAIL"],
        ]
        assert rows[0][3] == "10/10" and rows[0][5].startswith("$") and rows[1][5].startswith("$")
        baseline, concise = screen.result.cells[0], screen.result.cells[1]
        assert baseline.turns[0].replies[0].startswith("Olá! Sou a Sol")
        assert (
            concise.turns[0].replies[0]
            == "Olá! Sou a Sol, da Solar Sul Energia. Como posso ajudar?\n[Ver planos]"
        )
        assert not concise.cassette_miss  # replayed, not a miss: its replies differ
        await pilot.press("down")
        await settle(pilot)
        failures = str(screen.query_one("#compare-failures").render())
        assert "whatsapp_agent.concise failed" in failures and "no recording" not in failures
        assert "done 2/2 cells" in str(screen.query_one("#compare-progress").render())


async def test_a_never_recorded_variant_fails_with_a_replay_miss_and_says_so(
    project: Path, make_fake_app
) -> None:
    shutil.copytree(ROOT / "scenarios" / "whatsapp_agent", project / "scenarios" / "whatsapp_agent")
    (project / "scenarios" / "whatsapp_agent" / "greeting_plans.concise.cassette.yaml").unlink()
    app = make_fake_app(flow="whatsapp_agent")
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        screen = await open_compare(pilot, palette=True)
        await pilot.press("f7")  # auto -> replay: the cassette scenario alone
        await settle(pilot)
        await run_and_wait(pilot)
        rows = matrix(screen)
        # The miss used no tokens: it cost nothing, not "price unknown" (gpt-4o-mini's price is known).
        assert [r[2] for r in rows] == ["✔ pass", "✖ FAIL"] and rows[1][5].startswith("$0.0")
        await pilot.press("down")
        await settle(pilot)
        assert "whatsapp_agent.concise failed" in str(
            screen.query_one("#compare-failures").render()
        )


async def test_matrix_and_word_diff_side_by_side(hello_project: Path, make_fake_app) -> None:
    players = ScriptedPlayers(hello_project)
    app = make_fake_app(flow="whatsapp_agent", player_factory=players)
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        screen = await open_compare(pilot)
        await pilot.press(
            "f7", "f7"
        )  # auto -> replay -> scripted: the mode goes to every cell's player
        await settle(pilot)
        scenarios = screen.query_one("#compare-scenarios")
        assert (
            scenarios.selected == []
        )  # hello has no scripted replies: the mode does not pre-tick it
        scenarios.select(str(hello_project / "scenarios" / "whatsapp_agent" / "hello.yaml"))
        await run_and_wait(pilot)
        assert [kw["llm_mode"] for kw in players.made] == ["scripted", "scripted"]
        assert [kw["prompt"] for kw in players.made] == VARIANTS
        assert [r[2] for r in matrix(screen)] == ["✔ pass", "✖ FAIL"]
        from lab.tui.widgets.compare_view import side_by_side

        table = side_by_side(screen.result, "hello")
        concise = table.columns[3]
        assert concise.header == "whatsapp_agent.concise"
        first = list(concise.cells)[0]
        spans = {first.plain[s.start : s.end]: str(s.style) for s in first.spans}
        assert spans["Você disse:"] == "strike red" and spans["Disse:"] == "bold black on green"


async def test_cancel_keeps_the_finished_cells(hello_project: Path, make_fake_app) -> None:
    players = ScriptedPlayers(hello_project, block_from=2)
    app = make_fake_app(flow="whatsapp_agent", player_factory=players)
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        screen = await open_compare(pilot)
        await pilot.press("f5")
        await eventually(
            lambda: screen.result is not None and screen.result.cells,
            "the first cell",
            pause=pilot.pause,
            step=0.02,
        )
        assert screen.running and "running 1/2 cells" in str(
            screen.query_one("#compare-progress").render()
        )
        await pilot.press("f6")
        await eventually(
            lambda: not screen.running, "the cancelled run to stop", pause=pilot.pause, step=0.02
        )
        await settle(pilot)
        assert screen.result.cancelled and len(screen.result.cells) == 1
        rows = matrix(screen)
        assert rows[0][2] == "✔ pass" and rows[1][2] == "not run"
        assert "cancelled, finished cells kept: 1/2 cells" in str(
            screen.query_one("#compare-progress").render()
        )


async def test_promote_deploys_and_the_prompt_panel_shows_it(
    hello_project: Path, make_fake_app, monkeypatch
) -> None:
    import lab.promptlab.promote as promote_module

    calls = []
    real = promote_module.promote_and_deploy

    async def spy(lab: Any, variant: str) -> Path:
        calls.append(variant)
        return await real(lab, variant)

    monkeypatch.setattr(promote_module, "promote_and_deploy", spy)
    app = make_fake_app(flow="whatsapp_agent", player_factory=ScriptedPlayers(hello_project))
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        screen = await open_compare(pilot)
        await run_and_wait(pilot)
        await pilot.press("down", "ctrl+o")  # the concise row, then promote
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("enter")
        await settle(pilot)
        assert calls == ["whatsapp_agent.concise"]
        assert app.lab.applied == ["whatsapp_agent.default"]  # deployed under the default id
        default = (hello_project / "prompts" / "whatsapp_agent.default.md").read_text(
            encoding="utf-8"
        )
        assert (
            "promoted from whatsapp_agent.concise" in default and "no máximo duas frases" in default
        )
        assert (hello_project / "prompts" / "whatsapp_agent.previous.md").exists()
        assert "active: whatsapp_agent.default" in str(screen.query_one("#compare-title").render())
        await pilot.press("escape", "f2")
        await settle(pilot)
        assert isinstance(app.screen, PromptScreen)
        title = str(app.screen.query_one("#prompt-title").render())
        assert "active: whatsapp_agent.default" in title
        assert app.screen.active == "whatsapp_agent.default"


async def test_promoting_the_default_is_refused_with_a_fix(
    hello_project: Path, make_fake_app
) -> None:
    app = make_fake_app(flow="whatsapp_agent", player_factory=ScriptedPlayers(hello_project))
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        screen = await open_compare(pilot)
        await run_and_wait(pilot)
        await pilot.press("ctrl+o")  # the cursor is on the default's row
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmModal) and app.lab.applied == []
        assert "already the flow's default" in screen.query_one("#compare-error").text


async def test_run_with_one_variant_says_what_to_do(hello_project: Path, make_fake_app) -> None:
    app = make_fake_app(flow="whatsapp_agent", player_factory=ScriptedPlayers(hello_project))
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        screen = await open_compare(pilot)
        screen.query_one("#compare-variants").deselect("whatsapp_agent.concise")
        await pilot.press("f5")
        await settle(pilot)
        assert (
            not screen.running
            and "two or more prompt variants" in screen.query_one("#compare-error").text
        )


def test_active_prompt_is_derived_when_the_session_does_not_say(project: Path) -> None:
    from lab.config import Settings

    settings = Settings(project_dir=project, flow="whatsapp_agent")

    class Silent:  # the real Lab reports no active prompt
        pass

    assert active_prompt(Silent(), settings) == "whatsapp_agent.default"
    assert active_prompt(Silent(), settings, "whatsapp_agent.concise") == "whatsapp_agent.concise"
    other = type("Other", (), {"active_prompt": "lead_qualification.default"})()
    assert (
        active_prompt(other, settings) == "whatsapp_agent.default"
    )  # another flow's word does not count
    assert active_prompt(None, Settings(project_dir=project, flow="nothing_here")) is None


async def test_compare_screen_snapshot(hello_project: Path, make_fake_app, svg_snapshot) -> None:
    """You should see the scenario and variant lists, the matrix (pass / FAIL, tokens, cost, p50/p95),
    the totals, and the hello scenario turn by turn with the concise variant's changed words marked."""
    app = make_fake_app(flow="whatsapp_agent", player_factory=ScriptedPlayers(hello_project))
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        screen = await open_compare(pilot)
        await run_and_wait(pilot)
        await pilot.press("down")
        screen.result.seconds = 0.8  # wall time is the only thing that varies between runs
        screen.show_result(screen.result)
        assert await svg_snapshot(pilot)


async def test_live_mode_asks_before_an_expensive_run(
    hello_project: Path, make_fake_app, monkeypatch
) -> None:
    import lab.tui.screens.compare as compare_module

    monkeypatch.setattr(compare_module, "LIVE_CONFIRM_ABOVE_USD", 0.0)  # any live run asks
    players = ScriptedPlayers(hello_project)
    app = make_fake_app(flow="whatsapp_agent", player_factory=players)
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        screen = await open_compare(pilot)
        await pilot.press("f7", "f7", "f7")  # auto -> replay -> scripted -> live
        await settle(pilot)
        assert screen.mode == "live"
        screen.query_one("#compare-scenarios").select(
            str(hello_project / "scenarios" / "whatsapp_agent" / "hello.yaml")
        )
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        body = str(app.screen.query_one("#confirm-body").render())
        assert "whatsapp_agent.concise @ gpt-4o-mini" in body and "total: $" in body
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and not screen.running and players.made == []


async def test_escape_dismisses_the_error_first(hello_project: Path, make_fake_app) -> None:
    app = make_fake_app(flow="whatsapp_agent", player_factory=ScriptedPlayers(hello_project))
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        screen = await open_compare(pilot)
        screen.query_one("#compare-scenarios").deselect_all()
        await pilot.press("f5")
        await settle(pilot)
        assert "no scenario chosen" in screen.query_one("#compare-error").text
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and not screen.query_one("#compare-error").shown
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.chat


async def test_auto_mode_plays_every_scenario_from_its_source_and_other_modes_say_what_they_skip(
    project: Path, make_fake_app
) -> None:
    """Auto (the default, as in `walab compare`) ticks the cassette and scripted scenarios alike;
    replay names the scripted ones it leaves out, and the mode that plays them."""
    shutil.copytree(ROOT / "scenarios" / "whatsapp_agent", project / "scenarios" / "whatsapp_agent")
    app = make_fake_app(flow="whatsapp_agent")
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        screen = await open_compare(pilot)
        assert screen.mode == "auto"
        ticked = {Path(p).stem for p in screen.query_one("#compare-scenarios").selected}
        assert ticked == {
            "duplicate_delivery",
            "expired_window",
            "fault_plan",
            "greeting_plans",
            "llm_error",
            "rate_limit",
            "simulated_after_greeting",
        }
        await pilot.press("f7")  # auto -> replay
        await settle(pilot)
        assert {Path(p).stem for p in screen.query_one("#compare-scenarios").selected} == {
            "greeting_plans"
        }
        hint = str(screen.query_one("#compare-side").render())
        assert (
            "Not ticked in replay mode:" in hint
            and "llm_error (scripted)" in hint
            and "auto mode (F7)" in hint
        )
