"""Script tasks with the Process runner, run for real as subprocesses under a small fake RunContext."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

import pytest

from lab.kestra.engine.tasks import scripts  # noqa: F401 - registers the task types
from lab.kestra.engine.tasks.base import REGISTRY, TaskFailed
from lab.kestra.expr import render, render_property, render_typed

PROCESS = {"type": "io.kestra.plugin.core.runner.Process"}


class FakeContext:
    """Just enough RunContext: real expression rendering, logs, storage and namespace files in memory."""

    execution_id, namespace, flow_id, task_id, taskrun_id = "ex1", "company.team", "f", "t", "tr1"

    def __init__(
        self, variables: dict | None = None, files: dict[str, bytes] | None = None
    ) -> None:
        self.variables = variables or {}
        self.logs: list[tuple[str, str]] = []
        self.stored: dict[str, bytes] = {}
        self.metrics: list[tuple] = []
        self.files = files or {}
        self.dirs: list[Path] = []

    def render(self, value: Any) -> Any:
        return render_property(value, self.variables)

    def render_typed(self, value: Any) -> Any:
        return render_typed(value, self.variables) if isinstance(value, str) else value

    def render_str(self, value: Any) -> str:
        return (
            ""
            if value is None
            else render(value if isinstance(value, str) else str(value), self.variables)
        )

    def log(self, level: str, message: str) -> None:
        self.logs.append((level, message))

    def store_file(self, name: str, data: bytes) -> str:
        self.stored[name] = data
        return f"kestra:///company/team/f/executions/ex1/tasks/t/tr1/{name}"

    def read_file(self, path: str) -> bytes:
        return self.files[path]

    def list_files(self) -> list[str]:
        return list(self.files)

    def metric(self, name: str, kind: str, value: Any, tags: dict) -> None:
        self.metrics.append((name, kind, value, tags))

    def workdir(self) -> Path:
        self.dirs.append(Path(tempfile.mkdtemp(prefix="walab-test-")))
        return self.dirs[-1]


async def run(
    type_name: str, props: dict, ctx: FakeContext | None = None
) -> tuple[dict, FakeContext]:
    ctx = ctx or FakeContext()
    outputs = await REGISTRY[type_name]().run(ctx, props)
    return outputs, ctx


async def test_python_script_outputs_protocol_metrics_and_logs():
    script = """
