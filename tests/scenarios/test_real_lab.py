"""Scenarios on the real Lab (embedded engine, fake Graph API, LLM gateway), recording against a stub model.

`walab record` talks to a deterministic OpenAI-compatible stub on loopback (record mode writes the
cassette), is killed with SIGKILL mid-session, and what it wrote replays under pytest with the stub
gone, so no network is involved in the replay.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab import yamlio

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

from stub_llm import serve  # noqa: E402

STUB_KEY = "sk-stub-UPSTREAMsecret0123456789abcdef"


@pytest.fixture
def pytest_runner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in ("flows", "prompts"):
        os.symlink(ROOT / name, pytester.path / name)
    (pytester.path / "scenarios").mkdir()
    pytester.makeini(
        "[pytest]\naddopts = -p no:cacheprovider\nasyncio_default_fixture_loop_scope = function\n"
    )
    for var in [v for v in os.environ if v.startswith(("OPENAI_", "WALAB_"))]:
        monkeypatch.delenv(var)
    return pytester


@pytest.fixture
def project(pytest_runner: pytest.Pytester) -> Path:
    return pytest_runner.path


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "WALAB_"))}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


def _wait_steps(path: Path, n: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and len(yamlio.load(path).get("steps") or []) >= n:
            return
        if proc.poll() is not None:
            raise AssertionError(proc.stdout.read() if proc.stdout else "recorder exited")
        time.sleep(0.05)
    raise AssertionError(f"{path} never reached {n} steps")


def test_record_against_stub_survives_sigkill_and_replays_offline(
    project: Path, pytest_runner: pytest.Pytester
) -> None:
    scenario = project / "scenarios" / "whatsapp_agent" / "hello.yaml"
    cassette = scenario.with_name("hello.cassette.yaml")
    with serve() as (url, stub):
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lab",
                "record",
                "hello",
                "--flow",
                "company.whatsapp/whatsapp_agent",
                "--clock",
                "2026-03-02T12:00:00+00:00",
                "--note",
                "stub-recorded",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=project,
            env=_env(OPENAI_BASE_URL=url, OPENAI_API_KEY=STUB_KEY),
        )
        try:
            for i, line in enumerate(["Oi", "/tap Ver planos"], start=1):
                proc.stdin.write(line + "\n")
                proc.stdin.flush()
                _wait_steps(scenario, i, proc)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert stub.requests == 2
    doc = yamlio.load(scenario)
    assert doc["llm"] == {
        "source": "cassette",
        "cassette": "hello.cassette.yaml",
        "note": "stub-recorded",
    }
    assert doc["steps"][1]["tap"] == "Ver planos"
    assert doc["steps"][1]["expect"]["replies"][0]["rows"] == ["Básico", "Família", "Premium"]
    recorded = cassette.read_text(encoding="utf-8")
    assert (
        recorded.count("- key: ") == 2
        and STUB_KEY not in recorded
        and STUB_KEY not in scenario.read_text()
    )

    # the stub is gone: replay must not need it (in-process pytest runs, rooted in the recorded project)
    run = pytest_runner.runpytest("scenarios", "--snapshot-update")
    assert run.ret == 0, run.stdout.str()[-3000:]
    again = pytest_runner.runpytest("scenarios")
    again.assert_outcomes(passed=1)
    again.stdout.fnmatch_lines(["*1 snapshot passed*"])


JUDGED = """\
version: 1
flow: company.whatsapp/whatsapp_agent
contacts: [{name: Maria Souza, wa_id: "5511987654321"}]
clock: 2026-03-02T12:00:00+00:00
llm: {source: cassette}
steps:
  - user: Quanto custa o plano?
    expect:
      judge: {rubric: "oferece os planos em português"}
  - user: E o plano Família?
    expect:
      judge: {rubric: "answers in English"}
"""


def test_llm_judge_is_recorded_and_replayed(project: Path) -> None:
    from lab.scenarios.loader import expand, load_scenario
    from lab.scenarios.player import Player

    path = project / "scenarios" / "judged.yaml"
    path.write_text(JUDGED, encoding="utf-8")
    case = expand(load_scenario(path))[0]
    with serve() as (url, stub):
        recorded = Player(
            llm_mode="record",
            project_dir=project,
            settings_overrides={"llm_upstream_url": url, "llm_upstream_key": STUB_KEY},
        ).play_sync(case)
        assert stub.requests == 4  # per turn, the agent's call and the judge's
    judge = [c for c in recorded.checks if c.what.startswith("LLM judge")]
    assert [c.ok for c in judge] == [True, False], [c.describe() for c in recorded.checks]
    replayed = Player(project_dir=project).play_sync(
        case
    )  # replay: the cassette answers the judge too
    judge = [c for c in replayed.checks if c.what.startswith("LLM judge")]
    assert [c.ok for c in judge] == [True, False] and replayed.error is None
    assert "stub judge" in judge[1].describe()
    assert "You grade one turn" in (path.with_name("judged.cassette.yaml")).read_text(
        encoding="utf-8"
    )
