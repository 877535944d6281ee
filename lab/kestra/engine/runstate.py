"""The in-flight state of one execution: its task runs by id, the outputs tree, change signalling."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from lab.kestra.engine.context import nested_labels as nest_labels
from lab.kestra.engine.execution import Execution, TaskRun

if TYPE_CHECKING:
    from lab.kestra.engine.engine import Engine
    from lab.kestra.engine.events import EngineEvent
    from lab.kestra.engine.flow import FlowDef


class Run:
    """One execution being executed (or done): what the executor and the watchers share."""

    __slots__ = (
        "engine",
        "flow",
        "execution",
        "by_id",
        "outputs_tree",
        "exit_state",
        "task",
        "done",
        "_changed",
        "functions",
        "children",
        "context_parent",
        "extra",
        "iterations",
        "tasks_map",
        "_labels",
        "base_vars",
        "event",
    )

    def __init__(self, engine: Engine, flow: FlowDef, execution: Execution) -> None:
        self.engine = engine
        self.flow = flow
        self.execution = execution
        self.by_id: dict[str, TaskRun] = {}
        self.outputs_tree: dict[str, Any] = {}
        self.exit_state: str | None = None
        self.task: asyncio.Task[None] | None = None
        self.done = asyncio.Event()
        self._changed: asyncio.Event | None = None
        self.functions: Any = None
        self.children: list[Run] = []
        # 2.0 Loop iterations: the parent whose execution id expressions see, `item` and friends.
        self.context_parent: Run | None = None
        self.extra: dict[str, Any] | None = None
        self.iterations: list[Run] = []
        self.tasks_map: dict[str, Any] = {}
        self.base_vars: dict[str, Any] | None = None
        self._labels: tuple[list[tuple[str, str]], dict[str, Any]] | None = None
        self.event: EngineEvent | None = None  # this execution's change event, built on first use

    # -- bookkeeping -------------------------------------------------------------------------
    def add(self, tr: TaskRun) -> None:
        self.execution.task_runs.append(tr)
        self.by_id[tr.id] = tr
        self.track_state(tr)
        self.changed()

    def track_state(self, tr: TaskRun) -> None:
        """Keep `tasks.<taskId>.state` (keyed by value for iterated task runs) up to date."""
        if tr.value is None:
            self.tasks_map[tr.task_id] = {"state": tr.state.current}
        else:
            self.tasks_map.setdefault(tr.task_id, {})[tr.value] = {"state": tr.state.current}

    def nested_labels(self) -> dict[str, Any]:
        """`labels` for expressions, rebuilt only when the labels change."""
        labels = self.execution.labels
        if self._labels is None or self._labels[0] != labels:
            self._labels = (list(labels), nest_labels(labels))
        return self._labels[1]

    def set_outputs(self, tr: TaskRun, outputs: dict[str, Any] | None) -> None:
        """Store a task run's outputs and merge them into `outputs.<taskId>` keyed by the value path."""
        tr.outputs = outputs
        if not outputs:
            return
        path = []
        pid = tr.parent_id
        while pid is not None:
            parent = self.by_id.get(pid)
            if parent is None:
                break
            if parent.value is not None:
                path.append(parent.value)
            pid = parent.parent_id
        path.reverse()
        if tr.value is not None:
            path.append(tr.value)
        if not path:
            current = self.outputs_tree.get(tr.task_id)
            if isinstance(current, dict) and tr.iteration is not None:
                current.update(outputs)
            else:
                self.outputs_tree[tr.task_id] = dict(outputs)
            return
        node = self.outputs_tree.setdefault(tr.task_id, {})
        for key in path[:-1]:
            nxt = node.get(key)
            if not isinstance(nxt, dict):
                nxt = node[key] = {}
            node = nxt
        node[path[-1]] = outputs

    # -- change signalling -------------------------------------------------------------------
    def changed(self) -> None:
        ev = self._changed
        if ev is not None:
            self._changed = None
            ev.set()
        self.engine._subscribers.execution_changed(self)

    def wait_change(self) -> asyncio.Event:
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed
