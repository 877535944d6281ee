"""The Engine facade: deploy flows, fire webhooks, start, follow and kill executions, in-process."""

from __future__ import annotations

import asyncio
import os
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx

from lab import yamlio
from lab.errors import ConfigError
from lab.kestra import coverage, flow_yaml
from lab.kestra.engine import render as R
from lab.kestra.engine import states as S
from lab.kestra.engine.concurrency import ConcurrencySlots
from lab.kestra.engine.context import decode_secret, variables
from lab.kestra.engine.errors import (
    ExecutionNotFound,
    FlowDisabled,
    FlowInvalid,
    FlowNotFound,
    InputInvalid,
)
from lab.kestra.engine.events import EngineEvent, Subscribers
from lab.kestra.engine.execution import Execution, LogEntry, StateInfo, TaskRun, new_id
from lab.kestra.engine.executor import Executor
from lab.kestra.engine.fixtures import Fixtures
from lab.kestra.engine.flow import FlowDef, merge_labels, parse_flow
from lab.kestra.engine.inputs import InputError, read_inputs
from lab.kestra.engine.metrics import MetricEntry
from lab.kestra.engine.runstate import Run
from lab.kestra.engine.schedule import Scheduler
from lab.kestra.engine.store import KVStore, NamespaceFiles
from lab.kestra.engine.tasks import load_all
from lab.kestra.engine.validation import Problem, validate
from lab.kestra.engine.webhooks import conditions_met, find_webhook, trigger_variables
from lab.masking import SecretMask

SUBFLOW_TYPE = "io.kestra.plugin.core.flow.Subflow"


def _secret_values(source: Mapping[str, str]) -> list[str]:
    """The decoded values of the `SECRET_*` entries (those that are base64, as Kestra OSS wants)."""
    values = []
    for name, raw in source.items():
        if name.startswith("SECRET_"):
            try:
                values.append(decode_secret(raw))
            except ValueError:  # not base64 / not UTF-8: the flow cannot read it either
                continue
    return values


