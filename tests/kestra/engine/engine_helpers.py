"""Shared helpers for the engine tests: an engine with a recording fast sleep, and a flow runner."""

from __future__ import annotations

import asyncio
import textwrap
from typing import Any

from lab.kestra.engine import Engine, Execution


class RecordingSleep:
    """Retry back-off and LoopUntil waits, recorded and skipped."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


def flow(body: str, *, id: str = "f", namespace: str = "company.test") -> str:
    return f"id: {id}\nnamespace: {namespace}\n" + textwrap.dedent(body)


async def run(engine: Engine, source: str, **start: Any) -> Execution:
    f = engine.deploy(source)
    x = await engine.start(f.namespace, f.id, **start)
    return await engine.wait(x.id, timeout=10)


def states(x: Execution) -> dict[str, str]:
    return {t.task_id: t.state.current for t in x.task_runs}


def outputs(x: Execution, task_id: str) -> Any:
    return next(t.outputs for t in x.task_runs if t.task_id == task_id)
