"""Task fixtures, as Kestra's TaskFixture defines them: a task run whose id (and, inside a loop,
value) a fixture names is not executed; it ends in the fixture's state (SUCCESS by default)
with the fixture's outputs (none: the task is simply skipped). Plus trigger, input and file
fixtures, applied where the execution starts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab import yamlio
from lab.errors import ConfigError
from lab.kestra.engine import states as S

STATES = (
    S.SUCCESS,
    S.FAILED,
    S.WARNING,
    S.SKIPPED,
    "KILLED",
    "CANCELLED",
    "RUNNING",
    "CREATED",
    "PAUSED",
)


@dataclass(frozen=True, slots=True)
class TaskFixture:
    """Kestra's TaskFixture: `id`, `value` (one iteration), `state`, `outputs`, `description`."""

    id: str
    value: str | None = None
    state: str = S.SUCCESS
    outputs: dict[str, Any] | None = None
    description: str | None = None

    def matches(self, task_id: str, value: Any) -> bool:
        return self.id == task_id and (
            self.value is None or self.value == (None if value is None else str(value))
        )


@dataclass(slots=True)
class Fixtures:
    """Every fixture of one execution (a unit test case, a scenario, --fixtures FILE)."""

    tasks: list[TaskFixture] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    trigger: dict[str, Any] | None = None  # {id, type, variables}

    def for_task(self, task_id: str, value: Any = None) -> TaskFixture | None:
        return next((f for f in self.tasks if f.matches(task_id, value)), None)

    def __bool__(self) -> bool:
        return bool(self.tasks or self.inputs or self.files or self.trigger)


class FixtureError(ValueError):
    """A fixture that is not shaped as Kestra's (says where and what is expected)."""


def parse_fixtures(data: Any, where: str = "fixtures") -> Fixtures:
    """Kestra's `fixtures` block ({tasks, inputs, files, trigger}); a list is read as `tasks`."""
    if data is None:
        return Fixtures()
    if isinstance(data, list):
        data = {"tasks": data}
    if not isinstance(data, dict):
        raise FixtureError(f"{where} must be a mapping with tasks, inputs, files or trigger")
    unknown = set(data) - {"tasks", "inputs", "files", "trigger"}
    if unknown:
        raise FixtureError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}; expected tasks, inputs, files, "
            f"trigger"
        )
    tasks = []
    for i, raw in enumerate(data.get("tasks") or []):
        at = f"{where}.tasks[{i}]"
        if not isinstance(raw, dict) or not raw.get("id"):
            raise FixtureError(f"{at} needs an `id` (the task it stands in for)")
        extra = set(raw) - {"id", "value", "state", "outputs", "description"}
        if extra:
            raise FixtureError(
                f"{at}: unknown key(s) {', '.join(sorted(extra))}; expected id, value, state, outputs, "
                f"description"
            )
        state = str(raw.get("state") or S.SUCCESS).upper()
        if state not in STATES:
            raise FixtureError(
                f"{at}: state {raw.get('state')!r} is not a Kestra state ({', '.join(STATES)})"
            )
        outputs = raw.get("outputs")
        if outputs is not None and not isinstance(outputs, dict):
            raise FixtureError(f"{at}: outputs must be a mapping of output name to value")
        tasks.append(
            TaskFixture(
                str(raw["id"]),
                None if raw.get("value") is None else str(raw["value"]),
                state,
                outputs,
                raw.get("description"),
            )
        )
    inputs = data.get("inputs") or {}
    files = data.get("files") or {}
    trigger = data.get("trigger")
    for name, value, kind in (("inputs", inputs, dict), ("files", files, dict)):
        if not isinstance(value, kind):
            raise FixtureError(f"{where}.{name} must be a mapping")
    if trigger is not None and not isinstance(trigger, dict):
        raise FixtureError(f"{where}.trigger must be a mapping with id, type and variables")
    return Fixtures(tasks, dict(inputs), {str(k): str(v) for k, v in files.items()}, trigger)


def load_fixtures(path: str | Path) -> Fixtures:
    """A fixtures file: Kestra's `fixtures` block ({tasks, inputs, files, trigger}), a list of task
    fixtures, or any YAML with a top-level `fixtures:` (a scenario, a test case); ConfigError (exit
    2) naming the file when it is not one."""
    data = yamlio.load(path)
    if isinstance(data, dict) and "fixtures" in data:
        data = data["fixtures"]
    try:
        return parse_fixtures(data, where=str(path))
    except FixtureError as exc:
        raise ConfigError(
            str(exc),
            where=str(path),
            fix="write Kestra's fixtures: tasks: [{id, value, state, "
            "outputs, description}], inputs, files, trigger",
        ) from None


def missing_fixture(task_id: str, type_name: str) -> str:
    """Why a real Kestra task the engine does not run failed, and the fixture to write."""
    # The catalogue's reader and checks are imported here, when such a task is met: every engine
    # (walab send, the TUI) imports this module, and most never need them.
    from lab.kestra.catalogue.reader import catalogue

    # cycle: lab.kestra.engine.type_verdict imports this module (via lab.kestra.engine.engine)
    from lab.kestra.engine.type_verdict import fixture_skeleton

    return (
        f"Task `{task_id}` ({type_name}) runs on real Kestra; the embedded engine stands in for it only with a "
        f"fixture, and none was given: write one in the scenario, --fixtures FILE or the test case: "
        f"fixtures: {fixture_skeleton(catalogue(), task_id, type_name)}"
    )