class Engine:
    """An embedded Kestra-compatible engine (see the package docstring).

    Args:
        http: the client tasks use for HTTP (route loopback apps through an ASGI transport); one is
            created on first use when omitted.
        secrets: `SECRET_<NAME>` -> base64 value (default: the process environment).
        clock: the clock dates and KV TTLs follow (default: wall time).
        version: the Kestra dialect emulated, "1.3" or "2.0".
        sleep: awaitable sleep used for retry back-off and LoopUntil intervals (tests pass a fast one).
        keep_executions: finished top-level executions kept for inspection (oldest dropped first).
        mask: more secret values to mask in logs (the lab's own); every `SECRET_*` value the flows
            can read is masked too, as `******` (Kestra's mask), with its base64 form.
    """

    def __init__(
        self,
        *,
        http: httpx.AsyncClient | None = None,
        secrets: Mapping[str, str] | None = None,
        clock: Any = None,
        version: str = "1.3",
        sleep: Callable[[float], Any] | None = None,
        base_url: str = "http://localhost:8080/",
        keep_executions: int = 5000,
        mask: Iterable[str] = (),
    ) -> None:
        self._http = http
        self._owns_http = http is None
        self._secrets = secrets
        self.mask = SecretMask(
            [*_secret_values(secrets if secrets is not None else os.environ), *mask]
        )
        self.clock = clock
        self.version = version
        self.sleep = sleep or asyncio.sleep
        self.base_url = base_url
        self.kv = KVStore(self.now)
        self.files = NamespaceFiles()
        self.storage: dict[str, bytes] = {}
        self.envs = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("ENV_")}
        self.globals: dict[str, Any] = {}
        self._flows: dict[tuple[str, str], FlowDef] = {}
        self._runs: dict[str, Run] = {}
        self._logs: dict[str, list[LogEntry]] = {}
        self._metrics: dict[str, list[MetricEntry]] = {}
        self._log_events: dict[str, asyncio.Event] = {}
        self._subscribers = Subscribers()
        self._finished_ids: deque[str] = deque()
        self._pauses: dict[str, Any] = {}
        self.keep_executions = keep_executions
        # Fixtures every top-level execution gets unless it brings its own (a scenario's, --fixtures FILE).
        self.fixtures: Fixtures | None = None
        self.executor = Executor(self)
        self.slots = ConcurrencySlots(
            self._flows.get, self._start_run, self._log_on_execution, self.now
        )
        self.scheduler = Scheduler()
        load_all()

    # -- clock, secrets, http -----------------------------------------------------------------
    def now(self) -> float:
        return self.clock.time() if self.clock is not None else time.time()

    def http_client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient()
        return self._http

    async def aclose(self) -> None:
        """Stop running executions and close the HTTP client the engine created."""
        for run in list(self._runs.values()):
            if run.task is not None and not run.task.done():
                run.task.cancel()
        if self._owns_http and self._http is not None:
            await self._http.aclose()
            self._http = None

    def forget_executions(self) -> None:
        """Drop every execution, its logs, metrics and stored files (after `aclose`: a closed session)."""
        for table in (
            self._runs,
            self._logs,
            self._metrics,
            self.storage,
            self._log_events,
            self._pauses,
        ):
            table.clear()
        self._finished_ids.clear()
        self.slots.clear()

    def secret(self, name: str) -> str:
        source = self._secrets if self._secrets is not None else os.environ
        raw = source.get(f"SECRET_{name.upper()}")
        if raw is None:
            raise R.expr().ExpressionError(
                f"Cannot find secret for key '{name}'",
                fix=f"set SECRET_{name.upper()} to the base64 of the value",
            )
        return decode_secret(raw)

    def storage_put(self, execution_id: str, taskrun_id: str, name: str, data: bytes) -> str:
        uri = f"kestra:///executions/{execution_id}/{taskrun_id}/{name}"
        self.storage[uri] = data
        return uri

    # -- flows --------------------------------------------------------------------------------
    def validate(self, source: str, *, path: str | None = None, deep: bool = True) -> list[Problem]:
        return validate(source, path=path, version=self.version, deep=deep)

    def deploy(self, source: str, *, path: str | None = None) -> FlowDef:
        """Validate and deploy (or update) one flow; FlowInvalid lists every problem."""
        problems = [
            p for p in self.validate(source, path=path, deep=False) if p.severity == "error"
        ]  # warnings deploy
        if problems:
            raise FlowInvalid(problems, source=path)
        flow = parse_flow(flow_yaml.load_flow(source), source, path)
        previous = self._flows.get(flow.key)
        if previous is not None:
            flow.revision = previous.revision + (0 if previous.source == source else 1)
        self.install(flow)
        return flow

    def install(self, flow: FlowDef) -> None:
        """Install a flow already validated and parsed (by this engine or another one: a FlowDef
        is read-only); its Schedule triggers count from now, as a deploy's do."""
        self.scheduler.track(flow, self.now())
        self._flows[flow.key] = flow

    def deploy_dir(self, directory: str | os.PathLike[str]) -> list[FlowDef]:
        """Deploy every *.yml / *.yaml flow of a folder; nothing is deployed if one is invalid."""
        files = sorted(
            p for p in Path(directory).rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file()
        )
        problems: list[Problem] = []
        sources = []
        for p in files:
            text = yamlio.read_text(p)
            problems += [
                f for f in self.validate(text, path=str(p), deep=False) if f.severity == "error"
            ]
            sources.append((text, str(p)))
        if problems:
            raise FlowInvalid(problems, source=str(directory))
        return [self.deploy(text, path=path) for text, path in sources]

    def get_flow(self, namespace: str, flow_id: str) -> FlowDef | None:
        return self._flows.get((namespace, flow_id))

    def flows(self) -> list[FlowDef]:
        return list(self._flows.values())

    def delete_flow(self, namespace: str, flow_id: str) -> bool:
        return self._flows.pop((namespace, flow_id), None) is not None

    # -- starting executions ------------------------------------------------------------------
    def _flow_for_run(self, namespace: str, flow_id: str) -> FlowDef:
        flow = self._flows.get((namespace, flow_id))
        if flow is None:
            raise FlowNotFound(
                "Not Found: Flow not found",
                where=f"{namespace}.{flow_id}",
                fix="deploy the flow first (flows/ folder or POST /api/v1/main/flows)",
            )
        if flow.disabled:
            raise FlowDisabled(
                "Illegal state: Cannot execute a disabled flow",
                where=f"{namespace}.{flow_id}",
                fix="set `disabled: false` in the flow",
            )
        return flow

    async def webhook(
        self,
        namespace: str,
        flow_id: str,
        key: str,
        *,
        method: str = "POST",
        body: bytes = b"",
        headers: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
    ) -> Execution | None:
        """Fire a flow's Webhook trigger as Kestra does; None when its conditions are not met (409 / 204)."""
        flow = self._flow_for_run(namespace, flow_id)
        trigger = find_webhook(flow, key)
        variables_ = trigger_variables(body, headers, query)
        eid = new_id()  # the conditions see the id the execution then gets, as on Kestra
        if not conditions_met(self, flow, trigger, variables_, eid):
            return None
        trig, inputs = {"id": trigger.id, "type": trigger.type, "variables": variables_}, None
        if trigger.props.get("inputs"):
            ctx = {"trigger": variables_, "flow": {"id": flow.id, "namespace": flow.namespace}}
            try:
                inputs = R.render_property(trigger.props["inputs"], ctx)
            except Exception as exc:
                raise InputInvalid(
                    f"Unable to render the webhook inputs: {getattr(exc, 'what', exc)}",
                    where=f"{namespace}.{flow_id}",
                ) from None
        return await self.start(
            namespace,
            flow_id,
            inputs=inputs,
            trigger=trig,
            labels=[("system.from", "trigger")],
            execution_id=eid,
        )

    async def fire_schedules(self) -> list[Execution]:
        """Start an execution for every Schedule date the clock passed since the last call (or
        since the flow was deployed), in date order, as Kestra's scheduler does (`schedule`)."""
        started, unrun = [], []
        for trigger, _, variables_ in self.scheduler.due(self.now()):
            if trigger.unsupported:
                unrun.append(
                    f"{trigger.namespace}.{trigger.flow_id} trigger {trigger.id} "
                    f"({', '.join(trigger.unsupported)}) at {variables_['date']}"
                )
                continue
            inputs = None
            if trigger.inputs:
                ctx = {"trigger": variables_, "flow": {"id": trigger.flow_id}}
                inputs = R.render_property(trigger.inputs, ctx)
            started.append(
                await self.start(
                    trigger.namespace,
                    trigger.flow_id,
                    inputs=inputs,
                    trigger={"id": trigger.id, "type": trigger.type, "variables": variables_},
                    labels=[("system.from", "trigger")],
                )
            )
        if unrun:
            raise ConfigError(
                "Schedule triggers the embedded engine does not run came due and did not fire: "
                + "; ".join(unrun),
                fix="their conditions, backfill or stopAfter run on a real Kestra only; leave "
                "them out to run the schedule here",
            )
        return started

    async def start(
        self,
        namespace: str,
        flow_id: str,
        *,
        inputs: Mapping[str, Any] | None = None,
        labels: Any = None,
        trigger: dict[str, Any] | None = None,
        parent: str | None = None,
        input_mode: str = "validated",
        correlation: str | None = None,
        execution_id: str | None = None,
        fixtures: Fixtures | None = None,
    ) -> Execution:
        """Create and start an execution, returned at once (CREATED); `input_mode`: validated (API), raw or none.
        `fixtures`: Kestra's task fixtures stand in for the tasks they name; their inputs and trigger
        variables are the execution's."""
        flow = self._flow_for_run(namespace, flow_id)
        if fixtures is None and parent is None:
            fixtures = self.fixtures
        if fixtures:
            inputs = {**dict(inputs or {}), **fixtures.inputs}
            if (
                fixtures.trigger is not None
            ):  # the trigger's {id, type, variables}, as a webhook gives them
                trigger = {
                    "id": fixtures.trigger.get("id"),
                    "type": fixtures.trigger.get("type"),
                    "variables": dict(fixtures.trigger.get("variables") or {}),
                }
        return self._launch(
            flow,
            inputs,
            labels,
            trigger,
            parent,
            input_mode,
            correlation,
            eid=execution_id,
            fixtures=fixtures,
        ).execution

    def _launch(
        self,
        flow: FlowDef,
        inputs: Any,
        labels: Any,
        trigger: dict[str, Any] | None,
        parent: str | None,
        input_mode: str,
        correlation: str | None = None,
        flow_labels_win: bool = False,
        eid: str | None = None,
        fixtures: Fixtures | None = None,
    ) -> Run:
        try:
            values = read_inputs(flow, dict(inputs or {}), input_mode)
        except InputError as exc:
            names = ", ".join(f"`{name}`" for name, _ in exc.fields) or "the inputs"
            raise InputInvalid(
                str(exc),
                where=f"{flow.namespace}.{flow.id}",
                fix=f"send {names} with the type the flow declares (see its `inputs:`)",
                fields=exc.fields,
            ) from None
        eid = eid or new_id()
        given = (
            labels
            if isinstance(labels, list) and all(isinstance(i, tuple) for i in labels)
            else None
        )
        if given is None:
            # cycle: lab.kestra.engine.flow imports this module (via lab.kestra.engine)
            from lab.kestra.engine.flow import parse_labels

            given = parse_labels(labels)
        system = [(k, v) for k, v in given if k.startswith("system.")]
        own = [(k, v) for k, v in given if not k.startswith("system.")]
        base = [("system.correlationId", correlation or eid)]
        # A subflow's own flow labels win over inherited ones; API callers' labels win over the flow's.
        merged = (
            merge_labels(system, base, own, flow.labels)
            if flow_labels_win
            else merge_labels(system, base, flow.labels, own)
        )
        x = Execution(
            eid,
            flow.namespace,
            flow.id,
            flow.revision,
            StateInfo.start(S.CREATED, self.now()),
            inputs=values,
            labels=merged,
            variables=dict(flow.variables),
            trigger=trigger,
            parent_id=parent,
            fixtures=fixtures or None,
        )
        run = Run(self, flow, x)
        run.functions = self._functions(flow, eid)
        if (
            fixtures is not None and fixtures.files
        ):  # Kestra's file fixtures: {{ files['name'] }} is their URI
            run.extra = {
                "files": {
                    name: self.storage_put(eid, "fixtures", name, content.encode("utf-8"))
                    for name, content in fixtures.files.items()
                }
            }
        self._runs[eid] = run
        self._logs[eid] = []
        run.changed()
        if self.slots.admit(run):  # cancelled or failed by its flow's concurrency limit
            self._finished(run)
        return run

    def _start_run(self, run: Run) -> None:
        """Run an execution its flow's concurrency admitted (at once, or when a slot freed)."""
        run.task = asyncio.get_running_loop().create_task(self.executor.execute(run))

    def _functions(self, flow: FlowDef, execution_id: str) -> Any:
        ns = flow.namespace

        def read(path: str) -> str:
            if path.startswith("kestra://"):
                return self.storage[path].decode("utf-8")
            return self.files.get(ns, path).decode("utf-8")

        def now() -> datetime:
            return datetime.fromtimestamp(self.now(), timezone.utc)

        def error_logs() -> list[dict[str, Any]]:
            return [entry.to_json() for entry in self._error_logs(execution_id)]

        return R.expr().Functions(
            namespace=ns,
            kv_get=self.kv.get,
            secret=self.secret,
            read=read,
            now=now,
            version=self.version,
            error_logs=error_logs,
        )

    def _error_logs(self, execution_id: str) -> list[LogEntry]:
        """ERROR log lines of an execution and its Loop iterations, oldest first (Kestra's errorLogs())."""
        found: list[LogEntry] = []
        pending = [execution_id]
        while pending:
            eid = pending.pop()
            found += [e for e in self._logs.get(eid, ()) if e.level == "ERROR"]
            run = self._runs.get(eid)
            pending += [sub.execution.id for sub in run.iterations] if run is not None else []
        return sorted(found, key=lambda e: e.timestamp)

    async def _start_child(
        self,
        run: Run,
        tr: TaskRun,
        namespace: str,
        flow_id: str,
        *,
        inputs: Any,
        labels: Any,
        inherit_labels: bool,
    ) -> Run:
        """Start the execution of a Subflow task (labels and trigger as Kestra sets them)."""
        # cycle: lab.kestra.engine.flow imports this module (via lab.kestra.engine)
        from lab.kestra.engine.flow import parse_labels

        flow = self._flow_for_run(namespace, flow_id)
        parent = run.execution
        correlation = parent.label("system.correlationId") or parent.id
        inherited = (
            [(k, v) for k, v in parent.labels if not k.startswith("system.")]
            if inherit_labels
            else []
        )
        trigger = {
            "id": tr.task_id,
            "type": SUBFLOW_TYPE,
            "variables": {
                "executionId": parent.id,
                "namespace": parent.namespace,
                "flowId": parent.flow_id,
                "flowRevision": parent.flow_revision,
            },
        }
        child = self._launch(
            flow,
            inputs,
            merge_labels(inherited, parse_labels(labels)),
            trigger,
            parent.id,
            "validated",
            correlation,
            flow_labels_win=True,
        )
        run.children.append(child)
        parent.children.append(child.execution.id)
        return child

    def _register(self, run: Run) -> None:
        """Make an execution the executor created itself (a Loop iteration) visible."""
        self._runs[run.execution.id] = run
        self._logs.setdefault(run.execution.id, [])

    # -- following executions -----------------------------------------------------------------
    def execution(self, execution_id: str) -> Execution | None:
        run = self._runs.get(execution_id)
        return run.execution if run else None

    def executions(self) -> list[Execution]:
        """Every execution the engine still keeps (the last `keep_executions` top-level ones)."""
        return [run.execution for run in self._runs.values()]

    def _run(self, execution_id: str) -> Run:
        run = self._runs.get(execution_id)
        if run is None:
            raise ExecutionNotFound(
                f"Not Found: execution {execution_id} not found", where=execution_id
            )
        return run

    async def wait(self, execution_id: str, timeout: float | None = None) -> Execution:
        """Wait until the execution is terminal (TimeoutError after `timeout` seconds)."""
        run = self._run(execution_id)
        if not run.done.is_set():
            await asyncio.wait_for(run.done.wait(), timeout)
        return run.execution

    async def watch(self, execution_id: str) -> AsyncIterator[Execution]:
        """Yield the (live) execution at once and after each change; ends once it is terminal."""
        run = self._run(execution_id)
        yield run.execution
        while not run.done.is_set():
            await run.wait_change().wait()
            yield run.execution

    def render_in(self, execution_id: str, template: str) -> str:
        """A template rendered against an execution as it is now (its outputs, inputs, trigger,
        vars, labels...), as a unit test's assertions see the finished execution."""
        run = self._run(execution_id)
        return R.render_str(template, variables(run), run.functions)

    def logs(self, execution_id: str) -> list[LogEntry]:
        return list(self._logs.get(execution_id, []))

    def metrics(self, execution_id: str) -> list[MetricEntry]:
        """The metrics the execution's task runs published, in publication order ([] when unknown)."""
        return list(self._metrics.get(execution_id, ()))

    async def watch_logs(self, execution_id: str) -> AsyncIterator[LogEntry]:
        """Yield existing then new log lines; ends when the execution is terminal."""
        run = self._run(execution_id)
        sent = 0
        while True:
            entries = self._logs.get(execution_id, [])
            while sent < len(entries):
                yield entries[sent]
                sent += 1
            if run.done.is_set():
                return
            event = self._log_events.setdefault(execution_id, asyncio.Event())
            done = asyncio.ensure_future(run.done.wait())
            logged = asyncio.ensure_future(event.wait())
            await asyncio.wait({done, logged}, return_when=asyncio.FIRST_COMPLETED)
            for fut in (done, logged):
                fut.cancel()
            self._log_events.pop(execution_id, None)

    async def kill(self, execution_id: str) -> Execution:
        """Kill a running execution (and its subflow executions); its running task runs end KILLED."""
        run = self._run(execution_id)
        for child in run.children:
            if not child.done.is_set():
                await self.kill(child.execution.id)
        if self.slots.is_queued(run):  # killed while waiting for a slot: nothing ran
            self.slots.withdraw(run)
            run.execution.state.set(S.KILLED, self.now())
            run.done.set()
            run.changed()
            self._finished(run)
            return run.execution
        if run.task is not None and not run.done.is_set():
            run.execution.state.set(S.KILLING, self.now())
            run.changed()
            run.task.cancel()
            await asyncio.gather(run.task, return_exceptions=True)
            if not run.done.is_set():  # cancelled before its first step: nothing ran
                self.executor._mark_killed(run)
                run.done.set()
                run.changed()
        return run.execution

    def resume(self, execution_id: str, inputs: Mapping[str, Any] | None = None) -> bool:
        """Resume a PAUSED execution (its Pause task succeeds, `onResume` = inputs); False if not paused,
        InputInvalid (the execution stays paused) when inputs break the Pause task's `onResume` definitions."""
        pending = self._pauses.get(execution_id)
        if pending is None:
            return False
        values = dict(inputs or {})
        if pending.definitions:  # Kestra validates them as execution inputs (422 when invalid)
            try:
                values = read_inputs(SimpleNamespace(inputs=pending.definitions), values)  # type: ignore[arg-type]
            except InputError as exc:
                names = ", ".join(f"`{name}`" for name, _ in exc.fields) or "the onResume inputs"
                raise InputInvalid(
                    str(exc),
                    where=execution_id,
                    fields=exc.fields,
                    fix=f"resume with {names} as the Pause task's `onResume` declares them",
                ) from None
        pending.inputs = values
        pending.event.set()
        return True

    def subscribe(self, callback: Callable[[EngineEvent], None]) -> Callable[[], None]:
        """Call `callback(event)` on every execution change and log line; returns the unsubscribe."""
        return self._subscribers.add(callback)

    # -- executor hooks -----------------------------------------------------------------------
    def _log(
        self,
        run: Run,
        task_id: str | None,
        taskrun_id: str | None,
        attempt: int | None,
        level: str,
        message: str,
    ) -> None:
        x = run.execution
        if (
            self.mask
        ):  # the one place a flow's log line is recorded: the logs API, the TUI, transcripts
            message = self.mask.text(message)
        entry = LogEntry(
            x.namespace, x.flow_id, x.id, task_id, taskrun_id, attempt, self.now(), level, message
        )
        self._logs.setdefault(x.id, []).append(entry)
        event = self._log_events.get(x.id)
        if event is not None:
            event.set()
        self._subscribers.log_added(entry)

    def _log_on_execution(self, run: Run, level: str, message: str) -> None:
        self._log(run, None, None, None, level, message)

    def _finished(self, run: Run) -> None:
        self.slots.release(run)
        coverage.finished(run.flow, run.execution.task_runs)
        event = self._log_events.get(run.execution.id)
        if event is not None:
            event.set()
        if run.execution.parent_id is None:
            self._finished_ids.append(run.execution.id)
            while len(self._finished_ids) > self.keep_executions:
                self._forget(self._finished_ids.popleft())

    def _forget(self, execution_id: str) -> None:
        run = self._runs.pop(execution_id, None)
        self._logs.pop(execution_id, None)
        self._metrics.pop(execution_id, None)
        if run is not None:
            for sub in run.iterations + run.children:
                self._forget(sub.execution.id)

    def context(self, execution_id: str) -> dict[str, Any]:
        """The expression variables of an execution (for `eval` endpoints and debugging)."""
        return variables(self._run(execution_id))
