"""Waiting in tests for something that happens in the background (a worker, a status webhook, a server).

A wait ends as soon as its condition holds; the timeout is only an upper bound for a loaded machine
(two workers of `-n 2` beside other jobs on two cores), never a pace, and running out of it fails
the test saying what never happened instead of carrying on to a confusing assertion.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable

PATIENCE = 60.0  # seconds: far beyond what any of these waits takes on an idle machine


async def eventually(
    condition: Callable[[], Any],
    what: str,
    *,
    pause: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    step: float = 0.01,
    timeout: float = PATIENCE,
) -> None:
    """Await `pause(step)` until `condition()` is true; `pause=pilot.pause` in Textual tests."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}")
        await pause(step)


def eventually_sync(
    condition: Callable[[], Any], what: str, *, step: float = 0.02, timeout: float = PATIENCE
) -> None:
    """The same for code that waits in a plain thread (servers run by uvicorn in threads)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}")
        time.sleep(step)
