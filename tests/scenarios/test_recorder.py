"""The recorder: each finished turn is on disk at once; a killed `walab record` keeps them all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from lab import yamlio
from lab.conversation.actions import Advance
from lab.scenarios.loader import expand, load_scenario
from lab.scenarios.player import Player

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def _wait_for_steps(path: Path, n: int, proc: subprocess.Popen, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            doc = yamlio.load(path)
            if len(doc.get("steps") or []) >= n:
                return doc
        if proc.poll() is not None:
            raise AssertionError(
                f"recorder exited early: {proc.stdout.read() if proc.stdout else ''}"
            )
        time.sleep(0.02)
    raise AssertionError(f"{path} never reached {n} steps")


def test_killed_recorder_keeps_every_finished_turn(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": f"{HERE}{os.pathsep}{ROOT}"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lab",
            "record",
            "demo",
            "--dir",
            str(tmp_path),
            "--llm",
            "live",
            "--flow",
            "company.whatsapp/echo",
            "--clock",
            "2026-01-05T12:00:00+00:00",
            "--lab-factory",
            "fake_lab:FakeLab.open",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    path = tmp_path / "demo.yaml"
    try:
        for i, line in enumerate(["Olá", "menu", "/tap Ver planos"], start=1):
            proc.stdin.write(line + "\n")
            proc.stdin.flush()
            _wait_for_steps(path, i, proc)
        proc.send_signal(signal.SIGKILL)  # no chance to clean up: what is on disk is what survives
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    scenario = load_scenario(path)
    assert [s.action for s in scenario.steps] == ["user", "user", "tap"]
    assert scenario.steps[1].expect.replies[0].buttons == ["Ver planos", "Falar com atendente"]
    assert scenario.steps[2].expect.replies[0].text == "Você escolheu Ver planos"
    assert not list(
        tmp_path.glob(".demo.yaml.*")
    ), "no temporary file left behind by the atomic writes"

    # the recording replays: the same fake bot passes every recorded expectation
    sys.path.insert(0, str(HERE))
    from fake_lab import FakeLab

    playback = Player(lab_factory=FakeLab.open, project_dir=tmp_path).play_sync(expand(scenario)[0])
    assert playback.error is None and not playback.failures, [
        c.describe() for c in playback.failures
    ]


@pytest.mark.parametrize("line", ["/advance 25h"])
def test_non_turn_steps_are_recorded(tmp_path: Path, line: str) -> None:
    sys.path.insert(0, str(HERE))
    import asyncio

    from fake_lab import FakeLab

    from lab.config import load_settings
    from lab.scenarios.recorder import Recorder

    async def session() -> Path:
        settings = load_settings(tmp_path, namespace="company.whatsapp", flow="echo")
        async with FakeLab.open(settings) as lab:
            rec = Recorder(lab, tmp_path / "s.yaml", "s")
            rec.start()
            await lab.send_text(settings.contacts[0].wa_id, "Oi")
            await lab.perform(settings.contacts[0].wa_id, Advance(timedelta(hours=25), "25h"))
            await lab.send_text(settings.contacts[1].wa_id, "Oi de outro")
            return rec.stop()

    doc = yamlio.load(asyncio.run(session()))
    assert [next(iter(s)) for s in doc["steps"]] == ["user", "advance", "contact", "user"]
    assert doc["llm"] == {"source": "cassette", "cassette": "s.cassette.yaml"}
    load_scenario(tmp_path / "s.yaml")  # what the recorder writes, the loader accepts
