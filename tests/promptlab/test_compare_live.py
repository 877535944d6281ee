"""`walab compare` on the real Lab, live against a loopback stub model whose replies depend on the prompt.

The bundled greeting scenario runs under the default and the concise variant of the agent's prompt:
the stub answers the concise prompt with buttons instead of a list, so the recorded expectations
pass for the baseline and fail for the variant, and the replies differ word by word.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "scenarios"))
sys.path.insert(0, str(HERE))

from stub_llm import serve  # noqa: E402

VARIANTS = "whatsapp_agent.default,whatsapp_agent.concise"


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> dict:
    project = tmp_path_factory.mktemp("compare")
    for name in ("flows", "prompts"):
        os.symlink(ROOT / name, project / name)
    folder = project / "scenarios" / "whatsapp_agent"
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "scenarios" / "whatsapp_agent" / "greeting_plans.yaml", folder)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "WALAB_"))}
    with serve() as (url, stub):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "lab",
                "compare",
                "scenarios",
                "--variants",
                VARIANTS,
                "--llm",
                "live",
                "--yes",
                "--json",
                "out/compare.json",
                "--html",
                "out/compare.html",
                "--turns",
            ],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=300,
            env={
                **env,
                "PYTHONPATH": str(ROOT),
                "OPENAI_BASE_URL": url,
                "OPENAI_API_KEY": "sk-stub-key-0123456789abcdef",
            },
        )
        requests = stub.requests
    return {
        "proc": proc,
        "project": project,
        "requests": requests,
        "data": json.loads((project / "out" / "compare.json").read_text(encoding="utf-8")),
    }


def test_matrix_totals_and_terminal_table(compared: dict) -> None:
    proc, data = compared["proc"], compared["data"]
    assert proc.returncode == 1, (
        proc.stdout + proc.stderr
    )  # the concise variant breaks the recorded expectations
    assert compared["requests"] == 10  # 5 turns × 2 variants, all live
    assert "estimated cost before running" in proc.stdout
    assert "[1/2]" in proc.stderr and "[2/2]" in proc.stderr
    assert (
        data["complete"]
        and data["variants"] == VARIANTS.split(",")
        and data["baseline"] == "whatsapp_agent.default"
    )
    base, concise = data["cells"]
    assert base["passed"] and base["checks_failed"] == 0
    assert not concise["passed"] and concise["checks_failed"] > 0
    assert base["tokens_in"] > concise["tokens_in"] > 0  # the concise prompt is shorter
    totals = data["totals"]
    assert (
        totals["whatsapp_agent.default"]["passed"] == 1
        and totals["whatsapp_agent.concise"]["passed"] == 0
    )
    assert totals["whatsapp_agent.default"]["tokens_in"] == base["tokens_in"]
    assert base["latency_p50_ms"] is not None and base["latency_p95_ms"] >= base["latency_p50_ms"]
    assert "-" in data["prompt_diffs"]["whatsapp_agent.concise"] and len(data["prompt_hashes"]) == 2
    assert "greeting_plans  whatsapp_agent.default" in " ".join(proc.stdout.split("  ")).replace(
        "   ", "  "
    ) or any(
        line.split()[:2] == ["greeting_plans", "whatsapp_agent.default"]
        for line in proc.stdout.splitlines()
    )


def test_turn_by_turn_word_diff(compared: dict) -> None:
    out = compared["proc"].stdout
    assert "-- turn 2: > Ver planos" in out
    assert "whatsapp_agent.concise: [-" in out and "{+" in out


def test_html_report_is_self_contained(compared: dict) -> None:
    html = (compared["project"] / "out" / "compare.html").read_text(encoding="utf-8")
    assert "<table id='matrix'>" in html and "<table id='totals'>" in html
    assert "<del>" in html and "<ins>" in html
    assert "<script" not in html and "src=" not in html and "href=" not in html


@pytest.mark.needs_chromium
def test_html_report_renders_in_headless_chromium(compared: dict, tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed")
    page = compared["project"] / "out" / "compare.html"
    shot = tmp_path / "report.png"
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    dom = subprocess.run(
        [chromium, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120
    )
    assert 'id="matrix"' in dom.stdout and "whatsapp_agent.concise" in dom.stdout
    subprocess.run(
        [chromium, *flags, f"--screenshot={shot}", "--window-size=1200,900", page.as_uri()],
        capture_output=True,
        timeout=120,
    )
    from png import count_colour

    # the matrix's pass cell (#c8f7c5) and FAIL cell (#ffc9c9) are on screen, each a sizeable block
    assert count_colour(shot, (0xC8, 0xF7, 0xC5)) > 2000
    assert count_colour(shot, (0xFF, 0xC9, 0xC9)) > 2000


def test_update_mode_re_records_only_cells_whose_prompt_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lab.promptlab.compare import run_matrix
    from lab.scenarios.loader import expand, load_scenario

    for name in ("flows", "prompts"):
        os.symlink(ROOT / name, tmp_path / name)
    folder = tmp_path / "scenarios" / "whatsapp_agent"
    folder.mkdir(parents=True)
    for f in ("greeting_plans.yaml", "greeting_plans.cassette.yaml"):
        shutil.copy(ROOT / "scenarios" / "whatsapp_agent" / f, folder)
    cases = expand(load_scenario(folder / "greeting_plans.yaml"))
    with serve() as (url, stub):
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-stub-key-0123456789abcdef")
        first = run_matrix(cases, VARIANTS.split(","), [""], mode="update")
        assert [c.recorded for c in first.cells] == [
            False,
            True,
        ]  # the baseline replays its committed cassette
        assert stub.requests == 5 and (folder / "greeting_plans.concise.cassette.yaml").exists()
        second = run_matrix(cases, VARIANTS.split(","), [""], mode="update")
        assert [c.recorded for c in second.cells] == [
            False,
            False,
        ] and stub.requests == 5  # nothing changed
    assert [c.turns[0].replies for c in second.cells] == [c.turns[0].replies for c in first.cells]


def ctrl_c_as_at_a_terminal() -> None:
    """In the child: SIGINT handled by default, as a command started at a terminal has it. A test
    run started in the background of a non-interactive shell (a CI script's `&`) ignores SIGINT,
    and an ignored signal stays ignored in every program it starts."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_keeps_the_finished_cells(tmp_path: Path) -> None:
    for name in ("flows", "prompts"):
        os.symlink(ROOT / name, tmp_path / name)
    folder = tmp_path / "scenarios" / "whatsapp_agent"
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "scenarios" / "whatsapp_agent" / "greeting_plans.yaml", folder)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "WALAB_"))}
    with serve() as (url, stub):
        stub.held_models.add("gpt-4o")  # its cells wait until Ctrl-C, however fast the others run
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lab",
                "compare",
                "scenarios",
                "--variants",
                VARIANTS,
                "--models",
                "gpt-4o-mini,gpt-4o",
                "--llm",
                "live",
                "--repeat",
                "4",
                "--yes",
                "--json",
                "out.json",
            ],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=ctrl_c_as_at_a_terminal,
            env={
                **env,
                "PYTHONPATH": str(ROOT),
                "OPENAI_BASE_URL": url,
                "OPENAI_API_KEY": "sk-stub-key-0123456789",
            },
        )
        try:
            first = proc.stderr.readline()  # "[1/4] ..." once the first cell is done
            assert first.startswith("[1/4]"), first + proc.stderr.read()
            proc.send_signal(signal.SIGINT)
        finally:
            stub.held_models.clear()  # the call in flight may end now: the run is already stopping
        out, _ = proc.communicate(timeout=120)
    data = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert proc.returncode == 130, out
    assert data["cancelled"] and 1 <= len(data["cells"]) < 4 and not data["complete"]
    assert "cells finished (kept)" in out
