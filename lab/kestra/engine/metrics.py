"""Metrics tasks publish on their task run (Kestra's MetricEntry): counters, timers, gauges with tags.

As Kestra's RunContext.metric: a metric with the same type, name and tags as one already published
by the same task run attempt adds to it (counters and timers sum; a gauge takes the new value). A timer is
given in seconds (a float or a timedelta, as Kestra's script helpers send it) and served in
milliseconds, as `MetricEntry.value` is `Duration.toMillis()` for timers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from lab.kestra.engine.execution import iso

TYPES = ("counter", "timer", "gauge")


class MetricInvalid(ValueError):
    """A metric a task cannot publish (unknown type, a value that is not a number)."""


@dataclass(slots=True)
class MetricEntry:
    """One metric of one task run, as `GET /api/v1/main/metrics/{executionId}` lists it."""

    namespace: str
    flow_id: str
    execution_id: str
    task_id: str | None
    taskrun_id: str | None
    type: str
    name: str
    value: float  # counters and gauges as given; timers in seconds (served in milliseconds)
    timestamp: float
    tags: dict[str, str] = field(default_factory=dict)
    attempt: int | None = None  # each attempt has its own RunContext in Kestra, so its own metrics

    def to_json(self) -> dict[str, Any]:
        value = float(math.floor(self.value * 1000)) if self.type == "timer" else float(self.value)
        return {
            "tenantId": "main",
            "namespace": self.namespace,
            "flowId": self.flow_id,
            "taskId": self.task_id,
            "executionId": self.execution_id,
            "taskRunId": self.taskrun_id,
            "type": self.type,
            "name": self.name,
            "value": value,
            "timestamp": iso(self.timestamp),
            "tags": dict(self.tags),
        }


def checked(name: Any, kind: Any, value: Any, tags: Any) -> tuple[str, str, float, dict[str, str]]:
    """Name, type, numeric value and string tags of a metric, or MetricInvalid saying what is wrong."""
    if not isinstance(name, str) or not name:
        raise MetricInvalid(f"a metric needs a non-empty name, got {name!r}")
    kind = str(kind).lower()
    if kind not in TYPES:
        raise MetricInvalid(
            f"metric {name!r}: type must be one of {', '.join(TYPES)}, not {kind!r}"
        )
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise MetricInvalid(f"metric {name!r}: value must be a finite number, got {value!r}")
    if tags is None:
        tags = {}
    if not isinstance(tags, dict):
        raise MetricInvalid(
            f"metric {name!r}: tags must be a mapping of names to values, got {tags!r}"
        )
    return name, kind, float(value), {str(k): str(v) for k, v in tags.items()}


def record(entries: list[MetricEntry], entry: MetricEntry) -> None:
    """Add a metric to an execution's list, summing with an equal one of the same task run attempt."""
    for current in entries:
        if (
            current.taskrun_id == entry.taskrun_id
            and current.attempt == entry.attempt
            and current.name == entry.name
            and current.type == entry.type
            and current.tags == entry.tags
        ):
            current.value = entry.value if entry.type == "gauge" else current.value + entry.value
            current.timestamp = entry.timestamp
            return
    entries.append(entry)
