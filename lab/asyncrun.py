"""Running the lab's coroutines from synchronous code, with Ctrl-C that always stops them.

`asyncio.run` turns Ctrl-C into a cancellation of its main task and, once that task ends
cancelled, into KeyboardInterrupt. A cancellation reaching an awaited task that ends on it
normally (an execution ends KILLED when cancelled, as a Kestra kill does) is lost on the way:
the main task resumes with the inner result and the run goes on. `run` re-raises it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(coro)`; a Ctrl-C during it raises KeyboardInterrupt even if a task swallowed it."""
    return asyncio.run(_honouring_cancellation(coro))


async def _honouring_cancellation(coro: Coroutine[Any, Any, T]) -> T:
    result = await coro
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError  # asyncio.run makes it the KeyboardInterrupt it came from
    return result
