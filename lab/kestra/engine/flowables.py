"""Flowable tasks: If, Switch, Sequential, Parallel, ForEach (and EachSequential/EachParallel),
AllowFailure, LoopUntil (WaitFor) and Subflow. Each returns the final state of its task run."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from lab.kestra.engine import states as S
from lab.kestra.engine.context import TaskContext as Ctx
from lab.kestra.engine.executor import truthy
from lab.kestra.engine.flow import CORE, RetryDef, TaskDef, seconds
from lab.kestra.engine.loop import run_loop
from lab.kestra.engine.pause import run_pause
from lab.kestra.engine.tasks.base import TaskFailed

if TYPE_CHECKING:
    from lab.kestra.engine.context import TaskContext
    from lab.kestra.engine.execution import TaskRun
    from lab.kestra.engine.executor import Executor
    from lab.kestra.engine.runstate import Run


async def run_if(
    ex: Executor, run: Run, task: TaskDef, tr: TaskRun, ctx: TaskContext, retry: RetryDef | None
) -> str:
    condition = truthy(ctx.render_str(task.props.get("condition")))
    branch = task.block("then") if condition else task.block("else")
    return await ex.run_block(run, branch, task.block("errors"), task.block("finally"), tr, retry)


async def run_switch(
    ex: Executor, run: Run, task: TaskDef, tr: TaskRun, ctx: TaskContext, retry: RetryDef | None
) -> str:
    value = ctx.render_str(task.props.get("value"))
    branch = task.cases.get(value)
    defaults = branch is None
    run.set_outputs(tr, {"value": value, "defaults": defaults})
    if branch is None:
        if "defaults" not in task.blocks:  # Kestra: no task found -> the Switch fails
            ctx.log(
                "WARN",
                f"No task found on flow '{run.flow.namespace}.{run.flow.id}', task '{task.id}', "
                f"execution '{run.execution.id}'",
            )
            return S.FAILED
        branch = task.block("defaults")
    return await ex.run_block(run, branch, task.block("errors"), task.block("finally"), tr, retry)


async def run_sequential(
    ex: Executor, run: Run, task: TaskDef, tr: TaskRun, ctx: TaskContext, retry: RetryDef | None
) -> str:
    return await ex.run_block(
        run, task.block("tasks"), task.block("errors"), task.block("finally"), tr, retry
    )


async def _bounded(coros: list[Any], limit: int, stop_on_failure: bool) -> list[str]:
    """Run coroutine factories concurrently, at most `limit` at once (0 = unlimited)."""
    if not coros:
        return []
    if limit == 1:
        states = []
        for make in coros:
            state = await make()
            states.append(state)
            if stop_on_failure and state in S.FAILED_LIKE:
                break
        return states
    if limit <= 0 or limit >= len(coros):
        return list(await asyncio.gather(*(make() for make in coros)))
    sem = asyncio.Semaphore(limit)
    failed = False

    async def guarded(make: Any) -> str | None:
        nonlocal failed
        async with sem:
            if failed and stop_on_failure:
                return None
            state = await make()
            failed = failed or state in S.FAILED_LIKE
            return state

    return [s for s in await asyncio.gather(*(guarded(m) for m in coros)) if s is not None]


async def run_parallel(
    ex: Executor, run: Run, task: TaskDef, tr: TaskRun, ctx: TaskContext, retry: RetryDef | None
) -> str:
    children = [t for t in task.block("tasks") if not t.disabled]
    limit = int(task.props.get("concurrent") or 0)
    states = await _bounded(
        [lambda t=t: ex.run_task(run, t, tr, retry) for t in children], limit, True
    )
    return await _close(ex, run, task, tr, retry, states)


async def _close(
    ex: Executor, run: Run, task: TaskDef, tr: TaskRun, retry: RetryDef | None, states: list[str]
) -> str:
    """Run a flowable's errors (after a failure) and finally, then pick its state."""
    if run.exit_state is not None:
        return run.exit_state
    if any(s in S.FAILED_LIKE for s in states) and task.block("errors"):
        await ex.run_list(run, task.block("errors"), tr, retry)
    if task.block("finally"):
        await ex.run_list(run, task.block("finally"), tr, retry)
    return S.guess_final_state(states) if states else S.SUCCESS


