"""Flow coverage: which tasks and which branches of each flow ran at least once across the
executions the embedded engines finished in this process (scenarios, unit tests, `walab test`).

A branch is an If's `then` / `else`, each Switch case and its `defaults`, and every `errors` and
`finally` block (the flow's and a flowable's); it ran when one of its tasks has a task run. A
task stood in by a fixture counts as run (the path reached it). Recording is off until `start()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.kestra.engine.flow import FlowDef, TaskDef

BRANCH_BLOCKS = ("then", "else", "defaults", "errors", "finally")


@dataclass(slots=True)
class FlowCoverage:
    """One flow's coverage points and what ran."""

    flow: str  # namespace.id
    path: str | None = None  # the file it was deployed from
    tasks: list[str] = field(default_factory=list)
    branches: dict[str, set[str]] = field(default_factory=dict)  # branch -> the task ids inside it
    ran: set[str] = field(default_factory=set)

    def ran_branches(self) -> list[str]:
        return [b for b, ids in self.branches.items() if ids & self.ran]

    def percent(self) -> float:
        total = len(self.tasks) + len(self.branches)
        hit = len(self.ran & set(self.tasks)) + len(self.ran_branches())
        return 100.0 * hit / total if total else 100.0

    def to_json(self) -> dict[str, Any]:
        ran = self.ran_branches()
        return {
            "flow": self.flow,
            "tasks": {
                "total": len(self.tasks),
                "ran": sorted(self.ran & set(self.tasks)),
                "missed": [t for t in self.tasks if t not in self.ran],
            },
            "branches": {
                "total": len(self.branches),
                "ran": ran,
                "missed": [b for b in self.branches if b not in ran],
            },
            "percent": round(self.percent(), 1),
        }


def _ids(tasks: list[TaskDef]) -> set[str]:
    out: set[str] = set()
    for task in tasks:
        out.add(task.id)
        for block in task.blocks.values():
            out |= _ids(block)
        for case in task.cases.values():
            out |= _ids(case)
    return out


def points(flow: FlowDef) -> FlowCoverage:
    """The tasks and branches of a flow, in the order they are written."""
    cov = FlowCoverage(f"{flow.namespace}.{flow.id}", flow.path)

    def visit(tasks: list[TaskDef]) -> None:
        for task in tasks:
            cov.tasks.append(task.id)
            for name, block in task.blocks.items():
                if name in BRANCH_BLOCKS and block:
                    cov.branches[f"{task.id}.{name}"] = _ids(block)
                visit(block)
            for case, block in task.cases.items():
                cov.branches[f"{task.id}.cases.{case}"] = _ids(block)
                visit(block)

    visit(flow.tasks)
    for name, block in (("errors", flow.errors), ("finally", flow.finally_)):
        if block:
            cov.branches[name] = _ids(block)
            visit(block)
    return cov


class Recorder:
    """Coverage of every flow an engine of this process finished an execution of."""

    def __init__(self) -> None:
        self.flows: dict[str, FlowCoverage] = {}

    def record(self, flow: FlowDef, task_ids: set[str]) -> None:
        key = f"{flow.namespace}.{flow.id}"
        cov = self.flows.get(key)
        if cov is None:
            cov = self.flows[key] = points(flow)
        cov.ran |= task_ids

    def merge(self, data: list[dict[str, Any]]) -> None:
        """Add what another process recorded (`to_json()` of its flows plus their points)."""
        for item in data:
            cov = self.flows.setdefault(
                item["flow"],
                FlowCoverage(
                    item["flow"],
                    item.get("path"),
                    list(item["tasks_all"]),
                    {k: set(v) for k, v in item["branches_all"].items()},
                ),
            )
            cov.ran |= set(item["ran_all"])

    def export(self) -> list[dict[str, Any]]:
        return [
            {
                "flow": c.flow,
                "path": c.path,
                "tasks_all": c.tasks,
                "branches_all": {k: sorted(v) for k, v in c.branches.items()},
                "ran_all": sorted(c.ran),
            }
            for c in self.flows.values()
        ]

    def only(self, folder: Path) -> Recorder:
        """The flows deployed from files under `folder` (the project's flows/, not test flows)."""
        kept = Recorder()
        root = folder.resolve()
        kept.flows = {
            k: c
            for k, c in self.flows.items()
            if c.path and Path(c.path).resolve().is_relative_to(root)
        }
        return kept

    def total_percent(self) -> float:
        total = sum(len(c.tasks) + len(c.branches) for c in self.flows.values())
        hit = sum(len(c.ran & set(c.tasks)) + len(c.ran_branches()) for c in self.flows.values())
        return 100.0 * hit / total if total else 100.0

    def table(self) -> str:
        lines = [f"{'flow':<40} {'tasks':>9} {'branches':>9} {'cover':>6}  missed branches"]
        for cov in sorted(self.flows.values(), key=lambda c: c.flow):
            ran_tasks = len(cov.ran & set(cov.tasks))
            ran_branches = cov.ran_branches()
            missed = [b for b in cov.branches if b not in ran_branches]
            lines.append(
                f"{cov.flow:<40} {ran_tasks:>4}/{len(cov.tasks):<4} {len(ran_branches):>4}/{len(cov.branches):<4}"
                f" {cov.percent():>5.1f}%  {', '.join(missed[:6])}{' …' if len(missed) > 6 else ''}"
            )
        lines.append(f"{'total':<40} {'':>9} {'':>9} {self.total_percent():>5.1f}%")
        return "\n".join(lines)


RECORDER: Recorder | None = None


def start() -> Recorder:
    """Turn recording on for this process (the pytest plugin does, for `walab test`)."""
    global RECORDER
    if RECORDER is None:
        RECORDER = Recorder()
    return RECORDER


@contextmanager
def recording() -> Iterator[Recorder]:
    """A recorder of its own for one run (`walab compare`), whatever records around it; what it
    saw is added to the outer recorder afterwards (`walab test` still counts it)."""
    global RECORDER
    outer, RECORDER = RECORDER, Recorder()
    try:
        yield RECORDER
    finally:
        inner, RECORDER = RECORDER, outer
        if outer is not None and inner is not None:
            outer.merge(inner.export())


def finished(flow: FlowDef, task_runs: list[Any]) -> None:
    """Called by the engine when an execution ends; free when recording is off."""
    if RECORDER is not None:
        RECORDER.record(flow, {tr.task_id for tr in task_runs})
