"""Kestra's JSON as small typed models: executions, task runs, attempts, logs, flows, KV, files.

Every model keeps the JSON it was parsed from in `raw`, so a caller can reach a field the model
does not name. Parsing is a few dict lookups per object: it sits on the hot path of every turn.
Shapes are those of Kestra 1.3 LTS and 2.0 (`reference/kestra.md` §2, §3, §10).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]

# State.Type terminated states (Kestra 1.3 `State.Type.isTerminated`).
TERMINATED = frozenset(
    {"FAILED", "WARNING", "SUCCESS", "KILLED", "CANCELLED", "RETRIED", "SKIPPED", "RESUBMITTED"}
)
LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR")
KV_TYPES = ("STRING", "NUMBER", "BOOLEAN", "DATETIME", "DATE", "DURATION", "JSON")


@dataclass(slots=True)
class ServerInfo:
    """What `GET /api/v1/configs` says about the server."""

    version: str
    edition: str
    dialect: str  # "1.3" or "2.0": which API variant the client speaks
    basic_auth_enabled: bool
    url: str | None = None
    raw: Json = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Json) -> ServerInfo:
        version = str(data.get("version") or "")
        auth = data.get("isBasicAuthInitialized", data.get("isBasicAuthEnabled", False))
        return cls(
            version=version,
            edition=str(data.get("edition") or "OSS"),
            dialect=dialect_of(version),
            basic_auth_enabled=bool(auth),
            url=data.get("url"),
            raw=data,
        )


def dialect_of(version: str) -> str:
    """ "2.0" for Kestra 2.x and later, "1.3" otherwise (1.x speaks the 1.3 API)."""
    head = version.split(".", 1)[0].lstrip("v")
    return "2.0" if head.isdigit() and int(head) >= 2 else "1.3"


@dataclass(slots=True)
class State:
    """A state with its history; `end_date`/`duration` only once terminated."""

    current: str
    histories: list[Json]
    start_date: str | None = None
    end_date: str | None = None
    duration: str | None = None

    @classmethod
    def from_json(cls, data: Json | None) -> State:
        data = data or {}
        return cls(
            current=data.get("current", "CREATED"),
            histories=data.get("histories") or [],
            start_date=data.get("startDate"),
            end_date=data.get("endDate"),
            duration=data.get("duration"),
        )

    @property
    def terminated(self) -> bool:
        return self.current in TERMINATED


@dataclass(slots=True)
class Attempt:
    """One attempt of a task run (retries add attempts to the same task run)."""

    state: State
    raw: Json = field(repr=False)


@dataclass(slots=True)
class TaskRun:
    """One run of one task; flowable tasks have their own, children point to it by parent id."""

    id: str
    task_id: str
    state: State
    attempts: list[Attempt]
    outputs: Json | None  # None on 2.0, where outputs come from the outputs endpoint
    parent_task_run_id: str | None
    value: str | None
    iteration: int | None
    raw: Json = field(repr=False)
    stood_in: bool = False  # the embedded engine's mark: a task fixture stood in for it

    @classmethod
    def from_json(cls, data: Json) -> TaskRun:
        return cls(
            id=data["id"],
            task_id=data["taskId"],
            state=State.from_json(data.get("state")),
            attempts=[
                Attempt(State.from_json(a.get("state")), a) for a in data.get("attempts") or ()
            ],
            outputs=data.get("outputs"),
            parent_task_run_id=data.get("parentTaskRunId"),
            value=data.get("value"),
            iteration=data.get("iteration"),
            raw=data,
            stood_in=bool(data.get("fixture")),
        )


@dataclass(slots=True)
class Execution:
    """An execution as `GET /executions/{id}` (or a webhook / SSE event) returns it."""

    id: str
    namespace: str
    flow_id: str
    flow_revision: int | None
    state: State
    task_runs: list[TaskRun]
    inputs: Json
    outputs: Json
    labels: dict[str, str]
    trigger: Json | None
    url: str | None
    raw: Json = field(repr=False)

    @classmethod
    def from_json(cls, data: Json) -> Execution:
        return cls(
            id=data["id"],
            namespace=data.get("namespace", ""),
            flow_id=data.get("flowId", ""),
            flow_revision=data.get("flowRevision"),
            state=State.from_json(data.get("state")),
            task_runs=[TaskRun.from_json(t) for t in data.get("taskRunList") or ()],
            inputs=data.get("inputs") or {},
            outputs=data.get("outputs") or {},
            labels={lb["key"]: lb.get("value") for lb in data.get("labels") or ()},
            trigger=data.get("trigger"),
            url=data.get("url"),
            raw=data,
        )

    @property
    def terminated(self) -> bool:
        """Terminated with every task run terminated too (when Kestra's follow stream ends)."""
        return self.state.terminated and all(t.state.terminated for t in self.task_runs)

    def task_run(self, task_id: str) -> TaskRun:
        """The first task run of task_id (KeyError when the task did not run)."""
        for run in self.task_runs:
            if run.task_id == task_id:
                return run
        raise KeyError(task_id)

    def task_outputs(self) -> dict[str, Json]:
        """Outputs by task id from the task runs (1.3; empty on 2.0, see KestraClient.outputs)."""
        return {t.task_id: t.outputs for t in self.task_runs if t.outputs is not None}


@dataclass(slots=True)
class WebhookResult:
    """What a webhook call returned: the execution it created, or (wait + returnOutputs) outputs.

    `execution_id` is None only when the flow returns its outputs map instead of the execution
    (returnOutputs) and the outputs carry no `executionId`, or when the webhook was skipped.
    """

    status: int
    execution_id: str | None
    execution: Execution | None
    outputs: Json | None
    started: bool = True  # False: trigger conditions not met (409 empty body on 1.3, 204 elsewhere)
    raw: Any = field(default=None, repr=False)


@dataclass(slots=True)
class LogEntry:
    """One log line of an execution."""

    execution_id: str | None
    task_id: str | None
    task_run_id: str | None
    attempt_number: int | None
    level: str
    message: str
    timestamp: str
    raw: Json = field(repr=False)

    @classmethod
    def from_json(cls, data: Json) -> LogEntry:
        return cls(
            execution_id=data.get("executionId"),
            task_id=data.get("taskId"),
            task_run_id=data.get("taskRunId"),
            attempt_number=data.get("attemptNumber"),
            level=data.get("level") or "INFO",
            message=data.get("message") or "",
            timestamp=data.get("timestamp") or "",
            raw=data,
        )


@dataclass(slots=True)
class Flow:
    """A flow as the flows API returns it (`FlowWithSource` when it includes `source`)."""

    id: str
    namespace: str
    revision: int | None
    disabled: bool
    source: str | None
    raw: Json = field(repr=False)

    @classmethod
    def from_json(cls, data: Json) -> Flow:
        return cls(
            id=data["id"],
            namespace=data["namespace"],
            revision=data.get("revision"),
            disabled=bool(data.get("disabled", False)),
            source=data.get("source"),
            raw=data,
        )


@dataclass(slots=True)
class FlowReport:
    """One flow's result from `/flows/validate`: valid when `constraints` is None."""

    index: int
    namespace: str | None
    flow: str | None
    constraints: str | None
    warnings: list[str]
    infos: list[str]
    deprecation_paths: list[str]
    outdated: bool
    filename: str | None
    raw: Json = field(repr=False)

    @classmethod
    def from_json(cls, data: Json) -> FlowReport:
        return cls(
            index=int(data.get("index") or 0),
            namespace=data.get("namespace"),
            flow=data.get("flow"),
            constraints=data.get("constraints"),
            warnings=list(data.get("warnings") or ()),
            infos=list(data.get("infos") or ()),
            deprecation_paths=list(data.get("deprecationPaths") or ()),
            outdated=bool(data.get("outdated", False)),
            filename=data.get("filename"),
            raw=data,
        )

    @property
    def valid(self) -> bool:
        return self.constraints is None


@dataclass(slots=True)
class KVEntry:
    """A typed KV value (`GET /namespaces/{ns}/kv/{key}`)."""

    type: str
    value: Any
    revision: int | None
    updated: str | None
    raw: Json = field(repr=False)

    @classmethod
    def from_json(cls, data: Json) -> KVEntry:
        return cls(
            type=data.get("type", "STRING"),
            value=data.get("value"),
            revision=data.get("revision"),
            updated=data.get("updated"),
            raw=data,
        )


@dataclass(slots=True)
class NamespaceFile:
    """An entry of a namespace files directory listing."""

    name: str
    type: str  # "File" or "Directory"
    size: int | None
    raw: Json = field(repr=False)

    @classmethod
    def from_json(cls, data: Json) -> NamespaceFile:
        return cls(
            name=data["fileName"], type=data.get("type", "File"), size=data.get("size"), raw=data
        )


@dataclass(slots=True)
class Metric:
    """A metric an execution's task published: plugin-ai's `input/output/total.token.count`, plugin-openai's
    `usage.prompt/completion/total.tokens`, script counters; a timer's value is in milliseconds."""

    name: str
    type: str
    value: float
    task_id: str | None
    task_run_id: str | None
    tags: dict[str, str]
    raw: Json = field(repr=False)

    @classmethod
    def from_json(cls, data: Json) -> Metric:
        return cls(
            name=data["name"],
            type=data.get("type", "counter"),
            value=float(data.get("value") or 0),
            task_id=data.get("taskId"),
            task_run_id=data.get("taskRunId"),
            tags=data.get("tags") or {},
            raw=data,
        )


@dataclass(slots=True)
class TaskOutput:
    """One task run's outputs (2.0 `GET /outputs/{executionId}` item; built from task runs on 1.3)."""

    task_id: str
    task_run_id: str
    value: Json
    iteration: int | None = None
