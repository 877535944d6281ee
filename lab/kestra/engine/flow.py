"""The flow model: a Kestra flow YAML parsed once, at deploy, into typed definitions."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from lab.clock import parse_duration
from lab.kestra.engine import plugin_defaults

CORE = "io.kestra.plugin.core."

# Properties every Kestra task has (core/.../models/tasks/Task.java), handled by the executor.
COMMON_TASK_PROPS = frozenset(
    {
        "id",
        "type",
        "version",
        "description",
        "retry",
        "timeout",
        "disabled",
        "logLevel",
        "allowFailure",
        "allowWarning",
        "runIf",
        "when",
        "logToFile",
        "workerGroup",
        "taskCache",
        "assets",
    }
)

# Flowable task types and the properties that hold child task lists ("cases" holds a map of lists).
FLOWABLE_BLOCKS: dict[str, tuple[str, ...]] = {
    CORE + "flow.If": ("then", "else", "errors", "finally"),
    CORE + "flow.Switch": ("cases", "defaults", "errors", "finally"),
    CORE + "flow.Sequential": ("tasks", "errors", "finally"),
    CORE + "flow.Parallel": ("tasks", "errors", "finally"),
    CORE + "flow.ForEach": ("tasks", "errors", "finally"),
    CORE + "flow.EachSequential": ("tasks", "errors", "finally"),
    CORE + "flow.EachParallel": ("tasks", "errors", "finally"),
    CORE + "flow.AllowFailure": ("tasks", "errors", "finally"),
    CORE + "flow.LoopUntil": ("tasks", "errors", "finally"),
    CORE + "flow.Loop": ("tasks", "errors", "finally"),
    CORE + "flow.Pause": ("tasks", "errors", "finally"),
}
TYPE_ALIASES = {
    CORE + "flow.WaitFor": CORE + "flow.LoopUntil",
    "io.kestra.core.tasks.flows.If": CORE + "flow.If",
    "io.kestra.core.tasks.flows.Switch": CORE + "flow.Switch",
    "io.kestra.core.tasks.flows.Sequential": CORE + "flow.Sequential",
    "io.kestra.core.tasks.flows.Parallel": CORE + "flow.Parallel",
    "io.kestra.core.tasks.flows.EachSequential": CORE + "flow.EachSequential",
    "io.kestra.core.tasks.flows.EachParallel": CORE + "flow.EachParallel",
    "io.kestra.core.tasks.flows.AllowFailure": CORE + "flow.AllowFailure",
    "io.kestra.core.tasks.flows.Subflow": CORE + "flow.Subflow",
    "io.kestra.core.tasks.flows.Flow": CORE + "flow.Subflow",
    "io.kestra.core.tasks.flows.Pause": CORE + "flow.Pause",
}


def canonical_type(type_name: str) -> str:
    """The canonical class name of a task type (aliases such as WaitFor -> LoopUntil resolved)."""
    return TYPE_ALIASES.get(type_name, type_name)


def seconds(value: Any) -> float | None:
    """An ISO-8601 duration (PT0.25S) or a number of seconds, in seconds."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return parse_duration(str(value)).total_seconds()


