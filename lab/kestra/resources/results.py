"""What executions produced: task and flow outputs, metrics.

Kestra 1.3 puts each task run's outputs in the execution JSON; 2.0 serves them apart, at
`/outputs/executions/{id}` (the flow's), `/outputs/tasks/{id}` (which task runs have outputs) and
`/outputs/tasks/{id}/{taskRunId}` (one task run's), so a 2.0 execution is filled in here.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from lab.kestra.connection import KestraConnection
from lab.kestra.shapes import Execution, Json, Metric, TaskOutput


class Results:
    """`client.results`: task and flow outputs, metrics of executions."""

    def __init__(self, connection: KestraConnection) -> None:
        self._connection = connection

    async def outputs(self, execution: Execution) -> list[TaskOutput]:
        """Each task run's outputs: in the task runs on 1.3; on 2.0 `GET /outputs/tasks/{id}` says which
        task runs have outputs and `GET /outputs/tasks/{id}/{taskRunId}` gives each one's."""
        found = [
            TaskOutput(t.task_id, t.id, t.outputs, t.iteration)
            for t in execution.task_runs
            if t.outputs is not None
        ]
        if found or self._connection.dialect != "2.0":
            return found
        base = self._connection.path("outputs", "tasks", execution.id)
        what, subject = f"read the outputs of execution {execution.id}", f"execution {execution.id}"
        listed = await self._connection.json("GET", base, what=what, subject=subject) or []
        values = await asyncio.gather(
            *(
                self._connection.json(
                    "GET", f"{base}/{quote(item['taskRunId'], safe='')}", what=what, subject=subject
                )
                for item in listed
            )
        )
        return [
            TaskOutput(item["taskId"], item["taskRunId"], value or {}, item.get("iteration"))
            for item, value in zip(listed, values)
        ]

    async def flow_outputs(self, execution: Execution) -> dict[str, Any]:
        """The flow's outputs: in the execution on 1.3, `GET /outputs/executions/{id}` on 2.0."""
        if execution.outputs or self._connection.dialect != "2.0":
            return execution.outputs
        return (
            await self._connection.json(
                "GET",
                self._connection.path("outputs", "executions", execution.id),
                what=f"read the outputs of execution {execution.id}",
                subject=f"execution {execution.id}",
            )
            or {}
        )

    async def with_outputs(self, execution: Execution) -> Execution:
        """The execution with its flow and task-run outputs filled in (2.0 serves them apart; 1.3 as is)."""
        if self._connection.dialect != "2.0":
            return execution
        by_run = {o.task_run_id: o.value for o in await self.outputs(execution)}
        for run in execution.task_runs:
            if run.outputs is None and run.id in by_run:
                run.outputs = by_run[run.id]
        execution.outputs = await self.flow_outputs(execution)
        return execution

    async def search_executions(
        self, params: dict[str, Any], *, page: int = 1, size: int = 100
    ) -> tuple[list[Json], int]:
        """One page of `GET /executions/search` (Kestra's `filters[field][OPERATION]=value`
        parameters): the executions found (light ones on 2.0) and how many there are in all."""
        data = await self._connection.json(
            "GET",
            self._connection.path("executions", "search"),
            params={**params, "page": page, "size": size},
            what="search the executions",
        )
        return list((data or {}).get("results") or []), int((data or {}).get("total") or 0)

    async def metrics(self, execution_id: str, *, task_id: str | None = None) -> list[Metric]:
        """Metrics of the execution (token counters of the AI / OpenAI plugins), all pages."""
        found: list[Metric] = []
        page = 1
        while True:
            params: dict[str, Any] = {"page": page, "size": 100}
            if task_id:
                params["taskId"] = task_id
            data = await self._connection.json(
                "GET",
                self._connection.path("metrics", execution_id),
                params=params,
                what=f"read the metrics of execution {execution_id}",
            )
            results = (data or {}).get("results") or []
            found.extend(Metric.from_json(m) for m in results)
            if len(found) >= int((data or {}).get("total") or 0) or not results:
                return found
            page += 1
