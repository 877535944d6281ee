"""What executions left behind, in the embedded REST API: execution search, outputs (2.0), metrics, logs."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Callable

from lab.kestra.engine.api_support import Reply, error_reply, json_reply, sse_event

if TYPE_CHECKING:
    from lab.kestra.engine.api import Call, KestraApi

_LEVELS = {"TRACE": 0, "DEBUG": 1, "INFO": 2, "WARN": 3, "ERROR": 4}
_FILTER = re.compile(r"^filters\[(\w+)\]\[(\w+)\]$")


def register(api: KestraApi, add: Callable, base: str) -> None:
    """Add the search, outputs, metrics and logs routes to the app."""
    engine = api.engine
    search_shape = (
        "light" if api.dialect == "2.0" else "full"
    )  # 2.0 searches answer ApiLightExecution

    def paged(call: Call, items: list[Any]) -> Reply:
        """Kestra's `PagedResults`: one page of `items` and their total (page and size from the query)."""
        try:
            page, size = int(call.arg("page", "1") or 1), int(call.arg("size", "10") or 10)
        except ValueError:
            return error_reply(400, "Bad Request: page and size must be integers", call.path)
        if page < 1 or size < 1:
            return error_reply(400, "Bad Request: page and size must be at least 1", call.path)
        return json_reply({"results": items[(page - 1) * size : page * size], "total": len(items)})

    def executions(conditions: list[tuple[str, str, str]]) -> list[Any]:
        found = [
            e
            for e in engine.executions()
            if all(_holds(_field(e, f), op, v) for f, op, v in conditions)
        ]
        return sorted(
            found, key=lambda e: e.state.start_date or 0, reverse=True
        )  # newest first, as Kestra

    async def search(call: Call) -> Reply:
        """`GET /executions/search?filters[field][OP]=value` (and 1.3's plain `namespace=`, `flowId=`, `state=`)."""
        conditions = query_filters(call)
        for name in ("namespace", "flowId", "state"):
            if call.arg(name):
                conditions.append(
                    (name, "IN" if name == "state" else "EQUALS", call.arg(name) or "")
                )
        return paged(call, [api.execution_json(e, search_shape) for e in executions(conditions)])

    async def search_by_flow(call: Call) -> Reply:
        """`GET /executions?namespace=&flowId=`: the executions of one flow."""
        namespace, flow_id = call.arg("namespace"), call.arg("flowId")
        if not namespace or not flow_id:
            return error_reply(400, "Bad Request: namespace and flowId are required", call.path)
        found = executions([("namespace", "EQUALS", namespace), ("flowId", "EQUALS", flow_id)])
        return paged(call, [api.execution_json(e, search_shape) for e in found])

    async def execution_outputs(call: Call) -> Reply:
        return json_reply(api._execution(call.params["id"], call.path).outputs or {})

    async def task_outputs(call: Call) -> Reply:
        """Where each task run's outputs are: `value` is the run's iteration value, as in Kestra."""
        execution = api._execution(call.params["id"], call.path)
        out = []
        for run in execution.task_runs:
            if not run.outputs:
                continue
            item: dict[str, Any] = {"taskId": run.task_id, "taskRunId": run.id}
            if run.value is not None:
                item["value"] = run.value
            if run.iteration is not None:
                item["iteration"] = run.iteration
            item["inline"] = True
            out.append(item)
        return json_reply(out)

    async def task_run_outputs(call: Call) -> Reply:
        execution = api._execution(call.params["id"], call.path)
        run = execution.task_run(call.params["taskrun"])
        if run is None:
            return error_reply(
                404, f"Not Found: task run {call.params['taskrun']} not found", call.path
            )
        return json_reply(run.outputs or {})

    async def metrics(call: Call) -> Reply:
        """Kestra's `PagedResults<MetricEntry>`: the metrics the execution's task runs published."""
        items = [m.to_json() for m in engine.metrics(call.params["id"])]
        task_id, taskrun_id = call.arg("taskId"), call.arg("taskRunId")
        return paged(
            call,
            [
                m
                for m in items
                if (not task_id or m["taskId"] == task_id)
                and (not taskrun_id or m["taskRunId"] == taskrun_id)
            ],
        )

    def log_entries(call: Call) -> list[dict[str, Any]]:
        api._execution(call.params["id"], call.path)
        min_level, task_id, taskrun_id = (
            call.arg("minLevel"),
            call.arg("taskId"),
            call.arg("taskRunId"),
        )
        return [
            e
            for e in (entry.to_json() for entry in engine.logs(call.params["id"]))
            if _level_ok(e, min_level)
            and (not task_id or e.get("taskId") == task_id)
            and (not taskrun_id or e.get("taskRunId") == taskrun_id)
        ]

    async def logs(call: Call) -> Reply:
        return json_reply(log_entries(call))

    async def download_logs(call: Call) -> Reply:
        """The logs as text, one line each: date, level, message (Kestra's `LogEntry.toPrettyString`)."""
        text = "".join(
            f"{e['timestamp']} {e['level']} {e.get('message', '')}\n" for e in log_entries(call)
        )
        return Reply(200, text.encode(), [(b"content-type", b"text/plain")])

    async def follow_logs(call: Call) -> Reply:
        execution_id = call.params["id"]
        api._execution(execution_id, call.path)
        min_level = call.arg("minLevel")

        async def events() -> AsyncIterator[bytes]:
            yield sse_event("start", {"attemptNumber": 0})
            async for entry in engine.watch_logs(execution_id):
                data = entry.to_json()
                if _level_ok(data, min_level):
                    yield sse_event("progress", data)

        return Reply.stream(events())

    add("GET", base + "/executions/search", search)
    add("GET", base + "/executions", search_by_flow)
    if api.dialect == "2.0":
        add("GET", base + "/outputs/executions/{id}", execution_outputs)
        add("GET", base + "/outputs/tasks/{id}", task_outputs)
        add("GET", base + "/outputs/tasks/{id}/{taskrun}", task_run_outputs)
    add("GET", base + "/metrics/{id}", metrics)
    add("GET", base + "/logs/{id}", logs)
    add("GET", base + "/logs/{id}/download", download_logs)
    add("GET", base + "/logs/{id}/follow", follow_logs)