@dataclass(slots=True)
class RetryDef:
    """A task's `retry` policy (constant, exponential or random)."""

    type: str = "constant"
    max_attempts: int | None = None
    max_duration: float | None = None
    interval: float = 0.0
    max_interval: float | None = None
    min_interval: float = 0.0
    delay_factor: float = 2.0
    warning_on_retry: bool = False
    behavior: str = "RETRY_FAILED_TASK"

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> RetryDef:
        return cls(
            type=str(raw.get("type", "constant")).lower(),
            max_attempts=int(raw["maxAttempts"])
            if raw.get("maxAttempts") is not None
            else (int(raw["maxAttempt"]) if raw.get("maxAttempt") is not None else None),
            max_duration=seconds(raw.get("maxDuration")),
            interval=seconds(raw.get("interval")) or 0.0,
            max_interval=seconds(raw.get("maxInterval")),
            min_interval=seconds(raw.get("minInterval")) or 0.0,
            delay_factor=float(raw.get("delayFactor", 2.0)),
            warning_on_retry=bool(raw.get("warningOnRetry", False)),
            behavior=str(raw.get("behavior", "RETRY_FAILED_TASK")),
        )

    def delay(self, failed_attempts: int) -> float:
        """Seconds to wait after the n-th failed attempt (1-based)."""
        if self.type == "exponential":
            d = self.interval * (self.delay_factor ** (failed_attempts - 1))
            return min(d, self.max_interval) if self.max_interval else d
        if self.type == "random":
            hi = self.max_interval if self.max_interval is not None else self.min_interval
            return random.uniform(self.min_interval, hi)
        return self.interval

    def allows(self, attempts_done: int, elapsed: float) -> bool:
        """Whether another attempt may start (maxAttempts counts the first attempt)."""
        if self.max_attempts is not None and attempts_done >= self.max_attempts:
            return False
        if self.max_duration is not None and elapsed >= self.max_duration:
            return False
        return self.max_attempts is not None or self.max_duration is not None


@dataclass(slots=True)
class TaskDef:
    """One task of a flow: the common properties parsed, the type's own kept raw in `props`."""

    id: str
    type: str
    props: dict[str, Any]
    path: tuple[Any, ...]
    run_if: Any = None
    timeout: float | None = None
    retry: RetryDef | None = None
    allow_failure: bool = False
    allow_warning: bool = False
    disabled: bool = False
    description: str | None = None
    log_level: str | None = None
    blocks: dict[str, list[TaskDef]] = field(default_factory=dict)
    cases: dict[str, list[TaskDef]] = field(default_factory=dict)

    @property
    def flowable(self) -> bool:
        return self.type in FLOWABLE_BLOCKS

    def block(self, name: str) -> list[TaskDef]:
        return self.blocks.get(name, [])


@dataclass(slots=True)
class InputDef:
    """A flow input declaration."""

    id: str
    type: str
    required: bool = True
    defaults: Any = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class OutputDef:
    """A flow output declaration (`outputs: [{id, type, value, required}]`)."""

    id: str
    type: str
    value: Any
    required: bool = True


@dataclass(slots=True)
class TriggerDef:
    """A trigger; only Webhook triggers fire in the embedded engine."""

    id: str
    type: str
    props: dict[str, Any]
    disabled: bool = False

    @property
    def is_webhook(self) -> bool:
        return self.type in (
            CORE + "trigger.Webhook",
            "io.kestra.core.models.triggers.types.Webhook",
        )


@dataclass(slots=True)
class FlowDef:
    """A deployed flow."""

    id: str
    namespace: str
    source: str
    path: str | None = None
    revision: int = 1
    description: str | None = None
    inputs: list[InputDef] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    labels: list[tuple[str, str]] = field(default_factory=list)
    tasks: list[TaskDef] = field(default_factory=list)
    errors: list[TaskDef] = field(default_factory=list)
    finally_: list[TaskDef] = field(default_factory=list)
    outputs: list[OutputDef] = field(default_factory=list)
    triggers: list[TriggerDef] = field(default_factory=list)
    disabled: bool = False
    retry: RetryDef | None = None
    concurrency: dict[str, Any] | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.id)

    def all_tasks(self) -> list[TaskDef]:
        """Every task of the flow, depth first."""
        out: list[TaskDef] = []

        def walk(tasks: list[TaskDef]) -> None:
            for t in tasks:
                out.append(t)
                for block in t.blocks.values():
                    walk(block)
                for block in t.cases.values():
                    walk(block)

        walk(self.tasks)
        walk(self.errors)
        walk(self.finally_)
        return out


