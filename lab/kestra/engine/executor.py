"""The executor: runs a flow's task lists with Kestra's ordering, retry, timeout and final-state rules.

One coroutine per execution walks the task tree; sequential blocks await each task run in turn,
Parallel and ForEach use asyncio tasks. Nothing polls: a finished task run returns to its block.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import TYPE_CHECKING, Any

from lab.kestra.engine import states as S
from lab.kestra.engine.context import TaskContext
from lab.kestra.engine.execution import Attempt, StateInfo, TaskRun, new_id
from lab.kestra.engine.fixtures import TaskFixture, missing_fixture
from lab.kestra.engine.flow import RetryDef, TaskDef
from lab.kestra.engine.tasks.base import REGISTRY, TaskFailed

if TYPE_CHECKING:
    from lab.kestra.engine.runstate import Run

FALSY = ("false", "0", "-0", "")


def truthy(text: str | None) -> bool:
    """Kestra's TruthUtils: everything but false, 0, -0 and "" (trimmed) is true."""
    return text is not None and text.strip() not in FALSY


class ExitExecution(Exception):
    """Raised by the Exit task: end the execution in `state`."""

    def __init__(self, state: str) -> None:
        super().__init__(f"Exit with state {state}")
        self.state = state


def hms(seconds: float) -> str:
    """Commons-lang formatDurationHMS: HH:mm:ss.SSS."""
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


_UNDEFINED = re.compile(r"variable '([^']+)' is not defined")


def error_text(exc: BaseException) -> str:
    """The message logged for a failure; undefined variables worded as Kestra logs them."""
    what = getattr(exc, "what", None) or str(exc) or type(exc).__name__
    expression = getattr(exc, "expression", None)
    match = _UNDEFINED.search(what)
    if match and expression:
        return f"Unable to find `{match.group(1)}` used in the expression `{expression}` at line 1 ({what})"
    return what


