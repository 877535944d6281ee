"""What a running task sees: its expression variables and the RunContext the task interface names."""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lab.kestra.engine import render as R
from lab.kestra.engine.execution import TaskRun
from lab.kestra.engine.inputs import put_nested
from lab.kestra.engine.metrics import MetricEntry, checked, record

if TYPE_CHECKING:
    from lab.kestra.engine.flow import TaskDef
    from lab.kestra.engine.runstate import Run

LEVELS = {"TRACE": 0, "DEBUG": 1, "INFO": 2, "WARN": 3, "WARNING": 3, "ERROR": 4}


def nested_labels(labels: list[tuple[str, str]]) -> dict[str, Any]:
    """Labels as Kestra exposes them to expressions: `system.correlationId` -> {system: {correlationId}}."""
    out: dict[str, Any] = {}
    for key, value in labels:
        put_nested(out, key, value)
    return out


def taskrun_vars(tr: TaskRun) -> dict[str, Any]:
    # attemptsCount counts the attempts before the one running (0 on the first attempt).
    done = len(tr.attempts) - (
        1 if tr.attempts and tr.attempts[-1].state.current == "RUNNING" else 0
    )
    out: dict[str, Any] = {"id": tr.id, "startDate": tr.state.start_iso, "attemptsCount": done}
    if tr.parent_id is not None:
        out["parentId"] = tr.parent_id
    if tr.value is not None:
        out["value"] = tr.value
    if tr.iteration is not None:
        out["iteration"] = tr.iteration
    return out


def parents_vars(run: Run, tr: TaskRun) -> list[dict[str, Any]]:
    """`parents`: nearest first, only parents with a value or outputs (Execution.parents)."""
    out = []
    pid = tr.parent_id
    while pid is not None:
        parent = run.by_id.get(pid)
        if parent is None:
            break
        item: dict[str, Any] = {}
        if parent.value is not None:
            item["taskrun"] = {"value": parent.value}
        if parent.outputs:
            item["outputs"] = parent.outputs
        if item:
            out.append(item)
        pid = parent.parent_id
    return out


def base_variables(run: Run) -> dict[str, Any]:
    """The part of the context that is the same for every task run of an execution (its values are
    live objects: outputs, vars and task states are updated in place)."""
    x = run.execution
    out: dict[str, Any] = {
        "envs": run.engine.envs,
        "globals": run.engine.globals,
        "flow": {
            "id": run.flow.id,
            "namespace": run.flow.namespace,
            "revision": run.flow.revision,
            "tenantId": "main",
        },
        "outputs": run.outputs_tree,
        "tasks": run.tasks_map,
        "vars": x.variables,
        "kestra": {"environment": None, "url": run.engine.base_url},
    }
    if x.inputs:  # Kestra leaves `inputs` undefined when there are none
        out["inputs"] = x.inputs
    if x.trigger is not None:
        out["trigger"] = x.trigger.get("variables") or {}
    if run.extra:
        out.update(run.extra)
    return out


def variables(run: Run, task: TaskDef | None = None, tr: TaskRun | None = None) -> dict[str, Any]:
    """The expression context of RunVariables: flow, execution, task, taskrun, outputs, inputs, vars..."""
    base = run.base_vars
    if base is None:
        base = run.base_vars = base_variables(run)
    x = run.execution
    root = run
    while root.context_parent is not None:  # a Loop iteration sees its parent execution's id
        root = root.context_parent
    execution: dict[str, Any] = {
        "id": root.execution.id,
        "state": x.state.current,
        "startDate": x.state.start_iso,
    }
    if x.outputs is not None:
        execution["outputs"] = x.outputs
    out = dict(base)
    out["execution"] = execution
    out["labels"] = run.nested_labels()
    if task is not None:
        out["task"] = {"id": task.id, "type": task.type}
    if tr is not None:
        out["taskrun"] = taskrun_vars(tr)
        if tr.parent_id is not None:
            parents = parents_vars(run, tr)
            out["parents"] = parents
            if parents:
                out["parent"] = parents[0]
        else:
            out["parents"] = []
    return out


class TaskContext:
    """The RunContext of one task run (see tasks/base.py)."""

    def __init__(self, run: Run, task: TaskDef | None, tr: TaskRun | None) -> None:
        self.run = run
        self.task = task
        self.taskrun = tr
        engine = run.engine
        self.engine = engine
        self.execution = run.execution
        self.execution_id = run.execution.id
        self.namespace = run.flow.namespace
        self.flow_id = run.flow.id
        self.task_id = task.id if task else None
        self.taskrun_id = tr.id if tr else None
        self.kv = engine.kv
        self._vars: dict[str, Any] | None = None
        self._min_level = (
            LEVELS.get(str(task.log_level).upper(), 0) if task and task.log_level else 0
        )

    @property
    def http(self) -> Any:
        return self.engine.http_client()

    @property
    def variables(self) -> dict[str, Any]:
        # Rebuilt on demand: outputs and attempts change between renders of one task run.
        return variables(self.run, self.task, self.taskrun)

    def refresh(self) -> None:
        self._vars = None

    def _ctx(self) -> dict[str, Any]:
        if self._vars is None:
            self._vars = self.variables
        return self._vars

    def render(self, value: Any) -> Any:
        return R.render_property(value, self._ctx(), self.run.functions)

    def render_str(self, value: Any) -> str:
        return R.render_str(value, self._ctx(), self.run.functions)

    def render_typed(self, value: Any) -> Any:
        return R.render_typed(value, self._ctx(), self.run.functions)

    def log(self, level: str, message: str) -> None:
        level = "WARN" if level.upper() == "WARNING" else level.upper()
        if LEVELS.get(level, 2) < self._min_level:
            return
        attempt = max(len(self.taskrun.attempts) - 1, 0) if self.taskrun else None
        self.engine._log(self.run, self.task_id, self.taskrun_id, attempt, level, message)

    def metric(self, name: str, type: str, value: Any, tags: dict[str, Any] | None = None) -> None:
        """Publish a metric on this task run (see engine/metrics.py; MetricInvalid on a bad one)."""
        name, kind, number, str_tags = checked(name, type, value, tags)
        attempt = max(len(self.taskrun.attempts) - 1, 0) if self.taskrun else None
        x = self.run.execution
        record(
            self.engine._metrics.setdefault(x.id, []),
            MetricEntry(
                x.namespace,
                x.flow_id,
                x.id,
                self.task_id,
                self.taskrun_id,
                kind,
                name,
                number,
                self.engine.now(),
                str_tags,
                attempt,
            ),
        )

    def secret(self, name: str) -> str:
        return self.engine.secret(name)

    def read_file(self, path: str) -> bytes:
        if path.startswith("kestra://"):  # internal storage (a Download's uri, an outputFile)
            try:
                return self.engine.storage[path]
            except KeyError:
                raise FileNotFoundError(
                    f"no file {path} in the execution's internal storage"
                ) from None
        return self.engine.files.get(self.namespace, path)

    def list_files(self, prefix: str = "") -> list[str]:
        """The flow namespace's files (`/path/name`, sorted), as script tasks' `namespaceFiles` copy them."""
        return self.engine.files.list(self.namespace, prefix)

    def store_file(self, name: str, data: bytes) -> str:
        return self.engine.storage_put(self.execution_id, self.taskrun_id or "flow", name, data)

    def workdir(self) -> Path:
        return Path(tempfile.mkdtemp(prefix=f"walab-{self.taskrun_id}-"))


def decode_secret(raw: str) -> str:
    """OSS secrets are base64-encoded env values."""
    return base64.b64decode(raw).decode("utf-8")
