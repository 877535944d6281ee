"""Runs one conformance flow run on the embedded engine and returns the execution shape the
matchers read (README "Execution shape")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lab.kestra.engine import Engine, InputInvalid


async def _no_wait(seconds: float) -> None:
    """Retry back-off and LoopUntil intervals pass at once: the outcomes do not depend on them."""
    import asyncio

    await asyncio.sleep(0)


def _execution_dict(engine: Engine, x: Any) -> dict[str, Any]:
    logs = [
        {"taskRunId": e.taskrun_id, "taskId": e.task_id, "level": e.level, "message": e.message}
        for e in engine.logs(x.id)
    ]
    return {
        "id": x.id,
        "flowId": x.flow_id,
        "state": x.state.current,
        "startError": None,
        "taskRunList": [
            {
                "id": t.id,
                "taskId": t.task_id,
                "parentTaskRunId": t.parent_id,
                "value": t.value,
                "iteration": t.iteration,
                "state": t.state.current,
                "attempts": [{"state": a.state.current} for a in t.attempts],
                "outputs": t.outputs or {},
                "startDate": t.state.start_date,
                "endDate": t.state.end_date,
            }
            for t in x.task_runs
        ],
        "outputs": x.outputs,
        "inputs": x.inputs,
        "variables": x.variables,
        "labels": [{"key": k, "value": v} for k, v in x.labels],
        "trigger": x.trigger or {},
        "logs": logs,
        "childExecutions": [_execution_dict(engine, engine.execution(c)) for c in x.children],
        "subExecutions": [_execution_dict(engine, engine.execution(i)) for i in x.iterations],
        "loop": x.loop,
    }


async def run_flow(
    flow_yaml: str, run: dict[str, Any], flows_dir: str | Path, version: str
) -> dict[str, Any]:
    engine = Engine(version=version, sleep=_no_wait)
    try:
        for sub in run.get("subflows") or []:
            engine.deploy((Path(flows_dir) / sub).read_text(encoding="utf-8"), path=sub)
        flow = engine.deploy(flow_yaml, path=run["flow"])
        mode = run.get("inputs_mode", "validated")
        labels = [(i["key"], i["value"]) for i in run.get("labels") or []]
        try:
            x = await engine.start(
                flow.namespace, flow.id, inputs=run.get("inputs"), labels=labels, input_mode=mode
            )
        except InputInvalid as exc:
            return {"startError": exc.what, "state": None}
        await engine.wait(x.id, timeout=20)
        return _execution_dict(engine, x)
    finally:
        await engine.aclose()
