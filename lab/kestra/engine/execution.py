"""Executions, task runs, attempts and log entries, with Kestra's JSON shapes (1.3 and 2.0)."""

from __future__ import annotations

import functools
import os
import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from lab.kestra.engine import states as S
from lab.kestra.engine.fixtures import Fixtures

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


_rng = random.Random(os.urandom(32))
# Each random byte maps onto a base62 character (a slight bias: ~5.95 bits a character).
_TO_B62 = bytes.maketrans(bytes(range(256)), (_B62 * 5)[:256].encode())


def new_id() -> str:
    """A Kestra-style FriendlyId: 22 random base62 characters (~130 bits; ids, not secrets)."""
    return _rng.randbytes(22).translate(_TO_B62).decode()


@functools.lru_cache(
    maxsize=8192
)  # an execution is serialized again on every API read and SSE event
def iso(ts: float | None) -> str | None:
    """An instant as Kestra prints it: UTC, microseconds, `Z`."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@functools.lru_cache(maxsize=1024)  # durations repeat (a virtual clock, the same steps every turn)
def iso_duration(seconds: float) -> str:
    """A duration as Java's Duration.toString() writes it (PT1M2.5S)."""
    seconds = max(0.0, seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    out = "PT"
    if h >= 1:
        out += f"{int(h)}H"
    if m >= 1:
        out += f"{int(m)}M"
    if s or out == "PT":
        text = f"{s:.6f}".rstrip("0").rstrip(".")
        out += f"{text}S"
    return out


@dataclass(slots=True)
class StateInfo:
    """A state with its history (`state.current`, `state.histories`)."""

    current: str = S.CREATED
    histories: list[tuple[str, float]] = field(default_factory=list)
    _start_iso: str | None = None

    @classmethod
    def start(cls, state: str, ts: float) -> StateInfo:
        return cls(state, [(state, ts)])

    def set(self, state: str, ts: float) -> None:
        if state != self.current or not self.histories:
            self.current = state
            self.histories.append((state, ts))

    @property
    def start_date(self) -> float | None:
        return self.histories[0][1] if self.histories else None

    @property
    def start_iso(self) -> str | None:
        """The start date as Kestra prints it (computed once: expressions read it often)."""
        if self._start_iso is None and self.histories:
            self._start_iso = iso(self.histories[0][1])
        return self._start_iso

    @property
    def end_date(self) -> float | None:
        if self.current in S.TERMINATED or self.current == S.PAUSED:
            return self.histories[-1][1]
        return None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "current": self.current,
            "histories": [{"state": s, "date": iso(d)} for s, d in self.histories],
            "startDate": self.start_iso,
        }
        end = self.end_date
        if end is not None:
            out["endDate"] = iso(end)
            out["duration"] = iso_duration(end - (self.start_date or end))
        return out


@dataclass(slots=True)
class Attempt:
    """One try of a task run."""

    state: StateInfo

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state.to_json(), "workerId": "embedded"}


@dataclass(slots=True)
class TaskRun:
    """One run of one task (flowable tasks have their own)."""

    id: str
    execution_id: str
    namespace: str
    flow_id: str
    task_id: str
    parent_id: str | None
    value: str | None
    iteration: int | None
    state: StateInfo
    attempts: list[Attempt] = field(default_factory=list)
    outputs: dict[str, Any] | None = None
    stood_in: bool = False  # a task fixture stood in for the task (it did not run)

    def to_json(self, dialect: str = "1.3", *, ids: bool = True) -> dict[str, Any]:
        """Kestra's TaskRun; `ids=False` is 2.0's ApiTaskRun (no executionId/namespace/flowId).
        Outputs only on 1.3: 2.0 serves them at /outputs/tasks/{executionId}/{taskRunId}."""
        out: dict[str, Any] = {"tenantId": "main", "id": self.id}
        if ids:
            out.update(executionId=self.execution_id, namespace=self.namespace, flowId=self.flow_id)
        out["taskId"] = self.task_id
        if self.parent_id is not None:
            out["parentTaskRunId"] = self.parent_id
        if self.value is not None:
            out["value"] = self.value
        if self.iteration is not None:
            out["iteration"] = self.iteration
        if self.attempts:
            out["attempts"] = [a.to_json() for a in self.attempts]
        if dialect == "1.3" and self.outputs:
            out["outputs"] = self.outputs
        out["state"] = self.state.to_json()
        if self.stood_in:  # walab's mark (not Kestra's): a task fixture stood in for the task
            out["fixture"] = True
        return out


