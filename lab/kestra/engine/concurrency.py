"""Flow-level `concurrency`: how many executions of one flow run at once, and what happens to the rest.

Kestra's executor checks a CREATED execution of a flow that declares `concurrency: {limit, behavior}`
against the number of that flow's executions that are RUNNING or PAUSED; at the limit the new one
is QUEUED (logged "Flow is queued due to concurrency limit exceeded, N running(s)"), CANCELLED, or
FAILED ("Flow is FAILED due to concurrency limit exceeded"), as `behavior` says (QUEUE by default).
When an execution of the flow ends, the oldest queued one leaves the queue and runs. The check reads
the flow's latest revision, as Kestra's executor does. Every execution counts, however it started
(webhook, API, a parent's Subflow task).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lab.kestra.engine import states as S

if TYPE_CHECKING:
    from lab.kestra.engine.flow import FlowDef
    from lab.kestra.engine.runstate import Run

BEHAVIORS = ("QUEUE", "CANCEL", "FAIL")
QUEUED_MESSAGE = "Flow is queued due to concurrency limit exceeded, {count} running(s)"
FAILED_MESSAGE = "Flow is FAILED due to concurrency limit exceeded"


@dataclass(frozen=True, slots=True)
class Concurrency:
    """A flow's `concurrency` property: at most `limit` executions at once; `behavior` for the rest."""

    limit: int
    behavior: str = "QUEUE"

    @classmethod
    def of(cls, flow: FlowDef) -> Concurrency | None:
        raw: Any = flow.concurrency
        if not isinstance(raw, dict) or raw.get("limit") is None:
            return None
        return cls(int(raw["limit"]), str(raw.get("behavior") or "QUEUE").upper())


class ConcurrencySlots:
    """The executions holding a slot of their flow, and those queued for one (oldest first).

    Args:
        latest: the deployed revision of a flow by its key (the limit is read from it).
        start: runs an admitted execution (creates its executor task).
        log: logs a line on an execution (level, message).
        now: the engine's clock.
    """

    def __init__(
        self,
        latest: Callable[[tuple[str, str]], FlowDef | None],
        start: Callable[[Run], None],
        log: Callable[[Run, str, str], None],
        now: Callable[[], float],
    ) -> None:
        self._latest = latest
        self._start = start
        self._log = log
        self._now = now
        self._holding: dict[tuple[str, str], set[str]] = {}
        self._queued: dict[tuple[str, str], deque[Run]] = {}

    def admit(self, run: Run) -> bool:
        """Start a new execution, or queue, cancel or fail it when its flow is at its limit; True
        when it ended there (cancelled or failed without running a task)."""
        key = run.flow.key
        rule = Concurrency.of(self._latest(key) or run.flow)
        holding = self._holding.setdefault(key, set())
        if rule is None or len(holding) < rule.limit:
            holding.add(run.execution.id)
            self._start(run)
            return False
        x = run.execution
        if rule.behavior == "CANCEL":
            x.state.set(S.CANCELLED, self._now())
        elif rule.behavior == "FAIL":
            self._log(run, "ERROR", FAILED_MESSAGE)
            x.state.set(S.FAILED, self._now())
        else:
            x.state.set(S.QUEUED, self._now())
            self._log(run, "INFO", QUEUED_MESSAGE.format(count=len(holding)))
            self._queued.setdefault(key, deque()).append(run)
            run.changed()
            return False
        run.done.set()
        run.changed()
        return True

    def is_queued(self, run: Run) -> bool:
        return run in self._queued.get(run.flow.key, ())

    def withdraw(self, run: Run) -> None:
        """A queued execution killed before it ran leaves the queue."""
        queue = self._queued.get(run.flow.key)
        if queue is not None and run in queue:
            queue.remove(run)

    def release(self, run: Run) -> None:
        """An execution ended: its slot goes to the oldest queued execution of the flow, if any."""
        key = run.flow.key
        holding = self._holding.get(key)
        if holding is None or run.execution.id not in holding:
            return
        holding.discard(run.execution.id)
        queue = self._queued.get(key)
        rule = Concurrency.of(self._latest(key) or run.flow)
        limit = rule.limit if rule is not None else None
        while queue and (limit is None or len(holding) < limit):
            nxt = queue.popleft()
            holding.add(nxt.execution.id)
            self._start(nxt)

    def clear(self) -> None:
        self._holding.clear()
        self._queued.clear()
