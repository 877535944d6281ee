"""`walab import` from contract fixtures: whatsapp_agent executions as Kestra 1.3 and 2.0 serve them
(checked against each version's OpenAPI document as they are served), imported, replayed green;
a production output that the replay does not reproduce is reported as drift."""

from __future__ import annotations

import json
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
from fixture_kestra import FixtureKestra, load_fixture  # noqa: E402
from loopback import LoopbackServer  # noqa: E402
from openapi_contract import Contract, ContractRecorder  # noqa: E402

USER, PASSWORD = "qa@example.com", "fixture-password-1234"


def _import(app, dialect: str, capsys: pytest.CaptureFixture, *options: str) -> str:
    recorder = ContractRecorder(app)
    with LoopbackServer(recorder) as server:
        code = main(
            [
                "import",
                "--kestra",
                server.url,
                "--user",
                USER,
                "--password",
                PASSWORD,
                "--flow",
                "company.whatsapp/whatsapp_agent",
                "--since",
                "3650d",
                *options,
            ]
        )
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert recorder.problems(Contract(dialect)) == []  # the fixtures are shaped as Kestra documents
    return out


def _scenario(project: Path) -> Path:
    return next((project / "scenarios" / "whatsapp_agent").glob("imported_*[0-9].yaml"))


@pytest.mark.parametrize("dialect", ["1.3", "2.0"])
def test_contract_fixtures_import_and_replay_green(
    project: Path, capsys: pytest.CaptureFixture, dialect: str
) -> None:
    app = FixtureKestra(load_fixture(dialect), dialect, USER, PASSWORD)
    out = _import(app, dialect, capsys)
    assert "6 execution(s) read, 1 conversation(s) imported" in out, out
    assert (
        "replays as in production" in out
        and "4 execution(s) without a user message left out" in out
    ), out
    scenario = _scenario(project)
    doc = yamlio.load(scenario)
    assert [s["user"] for s in doc["steps"] if "user" in s][1] == "Quanto custa o plano?"
    assert doc["llm"]["source"] == "cassette"
    playback = Player(project_dir=project).play_sync(expand(load_scenario(scenario))[0])
    assert playback.error is None and not playback.failures, [
        c.describe() for c in playback.failures
    ]


@pytest.mark.parametrize("dialect", ["1.3", "2.0"])
def test_an_output_the_replay_does_not_reproduce_is_drift(
    project: Path, capsys: pytest.CaptureFixture, dialect: str
) -> None:
    data = load_fixture(dialect)
    second = sorted(
        (e for e in data["executions"] if _text_of(e)), key=lambda e: e["state"]["startDate"]
    )[1]
    run = next(r for r in second["taskRunList"] if r["taskId"] == "inbound")
    outputs = run["outputs"] if dialect == "1.3" else data["outputs"][second["id"]][run["id"]]
    outputs["values"]["category"] = "media"  # production classified it otherwise
    out = _import(FixtureKestra(data, dialect, USER, PASSWORD), dialect, capsys)
    assert "1 difference(s) from production" in out, out
    scenario = _scenario(project)
    drift = yamlio.load(scenario.with_name(scenario.stem + ".drift.yaml"))
    [difference] = drift["differences"]
    assert difference["kind"] == "output" and difference["where"] == "inbound"
    assert difference["production"]["values"]["category"] == "media"
    assert difference["replay"]["values"]["category"] == "chat"


def _text_of(execution: dict) -> str | None:
    body = (execution.get("trigger") or {}).get("variables", {}).get("body") or {}
    try:
        return body["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"]
    except (KeyError, IndexError):
        return None


def test_conversations_replay_in_worker_processes(
    project: Path, capsys: pytest.CaptureFixture
) -> None:
    data = load_fixture("1.3")
    text = json.dumps(data, ensure_ascii=False)
    for e in data["executions"]:  # another contact's conversation: its own executions
        text = text.replace(e["id"], e["id"][::-1])
    other = json.loads(text.replace("5541998765432", "5521998765432").replace("wamid.", "wamid.B"))
    data["executions"] += other["executions"]
    app = FixtureKestra(data, "1.3", USER, PASSWORD)
    out = _import(app, "1.3", capsys, "--workers", "2")
    assert "2 conversation(s) imported" in out and out.count("replays as in production") == 2, out


def test_no_redact_keeps_the_data_and_says_so(project: Path, capsys: pytest.CaptureFixture) -> None:
    app = FixtureKestra(load_fixture("1.3"), "1.3", USER, PASSWORD)
    out = _import(app, "1.3", capsys, "--no-redact")
    assert "PERSONAL DATA: written with --no-redact" in out
    scenario = _scenario(project)
    assert "Joana Araújo" in scenario.read_text()
    for path in (scenario, scenario.with_name(scenario.stem + ".drift.yaml")):
        assert path.read_text().startswith("# PERSONAL DATA"), path.name
    assert load_scenario(scenario).personal_data  # its snapshot will be redacted
