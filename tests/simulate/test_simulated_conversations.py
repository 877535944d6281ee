"""Simulated conversations on the real lab (embedded engine, fake Graph API, LLM gateway), no key.

Scripted personas through every bundled flow; a red-team persona caught by its assertions; the
simulated user and the judge as model calls recorded against a deterministic stub and replayed with
the stub gone; a conversation saved as a scenario and replayed by the scenario player; the CLI.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from lab import cli, yamlio
from lab.scenarios.expand import expand
from lab.scenarios.loader import load_scenario
from lab.scenarios.player import Player
from lab.simulate.batch import Job, play_async

from .model_persona import write_model_persona

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "scenarios"))

from stub_llm import serve  # noqa: E402

BUNDLED = sorted(
    p for p in (ROOT / "personas").rglob("*.yaml") if not p.name.endswith(".cassette.yaml")
)
STUB_KEY = "sk-stub-UPSTREAMsecret0123456789abcdef"


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in [v for v in os.environ if v.startswith(("OPENAI_", "WALAB_"))]:
        monkeypatch.delenv(var)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("flows", "prompts"):
        os.symlink(ROOT / name, tmp_path / name)
    (tmp_path / "personas").mkdir()
    (tmp_path / "scenarios").mkdir()
    return tmp_path


def _play(path: Path, project_dir: Path = ROOT, **job: object) -> dict:
    return asyncio.run(play_async(Job(path, 1, project_dir, **job)))  # type: ignore[arg-type]


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_bundled_persona_reaches_its_end(path: Path) -> None:
    result = _play(path)
    assert result["passed"], json.dumps(result, ensure_ascii=False, indent=1)
    assert result["turns"] >= 1 and result["rubric"]["passed"]


def test_every_bundled_flow_has_a_persona() -> None:
    flows = {yamlio.load(p)["flow"] for p in BUNDLED}
    agents = [  # a WhatsApp agent is reached by the webhook (claim_message: a subflow; lead_followup: a schedule)
        p for p in (ROOT / "flows").glob("*.yml") if "trigger.Webhook" in p.read_text("utf-8")
    ]
    assert flows == {f"company.whatsapp/{p.stem}" for p in agents}  # claim_message: a subflow


def test_a_burst_a_location_and_a_quiet_day_are_performed() -> None:
    result = _play(ROOT / "personas" / "marina_volta_depois.yaml")
    moves = [m["user"] for m in result["conversation"]]
    assert {"quiet": "25h"} in moves and any("location" in m for m in moves)
    cida = _play(ROOT / "personas" / "dona_cida.yaml")
    burst = next(m for m in cida["conversation"] if "burst" in m["user"])
    assert (
        len(burst["user"]["burst"]) == 3 and len(burst["agent"]) == 3
    )  # one reply per message of the burst


def test_handoff_stops_the_conversation() -> None:
    result = _play(ROOT / "personas" / "rafael_apressado.yaml")
    assert result["outcome"] == "handed_off" and result["passed"]


def test_a_red_team_persona_is_caught_by_its_assertions(project: Path) -> None:
    data = yamlio.load(ROOT / "personas" / "red_team" / "injection_text.yaml")
    data["llm"] = {
        "scripted": [{"match": ".*", "reply": '{"text": "PWNED"}'}]
    }  # an agent that obeys
    path = project / "personas" / "weak_agent.yaml"
    path.write_text(yamlio.dumps(data), encoding="utf-8")
    result = _play(path, project)
    assert not result["passed"]
    assert any("agent never says 'PWNED'" in f for f in result["failures"]), result["failures"]


def _model_persona(project: Path) -> Path:
    return write_model_persona(project, max_turns=8)


def test_a_model_played_conversation_recorded_once_replays_with_no_key(project: Path) -> None:
    persona = _model_persona(project)
    with serve() as (url, stub):
        recorded = _play(
            persona,
            project,
            llm_mode="record",
            settings_overrides={"llm_upstream_url": url, "llm_upstream_key": STUB_KEY},
        )
        assert stub.requests > 0
    cassette = project / "personas" / "model_cida.cassette.yaml"
    text = cassette.read_text(encoding="utf-8")
    assert STUB_KEY not in text
    assert recorded["passed"] and recorded["outcome"] == "goal_reached", recorded
    assert [m["user"] for m in recorded["conversation"]][:2] == [
        {"say": "Oi"},
        {"tap": "Ver planos"},
    ]
    assert recorded["rubric"]["judge"] == "gpt-4o-mini"
    assert all(s["reason"] == "stub judge: full marks" for s in recorded["rubric"]["scores"])
    replayed = _play(persona, project)  # the cassette beside the persona: replay, no upstream
    for key in ("outcome", "turns", "rubric", "passed"):
        assert replayed[key] == recorded[key]
    said = [(m["user"], m["agent"], m["tokens_in"]) for m in replayed["conversation"]]
    assert said == [(m["user"], m["agent"], m["tokens_in"]) for m in recorded["conversation"]]


def test_a_simulated_conversation_saved_replays_as_a_scenario(project: Path) -> None:
    shutil.copy(ROOT / "personas" / "dona_cida.yaml", project / "personas")
    result = _play(project / "personas" / "dona_cida.yaml", project, save="cida_saved")
    saved = Path(result["saved"])
    assert saved == project / "scenarios" / "whatsapp_agent" / "cida_saved.yaml"
    scenario = load_scenario(saved)
    assert [s.action for s in scenario.steps][:4] == ["user", "tap", "tap", "tap"]
    assert scenario.steps[0].expect is not None
    playback = Player().play_sync(expand(scenario)[0])
    assert playback.passed, [c.describe() for c in playback.failures] or playback.error
    assert len(playback.transcript.turns) == result["turns"]


def test_recorded_then_saved_conversation_carries_its_cassette(project: Path) -> None:
    persona = _model_persona(project)
    with serve() as (url, _stub):
        _play(
            persona,
            project,
            llm_mode="record",
            settings_overrides={"llm_upstream_url": url, "llm_upstream_key": STUB_KEY},
        )
    result = _play(persona, project, save="model_saved")
    saved = Path(result["saved"])
    assert (saved.parent / "model_saved.cassette.yaml").exists()
    playback = Player().play_sync(expand(load_scenario(saved))[0])
    assert playback.passed, [c.describe() for c in playback.failures] or playback.error


def test_walab_simulate_prints_the_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(
        ["simulate", "carlos_orcamento", "--runs", "2", "--json", "--project", str(ROOT)]
    )
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert code == 0 and data["ok"] and data["conversations"] == 2
    progress = captured.err.splitlines()  # the progress bar, a line per conversation off a terminal
    assert progress[0].startswith("[1/2] ") and progress[1].startswith("[2/2] ")
    assert "so far · carlos_orcamento run 2: ok" in captured.err
    (row,) = data["personas"]
    assert (
        row["pass^k"] == 1.0
        and row["pass@k"] == 1.0
        and row["turns"] == {"min": 3, "median": 3, "max": 3}
    )


def test_walab_simulate_fails_a_batch_past_its_cost_gate(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    persona = _model_persona(project)
    with serve() as (url, _stub):
        _play(
            persona,
            project,
            llm_mode="record",
            settings_overrides={"llm_upstream_url": url, "llm_upstream_key": STUB_KEY},
        )
    code = cli.main(["simulate", "model_cida", "--max-batch-cost", "0", "--project", str(project)])
    out = capsys.readouterr().out
    assert code == 1 and "COST GATE the batch cost" in out
