"""`walab import` end to end: a conversation run on the lab, its executions read back through the
embedded engine's REST API served on loopback as production (1.3 and 2.0 shapes), written as a
redacted scenario, cassette and drift report, then replayed green."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lab import yamlio
from lab.cli import main
from lab.scenarios.loader import expand, load_scenario
from lab.scenarios.player import Player

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "importer"))
sys.path.insert(0, str(ROOT / "tests" / "kestra" / "contract"))
from loopback import LoopbackServer  # noqa: E402
from openapi_contract import Contract, ContractRecorder  # noqa: E402
from production import (  # noqa: E402
    AGENT_ACTS,
    AGENT_ANSWERS,
    PASSWORD,
    PERSONAL_ACTS,
    PERSONAL_ANSWERS,
    USER,
    production_api,
    run_production,
)

ORIGINALS = [
    "Joana Araújo",
    "Araújo",
    "529.982.247-25",
    "joana.araujo@gmail.com",
    "5541998765432",
    "41998765432",
]


def _import(url: str, *options: str, capsys: pytest.CaptureFixture) -> str:
    code = main(["import", "--kestra", url, "--user", USER, "--password", PASSWORD, *options])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    return out


def _replays_green(path: Path, project: Path) -> None:
    playback = Player(project_dir=project).play_sync(expand(load_scenario(path))[0])
    assert playback.error is None and not playback.failures, (
        playback.error,
        [c.describe() for c in playback.failures],
    )


def _written(folder: Path) -> str:
    return "\n".join(p.read_text() for p in sorted(folder.rglob("*")) if p.is_file())


@pytest.mark.parametrize("dialect", ["1.3", "2.0"])
def test_a_production_conversation_imports_redacted_and_replays_green(
    project: Path, capsys: pytest.CaptureFixture, dialect: str
) -> None:
    engine, turns = run_production(
        project, "whatsapp_agent", PERSONAL_ACTS, PERSONAL_ANSWERS, version=dialect
    )
    assert all(t.verdict == "ok" for t in turns), [t.error for t in turns]
    recorder = ContractRecorder(production_api(engine, dialect))
    with LoopbackServer(recorder) as server:
        out = _import(
            server.url,
            "--flow",
            "company.whatsapp/whatsapp_agent",
            "--since",
            "3650d",
            capsys=capsys,
        )
    assert recorder.problems(Contract(dialect)) == []  # only what Kestra documents, both ways
    assert "1 conversation(s) imported" in out and "replays as in production" in out, out
    folder = project / "scenarios" / "whatsapp_agent"
    scenario = next(folder.glob("imported_*[0-9].yaml"))
    doc = yamlio.load(scenario)
    assert [s.get("user") for s in doc["steps"] if "user" in s][2] == "Quanto custa o plano?"
    assert all("expect" in s for s in doc["steps"] if "user" in s)
    drift = yamlio.load(scenario.with_name(scenario.stem + ".drift.yaml"))
    assert drift["differences"] == [] and len(drift["executions"]) == 3
    assert "529.982.247-25" not in scenario.with_name(scenario.stem + ".cassette.yaml").read_text()
    text = _written(folder)
    assert not [value for value in ORIGINALS if value in text]
    _replays_green(scenario, project)


def test_the_model_answers_become_a_cassette_the_scenario_replays_from(
    project: Path, capsys: pytest.CaptureFixture
) -> None:
    engine, turns = run_production(project, "whatsapp_agent", AGENT_ACTS, AGENT_ANSWERS)
    assert all(t.verdict == "ok" for t in turns), [t.error for t in turns]
    ids = [t.executions[0].id for t in turns]
    with LoopbackServer(production_api(engine, "1.3")) as server:
        out = _import(server.url, "--execution", *ids, capsys=capsys)
    assert "replays as in production" in out, out
    folder = project / "scenarios" / "whatsapp_agent"
    scenario = next(folder.glob("imported_*[0-9].yaml"))
    doc = yamlio.load(scenario)
    assert doc["llm"]["source"] == "cassette"
    cassette = yamlio.load(scenario.with_name(scenario.stem + ".cassette.yaml"))
    assert [e["reply"] for e in cassette["entries"]][1] == AGENT_ANSWERS[1]
    assert not [value for value in ORIGINALS if value in _written(folder)]
    _replays_green(scenario, project)
