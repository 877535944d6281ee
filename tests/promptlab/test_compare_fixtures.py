"""`walab compare --fixtures FILE`: the bundled agent's model task stood in for by a task fixture,
on the embedded engine, every cell replying what the fixture says; the run's flow coverage in the
JSON and the HTML report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def test_compare_stands_in_for_the_model_task_with_a_fixtures_file(tmp_path: Path) -> None:
    for name in ("flows", "prompts"):
        os.symlink(ROOT / name, tmp_path / name)
    folder = tmp_path / "scenarios" / "whatsapp_agent"
    folder.mkdir(parents=True)
    for name in ("greeting_plans.yaml", "greeting_plans.cassette.yaml"):
        shutil.copy(ROOT / "scenarios" / "whatsapp_agent" / name, folder)
    (tmp_path / "fixtures.yaml").write_text(
        "tasks:\n  - id: llm\n    outputs: {textOutput: Resposta da fixture}\n", encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "WALAB_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "lab", "compare", "scenarios/whatsapp_agent/greeting_plans.yaml"]
        + ["--variants", "whatsapp_agent.default", "--fixtures", "fixtures.yaml"]
        + ["--json", "out.json", "--html", "out.html"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**env, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 1, proc.stderr  # the recorded expectations no longer hold
    data = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    (cell,) = data["cells"]
    replies = [reply for turn in cell["turns"] for reply in turn["replies"]]
    assert replies and set(replies) == {"Resposta da fixture"}
    (flow,) = [f for f in data["coverage"] if f["flow"] == "company.whatsapp.whatsapp_agent"]
    assert {"llm", "compose", "send_reply"} <= set(flow["tasks"]["ran"])  # llm: stood in, reached
    assert "route.else" in flow["branches"]["ran"]
    assert "answer.cases.media" in flow["branches"]["missed"]  # no voice note or photo was sent
    html = (tmp_path / "out.html").read_text(encoding="utf-8")
    assert "<h2>Flow coverage</h2>" in html
    assert f"<td>company.whatsapp.whatsapp_agent</td><td>{len(flow['tasks']['ran'])}/" in html


def test_a_fixtures_file_that_is_not_one_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("just: text\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "lab", "compare", str(ROOT / "scenarios" / "whatsapp_agent")]
        + ["--variants", "whatsapp_agent.default", "--fixtures", "bad.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 2 and "bad.yaml" in proc.stderr