@dataclass(slots=True)
class LogEntry:
    """One log line of an execution (Kestra's LogEntry)."""

    namespace: str
    flow_id: str
    execution_id: str
    task_id: str | None
    taskrun_id: str | None
    attempt_number: int | None
    timestamp: float
    level: str
    message: str

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "tenantId": "main",
            "namespace": self.namespace,
            "flowId": self.flow_id,
        }
        if self.task_id is not None:
            out["taskId"] = self.task_id
        out["executionId"] = self.execution_id
        if self.taskrun_id is not None:
            out["taskRunId"] = self.taskrun_id
        out["attemptNumber"] = self.attempt_number
        out.update(
            timestamp=iso(self.timestamp), level=self.level, thread="embedded", message=self.message
        )
        return out


@dataclass(slots=True)
class Execution:
    """One run of a flow."""

    id: str
    namespace: str
    flow_id: str
    flow_revision: int
    state: StateInfo
    inputs: dict[str, Any] = field(default_factory=dict)
    labels: list[tuple[str, str]] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    trigger: dict[str, Any] | None = None
    task_runs: list[TaskRun] = field(default_factory=list)
    outputs: dict[str, Any] | None = None
    parent_id: str | None = None
    start_error: str | None = None
    # Executions started by Subflow tasks of this one, for inspection.
    children: list[str] = field(default_factory=list)
    # A 2.0 Loop iteration: {"index", "value"} and the parent execution; iterations of a parent.
    loop: dict[str, Any] | None = None
    iterations: list[str] = field(default_factory=list)
    fixtures: Fixtures | None = None  # a unit test's, a scenario's or --fixtures FILE's

    @property
    def terminated(self) -> bool:
        return self.state.current in S.TERMINATED

    def task_run(self, taskrun_id: str) -> TaskRun | None:
        return next((t for t in self.task_runs if t.id == taskrun_id), None)

    def label(self, key: str) -> str | None:
        return next((v for k, v in self.labels if k == key), None)

    def to_json(self, dialect: str = "1.3", shape: str = "full") -> dict[str, Any]:
        """Kestra's execution JSON (kestra.md §2.1, §10) in one of the shapes Kestra's API answers:

        - "full": `Execution` (1.3 everywhere; 2.0's follow events, create, kill, resume): task runs
          with their execution id, namespace and flow id, `deleted`, `originalId`.
        - "api": 2.0's `ApiExecution` (GET /executions/{id}): task runs without those ids, no `deleted`.
        - "light": 2.0's `ApiLightExecution` (search results): no task runs, variables or metadata.

        Outputs (the flow's and each task run's) are in the JSON on 1.3 only; 2.0 serves them at
        /outputs/executions/{id} and /outputs/tasks/{id}/{taskRunId}.
        """
        if dialect == "1.3":
            shape = "full"
        out: dict[str, Any] = {
            "tenantId": "main",
            "id": self.id,
            "namespace": self.namespace,
            "flowId": self.flow_id,
            "flowRevision": self.flow_revision,
        }
        if self.task_runs and shape != "light":
            ids = shape == "full"
            out["taskRunList"] = [t.to_json(dialect, ids=ids) for t in self.task_runs]
        if self.inputs:
            out["inputs"] = self.inputs
        if self.outputs and dialect == "1.3":
            out["outputs"] = self.outputs
        if self.labels:
            out["labels"] = [{"key": k, "value": v} for k, v in self.labels]
        if self.variables and shape != "light":
            out["variables"] = self.variables
        out["state"] = self.state.to_json()
        if self.parent_id is not None:
            out["parentId"] = self.parent_id
        out["originalId"] = self.id
        if self.trigger is not None:
            out["trigger"] = self.trigger
        if shape == "full":
            out["deleted"] = False
        if shape != "light":
            out["metadata"] = {
                "attemptNumber": 1,
                "originalCreatedDate": iso(self.state.start_date),
            }
        return out
