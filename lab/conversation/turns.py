"""The turn engine: one inbound event in, the executions, replies, LLM calls and logs it caused out.

A turn posts the signed webhook through the Kestra client (embedded engine or real Kestra alike),
follows the execution and any subflow it started to a terminal state, then gathers what the fake
Graph API captured for that contact, what the LLM gateway metered for those executions, the task
runs and the logs. It ends when every execution is terminal and no reply is pending, or when the
timeout says the turn hangs.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

import httpx
import orjson

from lab.conversation import events as ev
from lab.conversation.model import ExecutionView, InboundEvent, LogLine, TaskRunView, Timings, Turn
from lab.conversation.relay import trigger_in_process
from lab.errors import LabError
from lab.kestra.shapes import Execution, LogEntry

if TYPE_CHECKING:
    from lab.kestra.client import KestraClient
    from lab.kestra.shapes import Execution, LogEntry
    from lab.masking import SecretMask
    from lab.whatsapp.model import CapturedSend

FAILED_STATES = frozenset({"FAILED", "KILLED", "CANCELLED"})
_FRACTION = re.compile(r"(\.\d{6})\d+")


def epoch(iso: str | None) -> float | None:
    """Seconds since the epoch of a Kestra ISO date ('Z', nanoseconds and all); None stays None."""
    if not iso:
        return None
    try:
        return datetime.fromisoformat(_FRACTION.sub(r"\1", iso).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def execution_view(
    execution: "Execution", task_types: dict[str, str] | None = None, parent_id: str | None = None
) -> ExecutionView:
    """The turn's view of one execution snapshot."""
    types = task_types or {}
    runs = [
        TaskRunView(
            id=t.id,
            task_id=t.task_id,
            type=types.get(t.task_id),
            state=t.state.current,
            start=epoch(t.state.start_date),
            end=epoch(t.state.end_date),
            attempts=max(1, len(t.attempts)),
            parent_task_run_id=t.parent_task_run_id,
            value=t.value,
            outputs=t.outputs,
            stood_in=t.stood_in,
        )
        for t in execution.task_runs
    ]
    return ExecutionView(
        id=execution.id,
        namespace=execution.namespace,
        flow_id=execution.flow_id,
        state=execution.state.current,
        task_runs=runs,
        outputs=execution.outputs or None,
        start=epoch(execution.state.start_date),
        end=epoch(execution.state.end_date),
        parent_id=parent_id,
        raw=execution.raw,
    )


def log_line(entry: "LogEntry", mask: "SecretMask | None" = None) -> LogLine:
    """A log line of a turn; `mask` hides known secrets (a real Kestra masks only those the flow read)."""
    message = mask.text(entry.message) if mask else entry.message
    return LogLine(
        timestamp=epoch(entry.timestamp) or 0.0,
        level=entry.level,
        message=message,
        task_id=entry.task_id,
        execution_id=entry.execution_id,
    )


def lab_event_of(
    event: Any, index: int, dialect: str, task_types: dict[tuple[str, str], dict[str, str]]
) -> "ev.LabEvent | None":
    """The Lab event for one embedded-engine event of turn `index` (a log line or an execution
    change), through the same JSON shapes the REST API serves; None for anything else."""

    if event.kind == "log" and event.log is not None:
        return ev.LogReceived(index, log_line(LogEntry.from_json(event.log.to_json())))
    if event.kind != "execution" or event.execution is None:
        return None
    snapshot = Execution.from_json(event.execution.to_json(dialect))
    return ev.ExecutionUpdated(
        index, execution_view(snapshot, task_types.get((snapshot.namespace, snapshot.flow_id)))
    )