class Executor:
    """Runs executions of deployed flows for one Engine."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.now = engine.now
        self.sleep = engine.sleep
        self._flowables: dict[str, Any] | None = (
            None  # flowables import the executor's helpers: bound on first use
        )

    # -- execution --------------------------------------------------------------------------
    async def execute(self, run: Run) -> None:
        x = run.execution
        try:
            x.state.set(S.RUNNING, self.now())
            run.changed()
            f = run.flow
            state = await self.run_block(run, f.tasks, f.errors, f.finally_, None, f.retry)
            if run.exit_state is not None:
                state = run.exit_state
            if f.outputs and state not in (S.KILLED,):
                state = self._flow_outputs(run, state)
            x.state.set(state, self.now())
        except asyncio.CancelledError:
            self._mark_killed(run)
        except Exception as exc:  # an engine bug must still end the execution, visibly
            self.engine._log(run, None, None, None, "ERROR", f"Execution failed: {error_text(exc)}")
            x.state.set(S.FAILED, self.now())
        finally:
            run.done.set()
            run.changed()
            self.engine._finished(run)

    def _mark_killed(self, run: Run) -> None:
        now = self.now()
        for tr in run.execution.task_runs:
            if tr.state.current not in S.TERMINATED:
                for att in tr.attempts:
                    if att.state.current not in S.TERMINATED:
                        att.state.set(S.KILLED, now)
                tr.state.set(S.KILLED, now)
        run.execution.state.set(S.KILLED, now)

    def _flow_outputs(self, run: Run, state: str) -> str:
        ctx = TaskContext(run, None, None)
        values: dict[str, Any] = {}
        for out in run.flow.outputs:
            try:
                if out.type == "STRING":
                    values[out.id] = ctx.render_str(out.value)
                else:
                    values[out.id] = ctx.render_typed(out.value)
            except Exception as exc:
                if out.required:
                    self.engine._log(
                        run,
                        None,
                        None,
                        None,
                        "ERROR",
                        f"Failed to render output '{out.id}': {error_text(exc)}",
                    )
                    run.execution.outputs = None
                    return S.FAILED
        run.execution.outputs = values or None
        return state

    # -- blocks -----------------------------------------------------------------------------
    async def run_block(
        self,
        run: Run,
        tasks: list[TaskDef],
        errors: list[TaskDef],
        finally_: list[TaskDef],
        parent: TaskRun | None,
        retry: RetryDef | None,
        value: str | None = None,
        iteration: int | None = None,
    ) -> str:
        """Run `tasks` in order; on failure run `errors`; always run `finally`; return the block state."""
        states = await self.run_list(run, tasks, parent, retry, value, iteration)
        if run.exit_state is not None:
            return run.exit_state
        failed = any(s in S.FAILED_LIKE for s in states)
        if failed and errors:
            await self.run_list(run, errors, parent, retry, value, iteration)
        if finally_ and run.exit_state is None:
            await self.run_list(run, finally_, parent, retry, value, iteration)
        if run.exit_state is not None:
            return run.exit_state
        if not states:
            return S.SUCCESS
        return S.guess_final_state(states)

    async def run_list(
        self,
        run: Run,
        tasks: list[TaskDef],
        parent: TaskRun | None,
        retry: RetryDef | None,
        value: str | None = None,
        iteration: int | None = None,
    ) -> list[str]:
        """Run enabled tasks one after the other until one fails; return their states."""
        states: list[str] = []
        for task in tasks:
            if task.disabled:
                continue
            state = await self.run_task(run, task, parent, retry, value, iteration)
            states.append(state)
            if run.exit_state is not None or state in S.FAILED_LIKE:
                break
        return states

    # -- one task ---------------------------------------------------------------------------
    def new_taskrun(
        self,
        run: Run,
        task: TaskDef,
        parent: TaskRun | None,
        value: str | None,
        iteration: int | None,
    ) -> TaskRun:
        x = run.execution
        tr = TaskRun(
            new_id(),
            x.id,
            x.namespace,
            x.flow_id,
            task.id,
            parent.id if parent else None,
            value,
            iteration,
            StateInfo.start(S.CREATED, self.now()),
        )
        run.add(tr)
        return tr

    def finish(self, run: Run, tr: TaskRun, state: str) -> str:
        tr.state.set(state, self.now())
        run.track_state(tr)
        run.changed()
        return state

    async def run_task(
        self,
        run: Run,
        task: TaskDef,
        parent: TaskRun | None,
        retry: RetryDef | None,
        value: str | None = None,
        iteration: int | None = None,
    ) -> str:
        tr = self.new_taskrun(run, task, parent, value, iteration)
        ctx = TaskContext(run, task, tr)
        if task.run_if is not None:
            try:
                condition = ctx.render_str(task.run_if)
            except Exception as exc:
                ctx.log("ERROR", error_text(exc))
                tr.attempts.append(Attempt(StateInfo.start(S.FAILED, self.now())))
                return self.finish(run, tr, S.FAILED)
            if not truthy(condition):
                tr.attempts.append(Attempt(StateInfo.start(S.SKIPPED, self.now())))
                return self.finish(run, tr, S.SKIPPED)
        runners = self._flowables
        if runners is None:
            # cycle: lab.kestra.engine.flowables imports this module
            from lab.kestra.engine.flowables import FLOWABLES

            runners = self._flowables = FLOWABLES
        runner = runners.get(task.type)
        if runner is not None:
            return await self._run_flowable(run, task, tr, ctx, runner, task.retry or retry)
        return await self._run_runnable(run, task, tr, ctx, task.retry or retry)

    async def _run_flowable(
        self,
        run: Run,
        task: TaskDef,
        tr: TaskRun,
        ctx: TaskContext,
        runner: Any,
        retry: RetryDef | None,
    ) -> str:
        now = self.now()
        tr.state.set(S.RUNNING, now)
        attempt = Attempt(StateInfo.start(S.RUNNING, now))
        tr.attempts.append(attempt)
        run.changed()
        try:
            state = await runner(self, run, task, tr, ctx, retry)
        except ExitExecution as exit_:
            run.exit_state = exit_.state
            state = exit_.state
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            ctx.log("ERROR", error_text(exc))
            state = S.FAILED
        if run.exit_state is not None:
            state = run.exit_state
        else:
            state = S.apply_allowances(
                state, allow_failure=task.allow_failure, allow_warning=task.allow_warning
            )
        attempt.state.set(state, self.now())
        return self.finish(run, tr, state)

    def _stand_in(self, run: Run, tr: TaskRun, ctx: TaskContext, fixture: TaskFixture) -> str:
        """Kestra's TaskFixture: the task does not run; its task run ends in the fixture's state
        with the fixture's outputs (rendered), none when it gives none (the task is skipped)."""
        tr.stood_in = True
        tr.attempts.append(Attempt(StateInfo.start(S.RUNNING, self.now())))
        if fixture.outputs is not None:
            run.set_outputs(tr, ctx.render(fixture.outputs))
        ctx.log(
            "INFO",
            f"Stood in by a fixture{': ' + fixture.description if fixture.description else ''}",
        )
        tr.attempts[-1].state.set(fixture.state, self.now())
        return self.finish(run, tr, fixture.state)

    async def _run_runnable(
        self, run: Run, task: TaskDef, tr: TaskRun, ctx: TaskContext, retry: RetryDef | None
    ) -> str:
        fixtures = run.execution.fixtures
        fixture = fixtures.for_task(task.id, tr.value) if fixtures else None
        if fixture is not None:
            return self._stand_in(run, tr, ctx, fixture)
        cls = REGISTRY.get(task.type)
        if cls is None:  # a real Kestra task the engine does not run, met without a fixture
            ctx.log("ERROR", missing_fixture(task.id, task.type))
            tr.attempts.append(Attempt(StateInfo.start(S.FAILED, self.now())))
            return self.finish(run, tr, S.FAILED)
        impl = cls()
        started = time.monotonic()
        while True:
            now = self.now()
            attempt = Attempt(StateInfo.start(S.RUNNING, now))
            tr.attempts.append(attempt)
            tr.state.set(S.RUNNING, now)
            run.changed()
            ctx.refresh()
            ok = False
            outputs: dict[str, Any] | None = None
            try:
                if task.timeout is not None:
                    outputs = await asyncio.wait_for(impl.run(ctx, task.props), task.timeout)
                else:
                    outputs = await impl.run(ctx, task.props)
                ok = True
            except ExitExecution as exit_:
                run.exit_state = exit_.state
                attempt.state.set(exit_.state, self.now())
                return self.finish(run, tr, exit_.state)
            except TimeoutError:
                message = f"Timeout after {hms(task.timeout or 0)}"
                ctx.log("ERROR", message)
                ctx.log("ERROR", f"Task {task.id} failed: {message}")
            except TaskFailed as exc:
                outputs = exc.outputs
                ctx.log("ERROR", str(exc))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                ctx.log("ERROR", error_text(exc))
            if outputs is not None:
                run.set_outputs(tr, outputs)
            if ok:
                attempt.state.set(S.SUCCESS, self.now())
                state = (
                    S.WARNING
                    if (retry and retry.warning_on_retry and len(tr.attempts) > 1)
                    else S.SUCCESS
                )
                break
            attempt.state.set(S.FAILED, self.now())
            if retry is not None and retry.allows(len(tr.attempts), time.monotonic() - started):
                tr.state.set(S.RETRYING, self.now())
                run.changed()
                await self.sleep(retry.delay(len(tr.attempts)))
                continue
            state = S.FAILED
            break
        state = S.apply_allowances(
            state, allow_failure=task.allow_failure, allow_warning=task.allow_warning
        )
        return self.finish(run, tr, state)
