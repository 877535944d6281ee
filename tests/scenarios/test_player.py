"""The player on a fake lab: repeat-and-tolerate for live mode, `walab replay`, budgets."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from fake_lab import FakeLab  # noqa: E402

from lab.scenarios.loader import expand, parse_scenario  # noqa: E402
from lab.scenarios.player import Player  # noqa: E402

LIVE = """\
version: 1
flow: company.whatsapp/echo
llm: {source: live, repeat: 4, pass_if: PASS_IF}
steps:
  - user: Olá
    expect: {contains: Você disse}
"""


def _flaky_factory() -> Any:
    """A lab whose bot changes its wording on every other session, like a live model might."""
    opened = {"n": 0}

    @contextlib.asynccontextmanager
    async def open_lab(settings: Any, **options: Any) -> Any:
        opened["n"] += 1
        old = os.environ.get("FAKE_BOT_WORDING")
        os.environ["FAKE_BOT_WORDING"] = "1" if opened["n"] % 2 else "2"
        try:
            yield FakeLab(settings, **options)
        finally:
            os.environ.pop("FAKE_BOT_WORDING") if old is None else os.environ.__setitem__(
                "FAKE_BOT_WORDING", old
            )

    return open_lab


@pytest.mark.parametrize("pass_if, passed", [(2, True), (3, False)])
def test_live_repeat_passes_when_enough_runs_pass(
    tmp_path: Path, pass_if: int, passed: bool
) -> None:
    sc = parse_scenario(LIVE.replace("PASS_IF", str(pass_if)), tmp_path / "scenarios" / "live.yaml")
    playback = Player(lab_factory=_flaky_factory(), project_dir=tmp_path).play_sync(expand(sc)[0])
    assert (playback.runs, playback.passed_runs) == (4, 2)
    assert playback.passed is passed


def test_budgets_fail_with_numbers(tmp_path: Path) -> None:
    sc = parse_scenario(
        "version: 1\nflow: company.whatsapp/echo\nbudget: {tokens: 20, per_turn: {cost_usd: 0.00001}}\n"
        "steps:\n  - user: Olá\n  - user: de novo\n",
        tmp_path / "scenarios" / "b.yaml",
    )
    playback = Player(lab_factory=FakeLab.open, project_dir=tmp_path).play_sync(expand(sc)[0])
    failed = [c.describe() for c in playback.failures]
    assert any("per-turn budget: cost" in f and "<= $1e-05" in f for f in failed), failed
    assert any(
        "scenario: scenario budget: tokens" in f and "actual:   40" in f for f in failed
    ), failed


def test_replay_cli_prints_transcript_and_exit_code(tmp_path: Path) -> None:
    path = tmp_path / "scenarios" / "t.yaml"
    path.parent.mkdir()
    path.write_text(
        "version: 1\nflow: company.whatsapp/echo\nsteps:\n  - user: menu\n    expect: {buttons: [Ver planos]}\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": f"{HERE}{os.pathsep}{HERE.parents[1]}"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lab",
            "replay",
            str(path),
            "--lab-factory",
            "fake_lab:FakeLab.open",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert (
        "< Escolha uma opção" in proc.stdout
        and "[Ver planos]  [Falar com atendente]" in proc.stdout
    )
    assert "FAIL step 1, turn 1 (line 4): buttons" in proc.stdout
    assert proc.returncode == 1


def test_playback_repr_is_short() -> None:
    """asyncio.run reprs a finished play's result when it restores SIGINT: that must not walk the transcript."""
    from lab.conversation.model import Transcript
    from lab.scenarios.player import Playback

    class Case:
        test_name = "conversa_001"

    text = repr(
        Playback(Case(), Transcript("company.whatsapp.whatsapp_agent", "embedded", "scripted"))
    )  # type: ignore[arg-type]
    assert text == "Playback('conversa_001', turns=0, failures=0, error=None)"
