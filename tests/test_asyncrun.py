"""Ctrl-C stops a lab run even when the task it lands in ends normally on cancellation."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def ctrl_c_as_at_a_terminal() -> None:
    """SIGINT handled by default in the child, even when this run ignores it (started with `&`)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


PROGRAM = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from lab import asyncrun

    async def execution():  # ends KILLED on cancellation, as an engine execution does
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            return "KILLED"

    async def turn():
        task = asyncio.create_task(execution())
        asyncio.get_running_loop().call_later(0.05, os.kill, os.getpid(), signal.SIGINT)
        return await task

    runner = asyncrun.run if sys.argv[1] == "lab" else asyncio.run
    try:
        print("returned", runner(turn()))
    except KeyboardInterrupt:
        print("interrupted")
    """
)


def run(runner: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, runner],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=ctrl_c_as_at_a_terminal,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_plain_asyncio_run_loses_a_ctrl_c_that_an_inner_task_swallowed() -> None:
    assert run("asyncio") == "returned KILLED"  # the CPython behaviour asyncrun exists for


def test_asyncrun_turns_it_into_keyboard_interrupt() -> None:
    assert run("lab") == "interrupted"
