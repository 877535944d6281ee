"""io.kestra.plugin.core.flow.Pause: the task run and the execution go PAUSED until the pause
duration passes (then `behavior` decides) or `Engine.resume()` is called."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from lab.kestra.engine import states as S
from lab.kestra.engine.flow import InputDef, RetryDef, TaskDef, parse_inputs, seconds

if TYPE_CHECKING:
    from lab.kestra.engine.context import TaskContext
    from lab.kestra.engine.execution import TaskRun
    from lab.kestra.engine.executor import Executor
    from lab.kestra.engine.runstate import Run

BEHAVIORS = {"RESUME": S.SUCCESS, "WARN": S.WARNING, "CANCEL": S.CANCELLED, "FAIL": S.FAILED}


class Resumption:
    """A pending pause: `Engine.resume()` sets it with the onResume inputs (checked against the
    Pause task's `onResume` definitions when it declares them)."""

    def __init__(self, definitions: list[InputDef] | None = None) -> None:
        self.event = asyncio.Event()
        self.inputs: dict[str, Any] = {}
        self.definitions = definitions or []


async def run_pause(
    ex: Executor, run: Run, task: TaskDef, tr: TaskRun, ctx: TaskContext, retry: RetryDef | None
) -> str:
    raw = task.props.get("pauseDuration", task.props.get("delay"))
    duration = seconds(ctx.render_str(raw)) if raw is not None else None
    behavior = str(ctx.render_str(task.props.get("behavior") or "RESUME")).upper()
    pending = Resumption(parse_inputs(task.props.get("onResume")))
    run.engine._pauses[run.execution.id] = pending
    now = ex.now()
    tr.state.set(S.PAUSED, now)
    tr.attempts[-1].state.set(S.PAUSED, now)
    run.execution.state.set(S.PAUSED, now)
    run.changed()
    try:
        if duration is None:
            await pending.event.wait()
            resumed = True
        else:
            waiter = asyncio.ensure_future(pending.event.wait())
            timer = asyncio.ensure_future(ex.sleep(duration))
            try:
                await asyncio.wait({waiter, timer}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
                timer.cancel()
            resumed = pending.event.is_set()
    finally:
        run.engine._pauses.pop(run.execution.id, None)
    now = ex.now()
    tr.state.set(S.RUNNING, now)
    run.execution.state.set(S.RUNNING, now)
    state = S.SUCCESS if resumed else BEHAVIORS.get(behavior, S.SUCCESS)
    run.set_outputs(
        tr, {"onResume": pending.inputs, "resumed": {"to": state} if not resumed else {}}
    )
    if state == S.CANCELLED:
        run.exit_state = S.CANCELLED
        return state
    if state != S.SUCCESS:
        return state
    return await ex.run_block(
        run, task.block("tasks"), task.block("errors"), task.block("finally"), tr, retry
    )
