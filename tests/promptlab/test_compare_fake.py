"""The compare matrix, totals, word diffs and reports on the fake lab (no engine, no network)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "scenarios"))

from fake_lab import FakeLab  # noqa: E402

from lab.promptlab import report  # noqa: E402
from lab.promptlab.compare import run_matrix, word_diff  # noqa: E402
from lab.scenarios.loader import expand, parse_scenario  # noqa: E402
from lab.scenarios.player import Player  # noqa: E402

VARIANTS = ["whatsapp_agent.default", "whatsapp_agent.concise"]


def _cases(tmp_path: Path):
    sc = parse_scenario(
        "version: 1\nflow: company.whatsapp/echo\nsteps:\n  - user: Olá\n    expect: {contains: Você disse}\n"
        "  - user: menu\n",
        tmp_path / "scenarios" / "hello.yaml",
    )
    return expand(sc)


def _factory(**kw):
    return Player(lab_factory=FakeLab.open, project_dir=ROOT, **kw)


def test_word_diff_marks_changed_words() -> None:
    assert word_diff("Você disse: Olá", "Disse: Olá") == [
        ("-", "Você disse:"),
        ("+", "Disse:"),
        ("=", " Olá"),
    ]


def test_matrix_totals_and_reports(tmp_path: Path) -> None:
    seen = []
    run = run_matrix(
        _cases(tmp_path),
        VARIANTS,
        [""],
        mode="auto",
        player_factory=_factory,
        progress=lambda done, total, *_: seen.append((done, total)),
        prompts_dir=ROOT / "prompts",
    )
    assert seen == [(1, 2), (2, 2)]
    base, concise = run.cells
    assert (
        base.passed and not concise.passed
    )  # the concise prompt drops "Você disse": the assertion catches it
    assert base.turns[0].replies == ["Você disse: Olá"] and concise.turns[0].replies == [
        "Disse: Olá"
    ]
    totals = run.to_dict()["totals"]
    assert (
        totals["whatsapp_agent.default"]["passed"] == 1
        and totals["whatsapp_agent.concise"]["passed"] == 0
    )
    assert totals["whatsapp_agent.default"]["tokens_in"] == base.tokens_in == 20
    assert "-" in run.prompt_diffs["whatsapp_agent.concise"] and len(run.prompt_hashes) == 2
    text = report.table(run)
    rows = [line.split() for line in text.splitlines() if line.startswith("hello")]
    assert [r[:3] for r in rows] == [
        ["hello", "whatsapp_agent.default", "yes"],
        ["hello", "whatsapp_agent.concise", "NO"],
    ]
    side = report.side_by_side_text(run, "hello")
    assert "whatsapp_agent.concise: [-Você disse:-]{+Disse:+} Olá" in side
    html = report.html(run)
    assert "<table id='matrix'>" in html and "<del>Você disse:</del><ins>Disse:</ins>" in html
    assert "<script" not in html and "src=" not in html and "href=" not in html  # self-contained
    json.dumps(run.to_dict())


def test_cancel_keeps_finished_cells(tmp_path: Path) -> None:
    calls = {"n": 0}

    def factory(**kw):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return _factory(**kw)

    saved = []
    run = run_matrix(
        _cases(tmp_path),
        VARIANTS,
        [""],
        mode="auto",
        player_factory=factory,
        on_cell=lambda r: saved.append(len(r.cells)),
    )
    assert run.cancelled and len(run.cells) == 1 and saved == [1]
    assert "cancelled: 1 of 2 cells finished (kept)" in report.table(run)


def test_models_are_a_dimension_of_the_matrix(tmp_path: Path) -> None:
    FakeLab.client.kv.values.clear()
    seen_models = []

    def factory(**kw):
        seen_models.append(kw["model"])
        return _factory(**kw)

    run = run_matrix(
        _cases(tmp_path), VARIANTS, ["gpt-4o-mini", "gpt-4o"], mode="auto", player_factory=factory
    )
    assert len(run.cells) == 4 and seen_models == ["gpt-4o-mini", "gpt-4o"] * 2
    assert (
        FakeLab.client.kv.values["LLM_MODEL"] == "gpt-4o"
    )  # the player set the flow's model for the cell
    assert set(run.to_dict()["totals"]) == {
        f"{v} @ {m}" for v in VARIANTS for m in ("gpt-4o-mini", "gpt-4o")
    }
    assert "whatsapp_agent.concise @ gpt-4o" in report.html(run)


def test_update_plays_scripted_scenarios_from_their_script(tmp_path: Path) -> None:
    """`--llm update` (re)records cassette scenarios only: a scripted one plays its own script."""
    scripted = parse_scenario(
        "version: 1\nflow: company.whatsapp/echo\nllm: {scripted: [{reply: Oi}]}\n"
        "steps:\n  - user: Olá\n",
        tmp_path / "scenarios" / "scripted.yaml",
    )
    recorded = parse_scenario(
        "version: 1\nflow: company.whatsapp/echo\nsteps:\n  - user: Olá\n",
        tmp_path / "scenarios" / "recorded.yaml",
    )
    modes = []

    def factory(**kw):
        modes.append(kw["llm_mode"])
        return _factory(**kw)

    run = run_matrix(
        expand(scripted) + expand(recorded),
        VARIANTS[:1],
        [""],
        mode="update",
        player_factory=factory,
    )
    assert modes == [None, "replay"]  # None: the scenario's own source (its script)
    assert all(c.passed for c in run.cells) and not any(c.needs_recording for c in run.cells)


def test_turn_view_shows_buttons_rows_and_a_failed_executions_fallback(tmp_path: Path) -> None:
    """The turn view (TUI and HTML) shows what the user can tap, marks a FAILED execution's reply as a
    fallback, and colours as the chat does: the user green, the agent grey."""
    from rich.console import Console

    from lab.promptlab.compare import Cell, CompareRun, TurnResult
    from lab.scenarios.replies import bubble_text
    from lab.tui.widgets.compare_view import side_by_side

    assert (
        bubble_text({"text": "Escolha", "buttons": ["Ver planos", "Falar"]})
        == "Escolha\n[Ver planos] [Falar]"
    )
    assert (
        bubble_text(
            {
                "text": "Planos",
                "list_button": "Ver",
                "sections": [{"title": "", "rows": ["Básico", "Família"]}],
            }
        )
        == "Planos\n☰ Ver: Básico · Família"
    )
    run = CompareRun(variants=["a"], models=[""], scenarios=["s"], mode="auto")
    run.cells.append(
        Cell(
            scenario="s",
            variant="a",
            model="",
            turns=[
                TurnResult(user="Oi", replies=["Olá\n[Ver planos]"]),
                TurnResult(user="Preço?", replies=["Desculpe, tive um problema"], state="FAILED"),
            ],
        )
    )
    page = report.html(run)
    assert "[Ver planos]" in page and "execution FAILED: a fallback reply" in page
    assert "<div class='bubble failed'>Desculpe" in page and "<div class='bubble'>Olá" in page
    assert ".user{background:#d9fdd3" in page and ".bubble{background:#f0f2f5" in page
    console = Console(width=100, record=True)
    console.print(side_by_side(run, "s"))
    screen = console.export_text()
    assert "[Ver planos]" in screen and "execution FAILED: a fallback reply" in screen
    assert "(execution FAILED): Desculpe" in report.side_by_side_text(run, "s")
