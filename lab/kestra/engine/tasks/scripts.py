"""Script tasks (io.kestra.plugin.scripts.python / shell) run with Kestra's Process task runner.

Like Kestra: commands run through `/bin/sh -c` (with `set -e` when failFast) in a fresh working
directory, with the task's `env` and what a process needs (PATH, HOME, LANG, temp dir) but none of
the lab's own environment, killed with their whole process group at the task's `timeout`; stdout
lines log at INFO and stderr lines at ERROR; a line `::{"outputs": {...}}::` sets
`outputs.<task>.vars`, `::{"metrics": [...]}::` publishes metrics, `::{"logs": [...]}::` logs;
`outputFiles` globs and everything written to `{{ outputDir }}` are stored in internal storage;
a non-zero exit code fails the task run with the end of stderr. `python` (and `python3`) is the lab's
own interpreter, where Kestra's `kestra` package is installed as in Kestra's Python images, so
`Kestra.outputs/counter/timer/gauge/logger/assets` and `Flow` work unchanged; `executionContext:
true` writes `.kestra-execution-context.json` for the package's `context`, as Kestra does.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import os
import re
import shlex
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from lab.kestra.engine.tasks.base import Prop, RunnableTask, TaskFailed, register

PROCESS = "io.kestra.plugin.core.runner.Process"
DOCKER_RUNNERS = (
    "io.kestra.plugin.scripts.runner.docker.Docker",
    "io.kestra.plugin.core.runner.Docker",
)
_PROTOCOL = re.compile(r"^::(\{.*\})::$")
_DIR_VARS = re.compile(r"\{\{\s*(workingDir|outputDir)\s*\}\}")
_LOG_LEVELS = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR"}
STDERR_TAIL_LINES = 10

# The file Kestra writes in the working directory with `executionContext: true`, which the `kestra`
# package's `context` reads; reserved: never collected as an output file.
CONTEXT_FILE = ".kestra-execution-context.json"
# Variables left out of the context file, as Kestra leaves them (they reach scripts as environment).
_NOT_IN_CONTEXT = ("envs", "globals", "tasks", "kestra", "parents", "parent")

COMMON_PROPS = {
    "beforeCommands": Prop("list"),
    "interpreter": Prop("list"),
    "env": Prop("map"),
    "inputFiles": Prop("any"),
    "outputFiles": Prop("list"),
    "namespaceFiles": Prop("map"),
    "taskRunner": Prop("map"),
    "containerImage": Prop("string"),
    "docker": Prop("map"),
    "runner": Prop("string"),
    "failFast": Prop("bool"),
    "warningOnStdErr": Prop("bool"),
    "targetOS": Prop("string"),
    "dependencies": Prop("list"),
    "dependencyCacheEnabled": Prop("bool"),
    "pythonVersion": Prop("string"),
    "description": Prop("string"),
    "outputDirectory": Prop("bool"),
    "executionContext": Prop("bool"),
}


class _ScriptTask(RunnableTask):
    """Shared Process-runner behaviour; subclasses say how the main commands are built."""

    LANGUAGE = "shell"

    def main_commands(
        self, ctx: Any, props: dict[str, Any], workdir: Path, render: Any
    ) -> list[str]:
        raise NotImplementedError

    async def run(self, ctx: Any, props: dict[str, Any]) -> dict[str, Any]:
        self._check_runner(ctx, props)
        workdir = Path(ctx.workdir())
        try:
            return await self._run_in(ctx, props, workdir)
        finally:
            shutil.rmtree(
                workdir, ignore_errors=True
            )  # Kestra deletes the working directory after the run

    async def _run_in(self, ctx: Any, props: dict[str, Any], workdir: Path) -> dict[str, Any]:
        outdir = (
            workdir / "_outputs"
        )  # Kestra's {{ outputDir }}: every file in it becomes an output file
        outdir.mkdir(parents=True, exist_ok=True)

        def render(value: Any) -> str:
            if isinstance(value, str):
                value = _DIR_VARS.sub(
                    lambda m: str(workdir if m.group(1) == "workingDir" else outdir), value
                )
            return ctx.render_str(value)

        await self._input_files(ctx, props, workdir, render)
        if props.get("dependencies"):
            ctx.log(
                "WARN",
                f"dependencies {props['dependencies']} are not installed by the embedded engine: "
                "install them in the Python environment the lab runs scripts with",
            )
        before = _command_list(ctx, props.get("beforeCommands"), render)
        commands = before + self.main_commands(ctx, props, workdir, render)
        fail_fast = props.get("failFast", True) not in (False, "false")
        interpreter = [render(p) for p in _as_list(props.get("interpreter"))] or ["/bin/sh", "-c"]
        body = ("set -e\n" if fail_fast and interpreter[0].endswith("sh") else "") + "\n".join(
            commands
        )
        env = self._env(ctx, props, workdir, outdir, render)
        context_file = workdir / CONTEXT_FILE
        if props.get("executionContext") in (True, "true"):
            context_file.write_text(execution_context(ctx))
        try:
            exit_code, vars_, stderr_tail = await _execute(ctx, interpreter + [body], workdir, env)
        finally:
            context_file.unlink(missing_ok=True)  # a later task never inherits this task's context
        outputs: dict[str, Any] = {"exitCode": exit_code, "vars": vars_}
        if exit_code != 0:
            tail = "\n".join(stderr_tail)
            raise TaskFailed(
                f"Command failed with exit code {exit_code}" + (f": {tail}" if tail else ""),
                outputs,
            )
        files = self._output_files(ctx, props, workdir, outdir, render)
        if files:
            outputs["outputFiles"] = files
        return outputs

    def _check_runner(self, ctx: Any, props: dict[str, Any]) -> None:
        runner = props.get("taskRunner")
        kind = runner.get("type") if isinstance(runner, dict) else None
        legacy = str(props.get("runner") or "").upper()
        if kind == PROCESS or (kind is None and legacy == "PROCESS"):
            return
        if kind is None or kind in DOCKER_RUNNERS:
            where = (
                "no taskRunner (Kestra's default is Docker)"
                if kind is None
                else f"taskRunner {kind}"
            )
            ctx.log(
                "WARN",
                f"{where}: the embedded engine runs scripts as local processes "
                f"(as taskRunner type {PROCESS}); containerImage is ignored",
            )
            return
        raise TaskFailed(
            f"taskRunner {kind} is not supported by the embedded engine; use type {PROCESS} "
            "or run this flow on a real Kestra"
        )

    async def _input_files(
        self, ctx: Any, props: dict[str, Any], workdir: Path, render: Any
    ) -> None:
        files = props.get("inputFiles")
        if isinstance(files, str):
            try:
                files = json.loads(render(files))
            except ValueError:
                raise TaskFailed(
                    "inputFiles must be a map of file name to content (or a JSON object string)"
                ) from None
        if files is None:
            files = {}
        if not isinstance(files, dict):
            raise TaskFailed("inputFiles must be a map of file name to content")
        ns_files = props.get("namespaceFiles") or {}
        if ns_files.get("enabled") in (True, "true"):
            self._namespace_files(ctx, ns_files, workdir)
        for name, content in files.items():
            if content is None:
                continue
            rel = _relative(render(name), "inputFiles")
            target = workdir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            text = render(content)
            if text.startswith(("kestra://", "nsfile://")):
                data = ctx.read_file(
                    text.removeprefix("nsfile://") if text.startswith("nsfile://") else text
                )
                target.write_bytes(data if isinstance(data, bytes) else str(data).encode())
            else:
                target.write_text(text)

    def _namespace_files(self, ctx: Any, spec: dict[str, Any], workdir: Path) -> None:
        """Copy the flow namespace's files (filtered by include/exclude globs) into the working directory."""
        lister = getattr(ctx, "list_files", None)
        if lister is None:
            raise TaskFailed(
                "namespaceFiles is not available in this engine context; list the files in "
                "inputFiles with \"{{ read('path') }}\" or run this flow on a real Kestra"
            )
        include = [str(p) for p in _as_list(spec.get("include"))] or ["**"]
        exclude = [str(p) for p in _as_list(spec.get("exclude"))]
        for name in lister():
            rel = name.lstrip("/")
            if any(fnmatch.fnmatch(rel, p) for p in include) and not any(
                fnmatch.fnmatch(rel, p) for p in exclude
            ):
                target = workdir / _relative(rel, "namespaceFiles")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(ctx.read_file(name))

    def _env(
        self, ctx: Any, props: dict[str, Any], workdir: Path, outdir: Path, render: Any
    ) -> dict[str, str]:
        env = process_environment()
        env["PYTHONUNBUFFERED"] = (
            "1"  # stdout lines arrive as they are printed, like Kestra's log stream
        )
        env["WORKING_DIR"], env["OUTPUT_DIR"] = str(workdir), str(outdir)
        # `python` is the lab's own interpreter, where Kestra's `kestra` package is installed (as it is
        # in Kestra's Python images): `from kestra import Kestra, Flow, context` works unchanged.
        bin_dir = workdir / ".kestra-bin"
        bin_dir.mkdir(exist_ok=True)
        for name in ("python", "python3"):
            launcher = bin_dir / name
            launcher.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n')
            launcher.chmod(0o755)
        env["PATH"] = os.pathsep.join([str(bin_dir), env.get("PATH", "")])
        for key, value in (props.get("env") or {}).items():
            env[str(render(key))] = render(value)
        return env

    def _output_files(
        self, ctx: Any, props: dict[str, Any], workdir: Path, outdir: Path, render: Any
    ) -> dict[str, str]:
        found: dict[str, Path] = {}
        for pattern in _as_list(props.get("outputFiles")):
            glob = _relative(render(pattern), "outputFiles")
            for path in sorted(workdir.glob(glob)):
                if path.is_file() and not _hidden(path.relative_to(workdir)):
                    found[path.relative_to(workdir).as_posix()] = path
        for path in sorted(outdir.rglob("*")):
            if path.is_file():
                found.setdefault(path.relative_to(outdir).as_posix(), path)
        return {name: ctx.store_file(name, path.read_bytes()) for name, path in found.items()}


