"""Kestra 2.0's Loop: every iteration is a sub-execution that sees the parent's outputs and id."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from lab.kestra.engine import states as S
from lab.kestra.engine.context import TaskContext as Ctx
from lab.kestra.engine.execution import Execution, StateInfo, new_id
from lab.kestra.engine.flow import RetryDef, TaskDef
from lab.kestra.engine.runstate import Run
from lab.kestra.engine.tasks.base import TaskFailed

if TYPE_CHECKING:
    from lab.kestra.engine.context import TaskContext
    from lab.kestra.engine.execution import TaskRun
    from lab.kestra.engine.executor import Executor


def loop_items(ctx: TaskContext, raw: Any) -> list[tuple[Any, Any]]:
    """(key, value) pairs: a map iterates its entries, a list (or JSON string of one) its items."""
    if isinstance(raw, str):
        rendered = ctx.render_typed(raw)
        if isinstance(rendered, str):
            try:
                rendered = json.loads(rendered)
            except ValueError:
                raise TaskFailed(
                    f"Unable to read the values of {ctx.task_id} as a list or a map: {rendered!r}"
                ) from None
        raw = rendered
    else:
        raw = ctx.render(raw)
    if isinstance(raw, dict):
        return list(raw.items())
    if isinstance(raw, list):
        return [
            (
                None,
                v
                if isinstance(v, (dict, list, str)) or v is None
                else ("true" if v is True else "false" if v is False else str(v)),
            )
            for v in raw
        ]
    raise TaskFailed(f"The values of {ctx.task_id} must be a list or a map")


def _item(run: Run, index: int, key: Any, value: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"value": value, "index": index}
    if key is not None:
        item["key"] = key
    outer = (run.extra or {}).get("item")
    if outer is not None:
        item["parent"] = {k: v for k, v in outer.items() if k not in ("parent", "parents")}
        item["parents"] = [item["parent"], *outer.get("parents", [])]
    return item


async def run_loop(
    ex: Executor, run: Run, task: TaskDef, tr: TaskRun, ctx: TaskContext, retry: RetryDef | None
) -> str:
    items = loop_items(ctx, task.props.get("values"))
    limit = int(task.props.get("concurrencyLimit", 1))
    transmit = bool(task.props.get("transmitFailed", True))
    declared = task.props.get("outputs") or []
    results: list[dict[str, Any] | None] = [None] * len(items)
    failed = False

    async def iteration(index: int, key: Any, value: Any) -> str:
        nonlocal failed
        parent = run.execution
        x = Execution(
            new_id(),
            parent.namespace,
            parent.flow_id,
            parent.flow_revision,
            StateInfo.start(S.CREATED, ex.now()),
            inputs=parent.inputs,
            labels=list(parent.labels),
            variables=dict(parent.variables),
            trigger=parent.trigger,
            parent_id=parent.id,
            loop={"index": index, "value": value},
        )
        sub = Run(ex.engine, run.flow, x)
        sub.functions = run.functions
        sub.context_parent = run
        sub.outputs_tree = dict(run.outputs_tree)
        sub.extra = {"item": _item(run, index, key, value)}
        ex.engine._register(sub)
        parent.iterations.append(x.id)
        run.iterations.append(sub)
        x.state.set(S.RUNNING, ex.now())
        state = await ex.run_block(
            sub, task.block("tasks"), task.block("errors"), task.block("finally"), None, retry
        )
        if sub.exit_state is not None:
            run.exit_state = sub.exit_state
        outputs: dict[str, Any] = {}

        sub_ctx = Ctx(sub, task, None)
        for out in declared:
            try:
                outputs[out["id"]] = (
                    sub_ctx.render_str(out.get("value"))
                    if str(out.get("type", "STRING")).upper() == "STRING"
                    else sub_ctx.render_typed(out.get("value"))
                )
            except Exception as exc:  # noqa: BLE001 - a failed output fails the iteration
                sub_ctx.log("ERROR", f"Unable to render loop output '{out.get('id')}': {exc}")
                state = S.FAILED
        x.state.set(state, ex.now())
        sub.done.set()
        sub.changed()
        results[index] = {"index": index, "value": value, "state": state, "outputs": outputs}
        if state in S.FAILED_LIKE:
            failed = True
        return state

    sem = asyncio.Semaphore(limit) if limit > 0 else None

    async def guarded(index: int, key: Any, value: Any) -> str | None:
        if sem is None:
            return await iteration(index, key, value)
        async with sem:
            if failed and transmit:
                return None
            return await iteration(index, key, value)

    if limit == 1:
        states = []
        for i, (k, v) in enumerate(items):
            states.append(await iteration(i, k, v))
            if failed and transmit:
                break
    else:
        states = [
            s
            for s in await asyncio.gather(*(guarded(i, k, v) for i, (k, v) in enumerate(items)))
            if s is not None
        ]
    done = [r for r in results if r is not None]
    run.set_outputs(
        tr, {"iterationCount": len(done), "terminatedIterations": len(done), "outputs": done}
    )
    if run.exit_state is not None:
        return run.exit_state
    if failed and transmit:
        return S.FAILED
    return S.SUCCESS if all(s != S.WARNING for s in states) or not transmit else S.WARNING