def merge_labels(*groups: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Later groups override earlier keys in place; order of first appearance kept."""
    out: dict[str, str] = {}
    for group in groups:
        for k, v in group:
            out[k] = v
    return list(out.items())


def parse_labels(raw: Any) -> list[tuple[str, str]]:
    """Labels given as a map or as a list of {key, value}."""
    if isinstance(raw, dict):
        return [(str(k), _label_value(v)) for k, v in raw.items()]
    if isinstance(raw, list):
        return [
            (str(i.get("key")), _label_value(i.get("value"))) for i in raw if isinstance(i, dict)
        ]
    return []


def _label_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return "" if v is None else str(v)


def parse_task(raw: dict[str, Any], path: tuple[Any, ...]) -> TaskDef:
    """Build a TaskDef from its YAML mapping (assumed validated)."""
    type_name = canonical_type(str(raw.get("type", "")))
    props = {k: v for k, v in raw.items() if k not in COMMON_TASK_PROPS}
    task = TaskDef(
        id=str(raw.get("id")),
        type=type_name,
        props=props,
        path=path,
        run_if=raw.get("runIf", raw.get("when")),
        timeout=seconds(raw.get("timeout")) if raw.get("timeout") is not None else None,
        retry=RetryDef.parse(raw["retry"]) if isinstance(raw.get("retry"), dict) else None,
        allow_failure=bool(raw.get("allowFailure", False)),
        allow_warning=bool(raw.get("allowWarning", False)),
        disabled=bool(raw.get("disabled", False)),
        description=raw.get("description"),
        log_level=raw.get("logLevel"),
    )
    for name in FLOWABLE_BLOCKS.get(type_name, ()):
        value = raw.get(name)
        if name == "cases" and isinstance(value, dict):
            task.cases = {str(k): parse_tasks(v, path + ("cases", k)) for k, v in value.items()}
        elif isinstance(value, list):
            task.blocks[name] = parse_tasks(value, path + (name,))
    return task


def parse_tasks(raw: Any, path: tuple[Any, ...]) -> list[TaskDef]:
    if not isinstance(raw, list):
        return []
    return [parse_task(t, path + (i,)) for i, t in enumerate(raw) if isinstance(t, dict)]


def parse_inputs(raws: Any) -> list[InputDef]:
    """Input definitions (a flow's `inputs`, a Pause task's `onResume`)."""
    return [
        InputDef(
            id=str(raw.get("id")),
            type=str(raw.get("type", "STRING")).upper(),
            required=bool(raw.get("required", True)),
            defaults=raw.get("defaults"),
            raw=raw,
        )
        for raw in raws or []
        if isinstance(raw, dict)
    ]


def parse_flow(data: dict[str, Any], source: str, path: str | None = None) -> FlowDef:
    """Build a FlowDef from validated YAML data. The flow's `pluginDefaults` (`taskDefaults`) are
    merged into its tasks, triggers and nested plugins here, once, so task runs see merged props."""
    data = plugin_defaults.apply(data)
    inputs = parse_inputs(data.get("inputs"))
    outputs = [
        OutputDef(
            id=str(o.get("id")),
            type=str(o.get("type", "STRING")).upper(),
            value=o.get("value"),
            required=bool(o.get("required", True)),
        )
        for o in data.get("outputs") or []
        if isinstance(o, dict)
    ]
    triggers = [
        TriggerDef(
            id=str(t.get("id")),
            type=str(t.get("type")),
            props={k: v for k, v in t.items() if k not in ("id", "type")},
            disabled=bool(t.get("disabled", False)),
        )
        for t in data.get("triggers") or []
        if isinstance(t, dict)
    ]
    return FlowDef(
        id=str(data["id"]),
        namespace=str(data["namespace"]),
        source=source,
        path=path,
        revision=int(data.get("revision") or 1),
        description=data.get("description"),
        inputs=inputs,
        variables=dict(data.get("variables") or {}),
        labels=parse_labels(data.get("labels")),
        tasks=parse_tasks(data.get("tasks"), ("tasks",)),
        errors=parse_tasks(data.get("errors"), ("errors",)),
        finally_=parse_tasks(data.get("finally"), ("finally",)),
        outputs=outputs,
        triggers=triggers,
        disabled=bool(data.get("disabled", False)),
        retry=RetryDef.parse(data["retry"]) if isinstance(data.get("retry"), dict) else None,
        concurrency=data.get("concurrency"),
    )
