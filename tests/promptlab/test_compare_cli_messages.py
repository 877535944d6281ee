"""What `walab compare` says when it cannot do what was asked: cells to record with no upstream
(QA P2-12), a folder with no scenarios (QA P2-15)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GREETING = ROOT / "scenarios" / "whatsapp_agent" / "greeting_plans.yaml"


def _walab(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "WALAB_"))}
    return subprocess.run(
        [sys.executable, "-m", "lab", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "PYTHONPATH": str(ROOT)},
    )


def test_update_without_an_upstream_names_the_cells_to_record() -> None:
    done = _walab(
        "compare",
        str(GREETING),
        "--variants",
        "whatsapp_agent.default",
        "--models",
        "gpt-4o-mini,gpt-4o",
        "--llm",
        "update",
        "--yes",
    )
    assert done.returncode == 2, done.stdout + done.stderr
    err = done.stderr.split("walab compare:", 1)[1]
    assert "--llm update found 1 cell(s) with no recording and cannot record them" in err
    assert "greeting_plans · whatsapp_agent.default @ gpt-4o" in err and "@ gpt-4o-mini" not in err
    assert "OPENAI_API_KEY" in err and "talks to a real model" not in err
    # every cell was played: the recorded one passed, the table and the hint are there
    assert (
        "[2/2]" in done.stderr
        and "greeting_plans  whatsapp_agent.default @ gpt-4o-mini  yes" in done.stdout
    )
    assert "needs recording" in done.stdout


def test_a_folder_outside_scenarios_says_where_scenarios_are_looked_up(tmp_path: Path) -> None:
    folder = tmp_path / "somefolder"
    folder.mkdir()
    shutil.copy(GREETING, folder / "greeting_plans.yaml")
    done = _walab("compare", str(folder), "--variants", "whatsapp_agent.default")
    assert done.returncode == 2
    assert "looked up only under a folder named `scenarios/`" in done.stderr
    assert (
        f"{folder / 'greeting_plans.yaml'}" in done.stderr
        and "pass the scenario file itself" in done.stderr
    )