def query_filters(call: Call) -> list[tuple[str, str, str]]:
    """Kestra's `filters[field][OPERATION]=value` query parameters as (field, operation, value)."""
    found = []
    for name, values in call.query.items():
        match = _FILTER.match(name)
        if match:
            found += [(match.group(1), match.group(2).upper(), value) for value in values]
    return found


def _field(execution: Any, name: str) -> Any:
    if name == "namespace":
        return execution.namespace
    if name == "flowId":
        return execution.flow_id
    if name == "state":
        return execution.state.current
    if name == "labels":
        return [f"{k}:{v}" for k, v in execution.labels]
    return None


def _holds(actual: Any, operation: str, value: str) -> bool:
    """One filter condition (unknown fields match, as Kestra ignores what it cannot filter on here)."""
    if actual is None:
        return True
    values = actual if isinstance(actual, list) else [str(actual)]
    wanted = [v.strip() for v in value.split(",")]
    if operation in ("EQUALS", "IN"):
        return any(v in wanted for v in values)
    if operation in ("NOT_EQUALS", "NOT_IN"):
        return not any(v in wanted for v in values)
    if operation == "PREFIX":  # a namespace and its children
        return any(v == value or v.startswith(value + ".") for v in values)
    if operation == "STARTS_WITH":
        return any(v.startswith(value) for v in values)
    if operation == "ENDS_WITH":
        return any(v.endswith(value) for v in values)
    if operation == "CONTAINS":
        return any(value in v for v in values)
    if operation == "REGEX":
        return any(re.search(value, v) for v in values)
    return True


def _level_ok(entry: dict[str, Any], min_level: str | None) -> bool:
    return not min_level or _LEVELS.get(entry.get("level", "INFO"), 2) >= _LEVELS.get(
        min_level.upper(), 0
    )
