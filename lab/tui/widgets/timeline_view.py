"""The execution timeline of a turn: task runs with state, duration, attempts and a small Gantt."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from lab.conversation.model import ExecutionView, TaskRunView, Turn

STATE_STYLE = {
    "SUCCESS": "green",
    "RUNNING": "yellow",
    "CREATED": "dim",
    "FAILED": "bold red",
    "KILLED": "red",
    "WARNING": "yellow",
    "RETRYING": "magenta",
    "RETRIED": "magenta",
    "SKIPPED": "dim",
    "PAUSED": "cyan",
    "QUEUED": "dim",
    "CANCELLED": "red",
}
BAR_WIDTH = 10


def _ms(value: float | None) -> str:
    if value is None:
        return "…"
    return f"{value:.0f} ms" if value < 10_000 else f"{value / 1000:.1f} s"


def gantt_bar(run: TaskRunView, t0: float, span: float, width: int = BAR_WIDTH) -> Text:
    """A bar placed on the execution's time axis (running tasks are open-ended)."""
    if run.start is None or span <= 0:
        return Text("·" * width, style="dim")
    start = int((run.start - t0) / span * width)
    end = run.end if run.end is not None else t0 + span
    length = max(1, round((end - run.start) / span * width))
    start = min(start, width - 1)
    length = min(length, width - start)
    bar = Text("·" * start, style="dim")
    bar.append("█" * length, style=STATE_STYLE.get(run.state, "white"))
    bar.append("·" * (width - start - length), style="dim")
    return bar


def _span(execs: list[ExecutionView]) -> tuple[float, float]:
    starts = [r.start for e in execs for r in e.task_runs if r.start is not None]
    ends = [r.end or r.start for e in execs for r in e.task_runs if r.start is not None]
    starts += [e.start for e in execs if e.start is not None]
    ends += [e.end for e in execs if e.end is not None]
    if not starts:
        return 0.0, 0.0
    t0 = min(starts)
    return t0, max(max(ends or [t0]) - t0, 1e-6)


class _FitWidth:
    """Renders the timeline for the width it gets: a narrow panel drops the Gantt bars first, so
    the task names keep their room."""

    def __init__(self, turn: Turn) -> None:
        self.turn = turn

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield _timeline(self.turn, bars=options.max_width >= 42)


def timeline_renderable(turn: Turn | None) -> RenderableType:
    """The timeline of a turn as a Rich renderable."""
    if turn is None or not turn.executions:
        return _timeline(turn, bars=True)
    return _FitWidth(turn)


def _timeline(turn: Turn | None, *, bars: bool) -> RenderableType:
    if turn is None:
        return Text("No turn yet: send a message to see the execution it starts.", style="dim")
    if not turn.executions:
        why = turn.error or ("running…" if turn.verdict == "ok" else turn.verdict)
        return Text(f"Turn {turn.index}: no execution ({why})", style="dim")
    t0, span = _span(turn.executions)
    parts: list[RenderableType] = []
    for ex in turn.executions:
        head = Text()
        head.append(
            ("↳ subflow " if ex.parent_id else "") + f"{ex.namespace}.{ex.flow_id} ", style="bold"
        )
        head.append(ex.state, style=STATE_STYLE.get(ex.state, ""))
        head.append(f"  {_ms(ex.duration_ms)}  ", style="dim")
        head.append(ex.id, style="dim")
        parts.append(head)
        table = Table(box=None, pad_edge=False, show_header=True, header_style="dim", expand=True)
        table.add_column("task", ratio=3, min_width=14, overflow="ellipsis", no_wrap=True)
        table.add_column("state", no_wrap=True, max_width=8, overflow="ellipsis")
        table.add_column("time", justify="right", no_wrap=True)
        table.add_column("try", justify="right", no_wrap=True, width=3)
        if bars:
            table.add_column("", width=BAR_WIDTH, no_wrap=True)
        depth = _depths(ex.task_runs)
        for run in ex.task_runs:
            name = (
                " " * depth.get(run.id, 0)
                + run.task_id
                + (f" [{run.value}]" if run.value else "")
                + (" ⊘fixture" if run.stood_in else "")
            )  # stood in by a task fixture: it did not run
            cells: list[RenderableType] = [
                name,
                Text(run.state, style=STATE_STYLE.get(run.state, "")),
                _ms(run.duration_ms),
                str(run.attempts) if run.attempts != 1 else "",
            ]
            table.add_row(*cells, *([gantt_bar(run, t0, span)] if bars else []))
        parts.append(table)
    if turn.error:
        parts.append(Text(turn.error, style="red"))
    return Group(*parts)


def _depths(runs: list[TaskRunView]) -> dict[str, int]:
    parent = {r.id: r.parent_task_run_id for r in runs}
    depths: dict[str, int] = {}
    for r in runs:
        d, p = 0, r.parent_task_run_id
        while p and d < 10:
            d, p = d + 1, parent.get(p)
        depths[r.id] = d
    return depths


class TimelineView(Static):
    """Renders the selected turn's executions."""

    DEFAULT_CSS = """
    TimelineView { height: auto; width: 1fr; padding: 0 1; }
    """

    def show_turn(self, turn: Turn | None) -> None:
        self.update(timeline_renderable(turn))