def _java_string(value: Any) -> str:
    """How ForEach turns an item into taskrun.value: strings as they are, the rest as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def each_values(ctx: TaskContext, raw: Any) -> list[str]:
    """Resolve ForEach `values`: a JSON string (rendered), or a list whose items are rendered."""
    if isinstance(raw, str):
        rendered = ctx.render_str(raw)
        try:
            items = json.loads(rendered)
        except ValueError:
            raise TaskFailed(
                f"Unable to parse the values of {ctx.task_id} as a JSON list: {rendered!r}"
            ) from None
        if not isinstance(items, list):
            raise TaskFailed(f"The values of {ctx.task_id} must be a list, got {rendered!r}")
    elif isinstance(raw, list):
        items = []
        for item in raw:
            if isinstance(item, str):
                items.append(ctx.render_str(item))
            elif isinstance(item, dict):
                items.append(ctx.render(item))
            elif isinstance(item, bool):
                items.append("true" if item else "false")
            elif item is None:
                items.append(None)
            else:
                items.append(str(item))
    else:
        raise TaskFailed(
            f"Unknown value type for the values of {ctx.task_id}: {type(raw).__name__}"
        )
    if any(i is None for i in items):
        raise TaskFailed(f"Found null values on Each, with values={items}")
    out: list[str] = []
    for item in items:
        text = _java_string(item)
        if text not in out:
            out.append(text)
    return out


async def run_foreach(
    ex: Executor, run: Run, task: TaskDef, tr: TaskRun, ctx: TaskContext, retry: RetryDef | None
) -> str:
    raw = task.props.get("values", task.props.get("value"))
    values = each_values(ctx, raw)
    if task.type == CORE + "flow.ForEach":
        limit = int(task.props.get("concurrencyLimit", 1))
    elif task.type == CORE + "flow.EachParallel":
        limit = int(task.props.get("concurrent") or 0)
    else:
        limit = 1
    children = task.block("tasks")

    def group(i: int, v: str) -> Any:
        async def go() -> str:
            states = await ex.run_list(run, children, tr, retry, v, i)
            return S.guess_final_state(states) if states else S.SUCCESS

        return go

    states = await _bounded([group(i, v) for i, v in enumerate(values)], limit, True)
    return await _close(ex, run, task, tr, retry, states)


async def run_allow_failure(
    ex: Executor, run: Run, task: TaskDef, tr: TaskRun, ctx: TaskContext, retry: RetryDef | None
) -> str:
    state = await ex.run_block(
        run, task.block("tasks"), task.block("errors"), task.block("finally"), tr, retry
    )
    return S.WARNING if state == S.FAILED else state


async def run_loop_until(
    ex: Executor, run: Run, task: TaskDef, tr: TaskRun, ctx: TaskContext, retry: RetryDef | None
) -> str:
    frequency = task.props.get("checkFrequency") or {}
    max_iterations = frequency.get("maxIterations")
    interval = seconds(frequency.get("interval")) if frequency.get("interval") is not None else 60.0
    fail_on_max = bool(task.props.get("failOnMaxReached", False))
    count = 1
    while True:
        run.set_outputs(tr, {"iterationCount": count})
        tr.iteration = count - 1
        states = await ex.run_list(run, task.block("tasks"), tr, retry, None, count - 1)
        if run.exit_state is not None:
            return run.exit_state
        if any(s in S.FAILED_LIKE for s in states):
            return await _close(ex, run, task, tr, retry, states)
        ctx.refresh()
        if truthy(ctx.render_str(task.props.get("condition"))):
            return await _close(ex, run, task, tr, retry, states)
        if max_iterations is not None and count >= int(max_iterations):
            count += 1
            run.set_outputs(tr, {"iterationCount": count})
            if fail_on_max:
                ctx.log("ERROR", f"Max iterations reached ({max_iterations})")
                return await _close(ex, run, task, tr, retry, states + [S.FAILED])
            return await _close(ex, run, task, tr, retry, states)
        await ex.sleep(interval or 0)
        count += 1


async def run_subflow(
    ex: Executor, run: Run, task: TaskDef, tr: TaskRun, ctx: TaskContext, retry: RetryDef | None
) -> str:
    p = task.props
    namespace = ctx.render_str(p.get("namespace"))
    flow_id = ctx.render_str(p.get("flowId"))
    inputs = ctx.render(p.get("inputs") or {})
    labels = ctx.render(p.get("labels") or {})
    child = await ex.engine._start_child(
        run,
        tr,
        namespace,
        flow_id,
        inputs=inputs,
        labels=labels,
        inherit_labels=bool(p.get("inheritLabels", False)),
    )
    outputs: dict[str, Any] = {"executionId": child.execution.id}
    if not p.get("wait", True):
        run.set_outputs(tr, outputs)
        return S.SUCCESS
    await child.done.wait()
    cx = child.execution
    outputs["state"] = cx.state.current
    state = cx.state.current
    if state in S.FAILED_LIKE or state == S.CANCELLED:
        state = S.FAILED if p.get("transmitFailed", True) else S.SUCCESS
    rendered_ok = True
    if p.get("outputs"):
        try:
            outputs["outputs"] = Ctx(child, None, None).render(p["outputs"])
        except Exception as exc:
            ctx.log(
                "ERROR", f"Unable to render the outputs of subflow {namespace}.{flow_id}: {exc}"
            )
            rendered_ok = False
    elif cx.outputs:
        outputs["outputs"] = cx.outputs
    run.set_outputs(tr, outputs)
    return state if rendered_ok else S.FAILED


FLOWABLES: dict[str, Any] = {
    CORE + "flow.If": run_if,
    CORE + "flow.Switch": run_switch,
    CORE + "flow.Sequential": run_sequential,
    CORE + "flow.Parallel": run_parallel,
    CORE + "flow.ForEach": run_foreach,
    CORE + "flow.EachSequential": run_foreach,
    CORE + "flow.EachParallel": run_foreach,
    CORE + "flow.AllowFailure": run_allow_failure,
    CORE + "flow.LoopUntil": run_loop_until,
    CORE + "flow.Subflow": run_subflow,
}


def _load_loop() -> None:
    FLOWABLES[CORE + "flow.Loop"] = run_loop
    FLOWABLES[CORE + "flow.Pause"] = run_pause


_load_loop()
