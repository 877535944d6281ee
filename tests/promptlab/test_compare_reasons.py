"""`walab compare` says why a cell failed: the first failure under the row, and what to run for a replay miss."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def _compare(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "WALAB_"))}
    return subprocess.run(
        [sys.executable, "-m", "lab", "compare", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )


def _project_without_variant_cassettes(tmp_path: Path) -> Path:
    """A copy of the project whose greeting_plans has only the default variant's cassette."""
    for name in ("flows", "prompts"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "templates.yaml", tmp_path / "templates.yaml")
    scenario = tmp_path / "scenarios" / "whatsapp_agent"
    scenario.mkdir(parents=True)
    for name in ("greeting_plans.yaml", "greeting_plans.cassette.yaml"):
        shutil.copy(ROOT / "scenarios" / "whatsapp_agent" / name, scenario / name)
    return tmp_path


def _rows(out: str) -> list[str]:
    return out.split("\ntotals\n")[0].splitlines()


def test_a_variant_without_recordings_shows_the_miss_and_suggests_update(tmp_path: Path) -> None:
    done = _compare(
        "scenarios/whatsapp_agent/greeting_plans.yaml",
        "--variants",
        "whatsapp_agent.default,whatsapp_agent.concise",
        cwd=_project_without_variant_cassettes(tmp_path),
    )
    assert done.returncode == 1, done.stderr
    rows = _rows(done.stdout)
    failed = next(i for i, r in enumerate(rows) if "whatsapp_agent.concise" in r and " NO " in r)
    reason = rows[failed + 1]
    assert (
        reason.startswith("  ↳ step 1, turn 1 (line 16): turn finished: ")
        and "no recording of model" in reason
    )
    assert len(reason) <= 230  # one line; the JSON keeps the whole text
    assert "the cassette has no recording for whatsapp_agent.concise" in done.stdout
    assert "`--llm update`" in done.stdout
    passed = next(i for i, r in enumerate(rows) if "whatsapp_agent.default" in r)
    assert not rows[passed + 1].startswith("  ↳")  # a passing cell has no reason line


def test_replay_of_a_scripted_scenario_says_it_has_no_cassette(tmp_path: Path) -> None:
    out = tmp_path / "c.json"
    done = _compare(
        "scenarios/whatsapp_agent/llm_error.yaml",
        "--variants",
        "whatsapp_agent.default",
        "--llm",
        "replay",
        "--json",
        str(out),
    )
    assert done.returncode == 1
    assert (
        "script their LLM replies and have no cassette" in done.stdout
        and "`--llm auto`" in done.stdout
    )
    import json

    cell = json.loads(out.read_text(encoding="utf-8"))["cells"][0]
    assert cell["cassette_miss"] is True and "--llm auto" in cell["hint"]
