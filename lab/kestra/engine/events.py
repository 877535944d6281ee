"""Live events of the embedded engine: execution changes and log lines, for synchronous subscribers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lab.kestra.engine.execution import Execution, LogEntry

if TYPE_CHECKING:
    from lab.kestra.engine.runstate import Run


@dataclass(frozen=True, slots=True)
class EngineEvent:
    """What changed: an execution (`kind="execution"`) or a new log line (`kind="log"`)."""

    kind: str
    execution_id: str
    execution: Execution | None = None
    log: LogEntry | None = None


class Subscribers:
    """The engine's subscriber list. A flow turn changes its execution ~20 times, so each change costs
    one loop over a snapshot kept ready (no copy per change) and one event per execution (events are
    frozen and carry the live execution, so the same one serves every change)."""

    __slots__ = ("_callbacks", "snapshot")

    def __init__(self) -> None:
        self._callbacks: list[Callable[[EngineEvent], None]] = []
        # What a notification iterates: callbacks added or removed meanwhile take effect next time.
        self.snapshot: tuple[Callable[[EngineEvent], None], ...] = ()

    def add(self, callback: Callable[[EngineEvent], None]) -> Callable[[], None]:
        self._callbacks.append(callback)
        self.snapshot = tuple(self._callbacks)

        def unsubscribe() -> None:
            if callback in self._callbacks:
                self._callbacks.remove(callback)
                self.snapshot = tuple(self._callbacks)

        return unsubscribe

    def execution_changed(self, run: Run) -> None:
        subscribers = self.snapshot
        if subscribers:
            event = run.event
            if event is None:
                event = run.event = EngineEvent(
                    "execution", run.execution.id, execution=run.execution
                )
            for callback in subscribers:
                callback(event)

    def log_added(self, entry: LogEntry) -> None:
        subscribers = self.snapshot
        if subscribers:
            event = EngineEvent("log", entry.execution_id, log=entry)
            for callback in subscribers:
                callback(event)
