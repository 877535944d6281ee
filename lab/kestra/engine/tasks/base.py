"""The contract between the executor and runnable task types.

A runnable task is a class registered under its Kestra type name (and aliases). The executor
creates one task run per execution of it, builds a `RunContext`, and awaits `run(ctx, props)`,
which returns the task run's outputs (a JSON-able dict) or raises `TaskFailed`.

`props` are the task's properties from the flow YAML, **not rendered**: a task renders what it
uses with `ctx.render(...)` at the moment it uses it, as Kestra's `runContext.render` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

import httpx


@dataclass(frozen=True, slots=True)
class Prop:
    """A property a task type accepts. `kind` is for validation: string, int, number, bool,
    duration, map, list, any. `required` properties missing from the YAML fail validation."""

    kind: str = "any"
    required: bool = False


class TaskFailed(Exception):
    """The task run fails with this message (logged at ERROR on the task run).

    Args:
        message: why, as a person reads it.
        outputs: outputs to keep on the failed task run (e.g. an HTTP response's code and body).
    """

    def __init__(self, message: str, outputs: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.outputs = outputs


class KVStore(Protocol):
    """Kestra's KV store, per namespace, with types (STRING, NUMBER, BOOLEAN, DATETIME, DATE,
    DURATION, JSON) and optional TTL on the engine's clock."""

    def get(self, namespace: str, key: str) -> Any: ...  # raises KeyError when absent/expired
    def set(
        self,
        namespace: str,
        key: str,
        value: Any,
        *,
        ttl: float | None = None,
        kind: str | None = None,
    ) -> None: ...
    def delete(self, namespace: str, key: str) -> bool: ...


class RunContext(Protocol):
    """What a running task can see and use."""

    execution_id: str
    namespace: str
    flow_id: str
    task_id: str
    taskrun_id: str
    http: (
        httpx.AsyncClient
    )  # the engine's client; in-process it may route loopback URLs to ASGI apps
    kv: KVStore

    def render(
        self, value: Any
    ) -> Any: ...  # property mode: strings rendered, maps/lists recursively
    def render_str(self, value: Any) -> str: ...  # string mode: always a string ("" for null)
    def render_typed(self, value: Any) -> Any: ...  # a lone {{ expr }} keeps its native type
    def log(self, level: str, message: str) -> None: ...  # TRACE DEBUG INFO WARN ERROR
    def secret(self, name: str) -> str: ...  # SECRET_<NAME> env var, base64-decoded
    def metric(
        self, name: str, type: str, value: Any, tags: dict[str, Any] | None = None
    ) -> None: ...
    # ^ counter / timer (seconds) / gauge on this task run, summed with an equal name+tags of the same attempt
    def read_file(
        self, path: str
    ) -> bytes: ...  # namespace file (or kestra:// internal storage URI)
    def list_files(
        self, prefix: str = ""
    ) -> list[str]: ...  # the flow namespace's files, `/path/name`
    def store_file(self, name: str, data: bytes) -> str: ...  # -> kestra:// URI in internal storage
    def workdir(self) -> Path: ...  # a temporary working directory for this task run


class RunnableTask:
    """Base of runnable task types. Subclasses set TYPE, ALIASES, PROPERTIES and implement run()."""

    TYPE: ClassVar[str]
    ALIASES: ClassVar[tuple[str, ...]] = ()
    PROPERTIES: ClassVar[dict[str, Prop]] = {}

    async def run(self, ctx: RunContext, props: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


REGISTRY: dict[str, type[RunnableTask]] = {}


def register(cls: type[RunnableTask]) -> type[RunnableTask]:
    """Class decorator: make a task type runnable under its TYPE and ALIASES."""
    for name in (cls.TYPE, *cls.ALIASES):
        REGISTRY[name] = cls
    return cls