from kestra import Kestra
import sys
print("hello {{ inputs.name }}")
print("oops", file=sys.stderr)
Kestra.outputs({"answer": 42, "who": "{{ inputs.name }}"})
Kestra.counter("rows", 3, {"table": "t"})
Kestra.logger().warning("careful")
"""
    outputs, ctx = await run(
        "io.kestra.plugin.scripts.python.Script",
        {"script": script, "taskRunner": PROCESS},
        FakeContext({"inputs": {"name": "Ana"}}),
    )
    assert outputs == {"exitCode": 0, "vars": {"answer": 42, "who": "Ana"}}
    assert ("INFO", "hello Ana") in ctx.logs and ("ERROR", "oops") in ctx.logs
    # the `kestra` package's logger writes "<time> - <message>", as it does on Kestra
    assert any(level == "WARN" and message.endswith(" - careful") for level, message in ctx.logs)
    assert not any(
        "::" in message for _, message in ctx.logs
    )  # protocol lines are consumed, not logged
    assert ctx.metrics == [("rows", "counter", 3, {"table": "t"})]
    assert all(not d.exists() for d in ctx.dirs)  # the working directory is removed


async def test_shell_commands_env_before_commands_input_and_output_files():
    props = {
        "taskRunner": PROCESS,
        "env": {"GREETING": "{{ vars.greeting }}"},
        "inputFiles": {"data/in.txt": "from {{ flow_id }}"},
        "beforeCommands": ["mkdir -p out"],
        "commands": [
            "cat data/in.txt > out/copy.txt",
            'echo "$GREETING" > report.csv',
            "echo extra > {{ outputDir }}/extra.txt",
            'echo \'::{"outputs":{"n":1}}::\'',
        ],
        "outputFiles": ["*.csv", "out/*.txt"],
    }
    outputs, ctx = await run(
        "io.kestra.plugin.scripts.shell.Commands",
        props,
        FakeContext({"vars": {"greeting": "olá"}, "flow_id": "agent"}),
    )
    assert outputs["vars"] == {"n": 1} and outputs["exitCode"] == 0
    assert set(outputs["outputFiles"]) == {"report.csv", "out/copy.txt", "extra.txt"}
    assert outputs["outputFiles"]["report.csv"].startswith("kestra://")
    assert (
        ctx.stored["out/copy.txt"] == b"from agent" and ctx.stored["report.csv"] == "olá\n".encode()
    )


async def test_non_zero_exit_fails_with_stderr_tail_and_keeps_vars():
    props = {
        "taskRunner": PROCESS,
        "commands": [
            'echo \'::{"outputs":{"partial":true}}::\'',
            "echo 'bad thing' >&2",
            "exit 3",
            "echo never",
        ],
    }
    with pytest.raises(TaskFailed) as err:
        await run("io.kestra.plugin.scripts.shell.Commands", props)
    assert str(err.value) == "Command failed with exit code 3: bad thing"
    assert err.value.outputs == {"exitCode": 3, "vars": {"partial": True}}


async def test_fail_fast_stops_at_the_first_failing_command():
    props = {"taskRunner": PROCESS, "commands": ["false", "echo after"]}
    with pytest.raises(TaskFailed, match="exit code 1"):
        await run("io.kestra.plugin.scripts.shell.Commands", props)
    outputs, ctx = await run(
        "io.kestra.plugin.scripts.shell.Commands", {**props, "failFast": False}
    )
    assert outputs["exitCode"] == 0 and ("INFO", "after") in ctx.logs


async def test_python_commands_with_namespace_files():
    ctx = FakeContext(files={"main.py": b"print('from namespace file')", "skip.txt": b"x"})
    props = {
        "taskRunner": PROCESS,
        "namespaceFiles": {"enabled": True, "include": ["*.py"]},
        "commands": ["python main.py", "test ! -e skip.txt"],
    }
    outputs, ctx = await run("io.kestra.plugin.scripts.python.Commands", props, ctx)
    assert ("INFO", "from namespace file") in ctx.logs


async def test_missing_or_docker_runner_warns_and_runs_as_process():
    outputs, ctx = await run("io.kestra.plugin.scripts.shell.Script", {"script": "echo hi"})
    assert outputs["exitCode"] == 0 and ("INFO", "hi") in ctx.logs
    assert any(level == "WARN" and "local processes" in message for level, message in ctx.logs)
    docker = {"type": "io.kestra.plugin.scripts.runner.docker.Docker"}
    _, ctx = await run(
        "io.kestra.plugin.scripts.shell.Script", {"script": "echo hi", "taskRunner": docker}
    )
    assert any(
        "io.kestra.plugin.scripts.runner.docker.Docker" in message for _, message in ctx.logs
    )


async def test_unsupported_runner_and_bad_paths_fail_clearly():
    with pytest.raises(TaskFailed, match="not supported by the embedded engine"):
        await run(
            "io.kestra.plugin.scripts.shell.Commands",
            {
                "commands": ["true"],
                "taskRunner": {"type": "io.kestra.plugin.ee.kubernetes.runner.Kubernetes"},
            },
        )
    with pytest.raises(TaskFailed, match="only relative path"):
        await run(
            "io.kestra.plugin.scripts.shell.Commands",
            {"commands": ["true"], "taskRunner": PROCESS, "inputFiles": {"/etc/x": "y"}},
        )


async def test_cancellation_kills_the_process():
    task = asyncio.create_task(
        run(
            "io.kestra.plugin.scripts.shell.Commands",
            {"taskRunner": PROCESS, "commands": ["sleep 30"]},
        )
    )
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)


def test_registered_types_and_properties():
    for name in (
        "io.kestra.plugin.scripts.python.Script",
        "io.kestra.plugin.scripts.python.Commands",
        "io.kestra.plugin.scripts.shell.Commands",
        "io.kestra.plugin.scripts.shell.Script",
    ):
        cls = REGISTRY[name]
        assert {"beforeCommands", "env", "inputFiles", "outputFiles", "taskRunner"} <= set(
            cls.PROPERTIES
        )
    assert REGISTRY["io.kestra.plugin.scripts.python.Script"].PROPERTIES["script"].required


async def test_commands_from_an_expression_rendering_a_list():
    outputs, ctx = await run(
        "io.kestra.plugin.scripts.shell.Commands",
        {"taskRunner": PROCESS, "commands": "{{ steps }}"},
        FakeContext({"steps": ["echo one", "echo two"]}),
    )
    assert [m for level, m in ctx.logs if level == "INFO"] == ["one", "two"]