class LocalRead:
    """Talks to an embedded engine without an HTTP client: the turn's webhook goes to the engine's
    REST endpoint as an ASGI call, the final execution and logs are read from the engine.

    The data goes through the same JSON the REST API serves (`to_json`, then an orjson round
    trip, which is what turns tuples into lists and dates into strings on the wire), so a turn
    sees exactly what `KestraClient` would have parsed; only the HTTP request is skipped.
    """

    def __init__(self, engine: Any, dialect: str, server: Any = None, base_url: str = "") -> None:
        self.engine = engine
        self.dialect = dialect
        self.server = server
        self.base_url = base_url

    async def trigger(
        self, namespace: str, flow_id: str, key: str, body: bytes, headers: dict[str, str]
    ) -> str | None:
        """Post the webhook to the engine's REST endpoint in-process; the execution id it started."""

        return (
            await trigger_in_process(
                self.server, self.base_url, namespace, flow_id, key, body, headers
            )
        )[1]

    def execution(self, execution_id: str) -> "Execution":
        execution = self.engine.execution(execution_id)
        if execution is None:
            raise LabError(f"execution {execution_id} is not known to the embedded engine")
        snapshot = Execution.from_json(orjson.loads(orjson.dumps(execution.to_json(self.dialect))))
        if (
            self.dialect == "2.0"
        ):  # what KestraClient.results.with_outputs reads from 2.0's outputs endpoints
            outputs = {t.id: t.outputs for t in execution.task_runs if t.outputs}
            for run in snapshot.task_runs:
                run.outputs = (
                    orjson.loads(orjson.dumps(outputs[run.id])) if run.id in outputs else None
                )
            snapshot.outputs = orjson.loads(orjson.dumps(execution.outputs or {}))
        return snapshot

    def logs(self, execution_id: str) -> list["LogEntry"]:
        if self.engine.execution(execution_id) is None:
            raise LabError(f"execution {execution_id} is not known to the embedded engine")
        return [
            LogEntry.from_json(orjson.loads(orjson.dumps(e.to_json())))
            for e in self.engine.logs(execution_id)
        ]


