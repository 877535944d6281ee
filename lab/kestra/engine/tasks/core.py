"""Core runnable tasks: Log, Return, Echo, OutputValues, Fail, Exit, Assert, SetVariables,
UnsetVariables, Labels and Sleep (io.kestra.plugin.core.*)."""

from __future__ import annotations

import asyncio
from typing import Any

from lab.kestra.engine.executor import ExitExecution
from lab.kestra.engine.flow import CORE, parse_labels, seconds
from lab.kestra.engine.tasks.base import Prop, RunnableTask, TaskFailed, register

EXIT_STATES = ("SUCCESS", "WARNING", "KILLED", "FAILED", "CANCELLED")


def _truthy(text: str) -> bool:
    return text.strip() not in ("false", "0", "-0", "")


@register
class Log(RunnableTask):
    """Log one message or a list of messages at `level` (INFO)."""

    TYPE = CORE + "log.Log"
    ALIASES = ("io.kestra.core.tasks.log.Log",)
    PROPERTIES = {"message": Prop("any", required=True), "level": Prop("string")}

    async def run(self, ctx: Any, props: dict[str, Any]) -> dict[str, Any]:
        level = str(ctx.render_str(props.get("level") or "INFO")).upper()
        messages = props.get("message")
        for message in messages if isinstance(messages, list) else [messages]:
            ctx.log(level, ctx.render_str(message))
        return {}


@register
class Return(RunnableTask):
    """Render `format` and return it as `value`."""

    TYPE = CORE + "debug.Return"
    ALIASES = ("io.kestra.core.tasks.debugs.Return",)
    PROPERTIES = {"format": Prop("string")}

    async def run(self, ctx: Any, props: dict[str, Any]) -> dict[str, Any]:
        return {"value": ctx.render_str(props.get("format"))}


@register
class Echo(RunnableTask):
    """Deprecated debug task (1.x): log `format` at `level`."""

    TYPE = CORE + "debug.Echo"
    ALIASES = ("io.kestra.core.tasks.debugs.Echo",)
    PROPERTIES = {"format": Prop("string", required=True), "level": Prop("string")}

    async def run(self, ctx: Any, props: dict[str, Any]) -> dict[str, Any]:
        ctx.log(str(props.get("level") or "INFO"), ctx.render_str(props.get("format")))
        return {}


@register
class OutputValues(RunnableTask):
    """Expose `values` (rendered, types kept) as `outputs.<id>.values`."""

    TYPE = CORE + "output.OutputValues"
    PROPERTIES = {"values": Prop("map")}

    async def run(self, ctx: Any, props: dict[str, Any]) -> dict[str, Any]:
        return {"values": ctx.render(props.get("values") or {})}


@register
class Fail(RunnableTask):
    """Fail the task run (only when `condition` is truthy, if given)."""

    TYPE = CORE + "execution.Fail"
    ALIASES = ("io.kestra.core.tasks.executions.Fail",)
    PROPERTIES = {"condition": Prop("string"), "errorMessage": Prop("string")}

    async def run(self, ctx: Any, props: dict[str, Any]) -> dict[str, Any]:
        if props.get("condition") is not None and not _truthy(ctx.render_str(props["condition"])):
            return {}
        raise TaskFailed(ctx.render_str(props.get("errorMessage") or "Task failure"))


@register
class Exit(RunnableTask):
    """End the execution now in `state` (SUCCESS, WARNING, KILLED, FAILED, CANCELLED)."""

    TYPE = CORE + "execution.Exit"
    PROPERTIES = {"state": Prop("string")}

    async def run(self, ctx: Any, props: dict[str, Any]) -> dict[str, Any]:
        state = str(ctx.render_str(props.get("state") or "SUCCESS")).upper()
        if state not in EXIT_STATES:
            raise TaskFailed(f"Exit state must be one of {', '.join(EXIT_STATES)}, got {state}")
        raise ExitExecution(state)


@register
class Assert(RunnableTask):
    """Fail when one of `conditions` renders falsy."""

    TYPE = CORE + "execution.Assert"
    PROPERTIES = {"conditions": Prop("list", required=True), "errorMessage": Prop("string")}

    async def run(self, ctx: Any, props: dict[str, Any]) -> dict[str, Any]:
        failed = 0
        for condition in props.get("conditions") or []:
            if not _truthy(ctx.render_str(condition)):
                failed += 1
                ctx.log("ERROR", f"Assertion `{condition}` failed!")
        if failed:
            message = props.get("errorMessage")
            raise TaskFailed(
                ctx.render_str(message) if message else f"{failed} assertion(s) failed!"
            )
        return {}


@register
class SetVariables(RunnableTask):
    """Set execution variables (`vars.*`)."""

    TYPE = CORE + "execution.SetVariables"
    PROPERTIES = {"variables": Prop("map", required=True), "overwrite": Prop("bool")}

    async def run(self, ctx: Any, props: dict[str, Any]) -> dict[str, Any]:
        values = ctx.render(props.get("variables") or {})
        current = ctx.execution.variables
        if not props.get("overwrite", True):
            clash = [k for k in values if k in current]
            if clash:
                raise TaskFailed(f"`{clash[0]}` is already defined and `overwrite` is false")
        current.update(values)
        return {}


@register
class UnsetVariables(RunnableTask):
    """Remove execution variables."""

    TYPE = CORE + "execution.UnsetVariables"
    PROPERTIES = {"variables": Prop("list", required=True), "ignoreMissing": Prop("bool")}

    async def run(self, ctx: Any, props: dict[str, Any]) -> dict[str, Any]:
        current = ctx.execution.variables
        for name in ctx.render(props.get("variables") or []):
            if name not in current and not props.get("ignoreMissing", False):
                raise TaskFailed(f"Unable to unset variable `{name}`: it is not defined")
            current.pop(name, None)
        return {}


@register
class Labels(RunnableTask):
    """Add or replace execution labels."""

    TYPE = CORE + "execution.Labels"
    ALIASES = ("io.kestra.core.tasks.executions.Labels",)
    PROPERTIES = {"labels": Prop("any", required=True)}

    async def run(self, ctx: Any, props: dict[str, Any]) -> dict[str, Any]:
        new = parse_labels(ctx.render(props.get("labels")))
        labels = ctx.execution.labels
        for key, value in new:
            if key.startswith("system.") and key not in ("system.correlationId",):
                raise TaskFailed(f"System labels cannot be set by a task: {key}")
            for i, (k, _) in enumerate(labels):
                if k == key:
                    labels[i] = (key, value)
                    break
            else:
                labels.append((key, value))
        return {}


@register
class Sleep(RunnableTask):
    """Wait for `duration` (real time: timeouts are measured against it)."""

    TYPE = CORE + "flow.Sleep"
    PROPERTIES = {"duration": Prop("duration", required=True)}

    async def run(self, ctx: Any, props: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(seconds(ctx.render_str(props.get("duration"))) or 0)
        return {}