# What a process needs to run, from the lab's environment; nothing else of it reaches a script (no
# OPENAI_API_KEY, no WALAB_* secret): like Kestra's Process runner on a worker that holds no secrets,
# a script sees the task's `env` (the flow's `pluginDefaults` included) and these.
PROCESS_ENV = (
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "TMPDIR",
    "USER",
    "LOGNAME",
    "SHELL",
    "TERM",
    "VIRTUAL_ENV",
    "SYSTEMROOT",
)


def process_environment() -> dict[str, str]:
    """The environment a script starts from: PATH, HOME, LANG, the temp dir and the like, only."""
    env = {name: os.environ[name] for name in PROCESS_ENV if name in os.environ}
    env.setdefault("PATH", os.defpath)
    env.setdefault("HOME", str(Path.home()))
    env.setdefault("LANG", "C.UTF-8")
    env.setdefault("TMPDIR", tempfile.gettempdir())
    return env


async def _execute(
    ctx: Any, argv: list[str], workdir: Path, env: dict[str, str]
) -> tuple[int, dict, list[str]]:
    """Run the process, streaming its lines to the task run's logs; returns (exit code, vars, stderr tail)."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=str(workdir),
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    vars_: dict[str, Any] = {}
    tail: list[str] = []

    async def pump(stream: asyncio.StreamReader, is_stderr: bool) -> None:
        while True:
            raw = await stream.readline()
            if not raw:
                return
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if _protocol(ctx, line, vars_):
                continue
            if is_stderr:
                tail.append(line)
                del tail[:-STDERR_TAIL_LINES]
            ctx.log("ERROR" if is_stderr else "INFO", line)

    try:
        await asyncio.gather(pump(proc.stdout, False), pump(proc.stderr, True))
        code = await proc.wait()
    except asyncio.CancelledError:  # timeout or kill: the process must not outlive its task run
        _kill(proc)
        await proc.wait()
        raise
    return code, vars_, tail


def _kill(proc: asyncio.subprocess.Process) -> None:
    try:
        os.killpg(proc.pid, 9)
    except (ProcessLookupError, PermissionError):
        try:
            proc.kill()
        except ProcessLookupError:
            pass


def _protocol(ctx: Any, line: str, vars_: dict[str, Any]) -> bool:
    """Handle a `::{...}::` line (outputs, metrics, logs); False when the line is ordinary output."""
    m = _PROTOCOL.match(line.strip())
    if not m:
        return False
    try:
        data = json.loads(m.group(1))
    except ValueError as exc:
        ctx.log("WARN", f"Invalid outputs '{exc}'")
        return True
    if not isinstance(data, dict):
        return False
    vars_.update(data.get("outputs") or {})
    publish = getattr(ctx, "metric", None)
    for metric in data.get("metrics") or []:
        if publish is not None and isinstance(metric, dict):
            try:  # a timer's value is in seconds, as Kestra's helpers send it
                publish(
                    str(metric.get("name")),
                    str(metric.get("type", "counter")),
                    metric.get("value"),
                    metric.get("tags") or {},
                )
            except ValueError as exc:  # MetricInvalid: the script's mistake, reported, not fatal
                ctx.log("WARN", f"Invalid metric: {exc}")
    for entry in data.get("logs") or []:
        if isinstance(entry, dict):
            level = str(entry.get("level", "INFO")).upper().replace("WARNING", "WARN")
            ctx.log(level if level in _LOG_LEVELS else "INFO", str(entry.get("message", "")))
    return True


def _command_list(ctx: Any, value: Any, render: Any) -> list[str]:
    """Commands as a YAML list, or one expression that renders to a list (a dynamic property)."""
    if isinstance(value, str) and value.strip().startswith("{{"):
        typed = ctx.render_typed(value)
        if isinstance(typed, list):
            return [str(c) for c in typed]
    return [render(c) for c in _as_list(value)]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _relative(name: str, what: str) -> str:
    if name.startswith(("/", "./", "..")) or "/../" in name:
        raise TaskFailed(f"Invalid {what} (only relative path is supported) for path '{name}'")
    return name


def _hidden(rel: Path) -> bool:
    return rel.parts[0] in (".kestra-bin", "_outputs", CONTEXT_FILE)


def execution_context(ctx: Any) -> str:
    """The execution context file's JSON: what the task could render (inputs, outputs, labels, vars,
    trigger, flow, execution, task, taskrun), without `envs` and `globals`."""
    data = {k: v for k, v in ctx.variables.items() if k not in _NOT_IN_CONTEXT}
    return json.dumps(data, default=str, ensure_ascii=False)


class _CommandsTask(_ScriptTask):
    """A Commands task: the main commands are the rendered `commands` list."""

    PROPERTIES = {**COMMON_PROPS, "commands": Prop("list", required=True)}

    def main_commands(
        self, ctx: Any, props: dict[str, Any], workdir: Path, render: Any
    ) -> list[str]:
        return _command_list(ctx, props.get("commands"), render)


class _InlineScriptTask(_ScriptTask):
    """A Script task: the rendered `script` is written to a file in the working directory and run
    with `INTERPRETER`."""

    PROPERTIES = {**COMMON_PROPS, "script": Prop("string", required=True)}
    SUFFIX = ".sh"
    INTERPRETER = "/bin/sh"

    def main_commands(
        self, ctx: Any, props: dict[str, Any], workdir: Path, render: Any
    ) -> list[str]:
        path = workdir / f".kestra-script{self.SUFFIX}"
        path.write_text(render(props.get("script")))
        return [f"{self.INTERPRETER} {path}"]


@register
class ShellCommands(_CommandsTask):
    """io.kestra.plugin.scripts.shell.Commands: run `commands` with the interpreter."""

    TYPE = "io.kestra.plugin.scripts.shell.Commands"
    ALIASES = ("io.kestra.core.tasks.scripts.Bash", "io.kestra.plugin.scripts.shell.Command")


@register
class ShellScript(_InlineScriptTask):
    """io.kestra.plugin.scripts.shell.Script: an inline shell script run with `/bin/sh`."""

    TYPE = "io.kestra.plugin.scripts.shell.Script"


@register
class PythonCommands(_CommandsTask):
    """io.kestra.plugin.scripts.python.Commands: shell commands, usually `python file.py`."""

    TYPE = "io.kestra.plugin.scripts.python.Commands"


@register
class PythonScript(_InlineScriptTask):
    """io.kestra.plugin.scripts.python.Script: an inline Python script run with `python`."""

    TYPE = "io.kestra.plugin.scripts.python.Script"
    SUFFIX = ".py"
    INTERPRETER = "python"