class TurnEngine:
    """Runs turns against one target. Turns of different contacts run concurrently; turns of the same
    contact queue (a person types one message after the other).

    Args:
        client: the Kestra client of the target.
        thread_of: wa_id -> the captured sends of that contact (the sandbox's thread).
        llm_calls_of: execution id -> the gateway's metered calls.
        bus: where events go.
        task_types: (namespace, flow_id) -> {task_id: type}, from the deployed flow sources.
        timeout: seconds before a turn is declared hung.
        settle: seconds to keep collecting late replies after the executions are terminal
            (0 on the embedded engine, where a reply is captured before its task ends).
    """

    def __init__(
        self,
        client: "KestraClient",
        *,
        thread_of: Callable[[str], list["CapturedSend"]],
        llm_calls_of: Callable[[str], list[Any]],
        bus: ev.EventBus,
        captured_since: Callable[[int], list["CapturedSend"]] | None = None,
        last_seq: Callable[[], int] | None = None,
        local_wait: Callable[[str], Any] | None = None,
        local_read: "LocalRead | None" = None,
        task_types: dict[tuple[str, str], dict[str, str]] | None = None,
        timeout: float = 30.0,
        settle: float = 0.0,
        mask: "SecretMask | None" = None,
    ) -> None:
        self.client = client
        self.mask = (
            mask  # for logs read from a real Kestra (the embedded engine masks as it records)
        )
        self._thread_of = thread_of
        self._captured_since = captured_since
        self._last_seq = last_seq
        self._local_wait = local_wait
        self._local_read = local_read
        self.live_logs = (
            False  # True when the target reports log lines as they happen (embedded engine)
        )
        self._llm_calls_of = llm_calls_of
        self.bus = bus
        self.task_types = task_types if task_types is not None else {}
        self.timeout = timeout
        self.settle = settle
        self._index = itertools.count(1)
        self._locks: dict[str, asyncio.Lock] = {}
        self._inflight: dict[str, tuple[Turn, float]] = {}  # wa_id -> (turn, perf_counter at post)
        self._turn_of_execution: dict[str, int] = {}

    # -- reply capture hook (the sandbox calls the lab, the lab calls this) ------------------
    def on_reply(self, send: "CapturedSend") -> int | None:
        """Note the first reply's time for the contact's turn in flight; returns its index."""
        current = self._inflight.get(send.to)
        if current is None:
            return None
        turn, t0 = current
        if turn.timings.first_reply_ms is None and send.type not in ("read", "typing"):
            turn.timings.first_reply_ms = (time.perf_counter() - t0) * 1000.0
        return turn.index

    def turn_of_execution(self, execution_id: str | None) -> int | None:
        """The index of the turn an execution belongs to (None: a status execution, or unknown)."""
        return self._turn_of_execution.get(execution_id) if execution_id else None

    def turn_in_flight(self, wa_id: str) -> Turn | None:
        current = self._inflight.get(wa_id)
        return current[0] if current else None

    # -- a turn -----------------------------------------------------------------------------
    async def run(
        self,
        inbound: InboundEvent,
        *,
        namespace: str,
        flow_id: str,
        key: str,
        duplicates: int = 0,
        timeout: float | None = None,
    ) -> Turn:
        """Post the inbound event (plus `duplicates` redeliveries of the same bytes) and build its Turn."""
        lock = self._locks.setdefault(inbound.wa_id, asyncio.Lock())
        async with lock:
            return await self._run(
                inbound, namespace, flow_id, key, duplicates, timeout or self.timeout
            )

    async def _run(
        self,
        inbound: InboundEvent,
        namespace: str,
        flow_id: str,
        key: str,
        duplicates: int,
        timeout: float,
    ) -> Turn:
        turn = Turn(
            index=next(self._index), contact=inbound.wa_id, inbound=inbound, timings=Timings()
        )
        self.bus.emit(ev.TurnStarted(turn.index, inbound.wa_id, inbound))
        thread0 = self._thread_of(inbound.wa_id)
        seen = {s.seq for s in thread0}
        seq0 = max((s.seq for s in thread0), default=0)
        if self._last_seq is not None:
            seq0 = self._last_seq()
        t0 = time.perf_counter()
        self._inflight[inbound.wa_id] = (turn, t0)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "facebookexternalua",
            "X-Hub-Signature-256": inbound.signature,
        }
        ids: list[str] = []
        try:
            for copy in range(1 + duplicates):
                if self._local_read is not None:
                    execution_id = await self._local_read.trigger(
                        namespace, flow_id, key, inbound.body, headers
                    )
                else:
                    execution_id = (
                        await self.client.trigger_webhook(
                            namespace, flow_id, key, inbound.body, headers
                        )
                    ).execution_id
                if copy == 0:
                    turn.timings.webhook_ack_ms = (time.perf_counter() - t0) * 1000.0
                if execution_id:
                    ids.append(execution_id)
                    self._turn_of_execution[execution_id] = turn.index
            await self._follow_all(turn, ids, namespace, timeout, t0)
        except LabError as exc:
            turn.verdict, turn.error = "error", exc.render()
        except httpx.TransportError as exc:  # a dropped connection is the turn's error, not a crash
            turn.verdict = "error"
            turn.error = f"the connection to the target broke: {exc.__class__.__name__}: {exc}"
        finally:
            self._inflight.pop(inbound.wa_id, None)
        if self.settle and turn.verdict != "timeout":
            await asyncio.sleep(self.settle)
        turn.replies = [s for s in self._thread_of(inbound.wa_id) if s.seq not in seen]
        if self._captured_since is not None and inbound.wamid:
            # a rejected read mark names no recipient, only the message it marks
            turn.replies += [
                s
                for s in self._captured_since(seq0)
                if not s.to and (s.payload or {}).get("message_id") == inbound.wamid
            ]
            turn.replies.sort(key=lambda s: s.seq)
        for ex in turn.executions:
            turn.llm_calls.extend(self._llm_calls_of(ex.id))
        if turn.verdict == "ok":
            self._judge(turn)
        self.bus.emit(ev.TurnFinished(turn))
        return turn

    async def _follow_all(
        self, turn: Turn, ids: list[str], namespace: str, timeout: float, t0: float
    ) -> None:
        """Follow the executions (and subflows found on the way) to terminal, gather their logs."""
        views: dict[str, ExecutionView] = {}
        queue: list[tuple[str, str | None]] = [(i, None) for i in ids]
        try:
            async with asyncio.timeout(timeout):
                while queue:
                    ex_id, parent = queue.pop(0)
                    view = await self._follow(turn, ex_id, parent)
                    views[ex_id] = view
                    for child in _subflow_ids(view):
                        if child not in views and all(child != q[0] for q in queue):
                            queue.append((child, ex_id))
                            self._turn_of_execution[child] = turn.index
        except TimeoutError:
            pending = [i for i, _ in queue] + [
                v.id for v in views.values() if v.state not in _TERMINAL
            ]
            if not pending and not views:
                pending = ids[:1]
            hung = pending[0] if pending else None
            for ex_id in pending:  # where it hangs, before killing it
                try:
                    views[ex_id] = execution_view(await self.client.get_execution(ex_id))
                except LabError:
                    pass
            running = _running_tasks(v for v in views.values() if v.id in pending)
            turn.verdict = "timeout"
            turn.error = (
                f"the turn did not finish within {timeout:g} s"
                + (f": execution {hung} still running" if hung else "")
                + (f" (task {running})" if running else "")
                + "; raise the turn timeout, or look at the execution's logs"
            )
            for (
                ex_id
            ) in pending:  # a hung execution is killed, so it does not answer into the next turn
                try:
                    await self.client.kill(ex_id)
                    turn.error += f"; execution {ex_id} was killed"
                except LabError:
                    pass
        turn.timings.terminal_ms = (time.perf_counter() - t0) * 1000.0
        turn.executions = list(views.values())
        for view in turn.executions:
            try:
                entries = (
                    self._local_read.logs(view.id)
                    if self._local_read
                    else await self.client.get_logs(view.id)
                )
            except LabError:
                continue
            for entry in entries:
                line = log_line(entry, None if self._local_read else self.mask)
                turn.logs.append(line)
                if not self.live_logs:  # the embedded engine reported them live already
                    self.bus.emit(ev.LogReceived(turn.index, line))

    async def _follow(self, turn: Turn, execution_id: str, parent: str | None) -> ExecutionView:
        if self._local_wait is not None:
            # Embedded target: wait in-process (live updates come from the engine's own events),
            # then read the final execution once, from the engine itself when it is in this process.
            await self._local_wait(execution_id)
            snapshot = (
                self._local_read.execution(execution_id)
                if self._local_read
                else await self.client.results.with_outputs(
                    await self.client.get_execution(execution_id)
                )
            )
            view = execution_view(
                snapshot, self.task_types.get((snapshot.namespace, snapshot.flow_id)), parent
            )
            if self.bus:
                self.bus.emit(ev.ExecutionUpdated(turn.index, view))
            return view
        last: ExecutionView | None = None
        async for snapshot in self.client.follow_execution(execution_id):
            types = self.task_types.get((snapshot.namespace, snapshot.flow_id))
            if snapshot.terminated:  # Kestra 2.0 serves the outputs apart from the execution
                snapshot = await self.client.results.with_outputs(snapshot)
            last = execution_view(snapshot, types, parent)
            if self.bus:
                self.bus.emit(ev.ExecutionUpdated(turn.index, last))
        if last is None:  # a stream with no snapshot: ask once
            snapshot = await self.client.results.with_outputs(
                await self.client.get_execution(execution_id)
            )
            last = execution_view(snapshot, None, parent)
        return last

    def _judge(self, turn: Turn) -> None:
        """An execution that failed makes the turn an error, with the reason a person needs."""
        main = turn.executions[0] if turn.executions else None
        if main is None:
            turn.verdict, turn.error = "error", "the webhook did not start an execution"
            return
        if main.state not in FAILED_STATES:
            return
        turn.verdict = "error"
        reasons = [c.error for c in turn.llm_calls if c.error]
        reasons += [
            ln.message
            for ln in turn.logs
            if ln.level == "ERROR" and ln.execution_id in (None, main.id)
        ]
        parents = {t.parent_task_run_id for t in main.task_runs if t.state == "FAILED"}
        failed = [t.task_id for t in main.task_runs if t.state == "FAILED" and t.id not in parents]
        head = f"execution {main.flow_id} {main.state}" + (
            f" at task {failed[0]}" if failed else ""
        )
        turn.error = head + (f": {_first_line(reasons[0])}" if reasons else "")


_TERMINAL = frozenset(
    {"FAILED", "WARNING", "SUCCESS", "KILLED", "CANCELLED", "RETRIED", "SKIPPED", "RESUBMITTED"}
)


def _subflow_ids(view: ExecutionView) -> list[str]:
    """Executions a Subflow task started (its outputs carry `executionId`)."""
    out = []
    for t in view.task_runs:
        child = (t.outputs or {}).get("executionId") if isinstance(t.outputs, dict) else None
        if isinstance(child, str) and child != view.id:
            out.append(child)
    return out


def _running_tasks(views: Any) -> str | None:
    for v in views:
        for t in v.task_runs:
            if t.state in ("RUNNING", "RETRYING", "CREATED"):
                return t.task_id
    return None


def _first_line(text: str, limit: int = 300) -> str:
    line = text.strip().splitlines()[0] if text.strip() else text
    return line if len(line) <= limit else line[: limit - 1] + "…"
