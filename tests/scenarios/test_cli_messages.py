"""What `walab test --help`, `walab replay` and a replay miss tell the person."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def _walab(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "WALAB_"))}
    return subprocess.run(
        [sys.executable, "-m", "lab", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "PYTHONPATH": f"{HERE}{os.pathsep}{ROOT}"},
    )


def test_walab_test_help_names_walab_then_shows_pytest_options() -> None:
    done = _walab("test", "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("walab test [PYTEST ARGS...]: runs pytest")
    assert "usage: walab test [options]" in done.stdout and "pytest.main()" not in done.stdout
    assert "--walab-llm" in done.stdout and "--maxfail" in done.stdout


def test_replay_lists_failures_in_step_order(tmp_path: Path) -> None:
    path = tmp_path / "scenarios" / "t.yaml"
    path.parent.mkdir()
    # step 1 fails a check; step 2 cannot run (no such button): the error comes after step 1's failure
    path.write_text(
        "version: 1\nflow: company.whatsapp/echo\nsteps:\n  - user: menu\n    expect: {buttons: [Nada]}\n"
        "  - tap: Botão que não existe\n",
        encoding="utf-8",
    )
    done = _walab("replay", str(path), "--lab-factory", "fake_lab:FakeLab.open", cwd=tmp_path)
    assert done.returncode == 1
    problems = [line for line in done.stdout.splitlines() if line.startswith(("FAIL ", "ERROR "))]
    assert problems[0].startswith("FAIL step 1") and problems[-1].startswith(
        "ERROR step 2"
    ), problems


def test_a_replay_miss_suggests_replaying_the_scenario_in_record_mode(tmp_path: Path) -> None:
    from lab.llm.canonical import chat_key
    from lab.llm.cassette import CassetteStore
    from lab.llm.misses import miss_message

    scenario = tmp_path / "hello.yaml"
    scenario.write_text("version: 1\n", encoding="utf-8")
    store = CassetteStore(tmp_path / "hello.cassette.yaml")
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Oi"}]}
    text = miss_message(store, chat_key(body), {"last_user": "Oi"})
    assert (
        f"`walab replay {scenario} --llm record`" in text
        and "`walab test --walab-llm record`" in text
    )
    assert "walab record <scenario>" not in text
    other = miss_message(
        CassetteStore(tmp_path), chat_key(body), {"last_user": "Oi"}
    )  # not one scenario's own
    assert "`walab replay SCENARIO.yaml --llm record`" in other


def test_replay_summary_names_the_step_that_could_not_run(tmp_path: Path) -> None:
    path = tmp_path / "scenarios" / "t.yaml"
    path.parent.mkdir()
    # step 1 passes its check; step 2 cannot run: "1/1 checks" alone would read as a pass
    path.write_text(
        "version: 1\nflow: company.whatsapp/echo\nsteps:\n  - user: oi\n    expect: {contains: disse}\n"
        "  - tap: Botão que não existe\n",
        encoding="utf-8",
    )
    done = _walab("replay", str(path), "--lab-factory", "fake_lab:FakeLab.open", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    summary = done.stdout.rstrip().splitlines()[-1]
    assert summary.startswith(
        "FAILED: step 2 could not run; 1/1 checks before it passed, 1 turn,"
    ), summary


def test_replay_is_compact_by_default_verbose_shows_the_task_tree_quiet_only_the_verdict(
    tmp_path: Path,
) -> None:
    path = tmp_path / "scenarios" / "t.yaml"
    path.parent.mkdir()
    path.write_text(
        "version: 1\nflow: company.whatsapp/echo\nsteps:\n  - user: oi\n    expect: {contains: disse}\n"
        "  - user: menu\n",
        encoding="utf-8",
    )
    runs = {
        flag: _walab(
            "replay",
            str(path),
            "--lab-factory",
            "fake_lab:FakeLab.open",
            *([flag] if flag else []),
            cwd=tmp_path,
        )
        for flag in ("", "--verbose", "--quiet")
    }
    assert all(done.returncode == 0 for done in runs.values()), {
        f: d.stdout + d.stderr for f, d in runs.items()
    }
    compact, verbose, quiet = (runs[f].stdout for f in ("", "--verbose", "--quiet"))
    assert "> oi" in compact and "task run" in compact and "timings" not in compact
    assert "timings" in verbose and "task run" not in verbose
    assert len(verbose.splitlines()) > len(compact.splitlines())
    assert "> oi" not in quiet
    assert quiet.rstrip().splitlines()[-1].startswith("passed: 1/1 checks, 2 turns")
    assert len(quiet.strip().splitlines()) == 2  # the case's header and its verdict
