"""Scenario files as pytest collectors and scenario cases as syrupy-aware test items.

Each case is a `pytest.Function` (syrupy only tracks functions, and only tracked items get unused
snapshot detection) whose body plays the case, checks its expectations and compares its
transcript with the snapshot beside the scenario (`__snapshots__/<file>/<case>.yaml`).
"""

from __future__ import annotations

import difflib
import re
from typing import Any

import pytest

from lab.errors import LabError
from lab.scenarios.assertions import describe_failures
from lab.scenarios.loader import expand, load_scenario
from lab.scenarios.snapshot import extension_for, render


class ScenarioFailure(AssertionError):
    """A scenario case failed: the message is the whole readable report."""


class ScenarioFile(pytest.File):
    """One scenario file; yields one item per expanded case."""

    def collect(self) -> Any:
        scenario = load_scenario(self.path)
        for case in expand(scenario):
            yield ScenarioItem.from_parent(
                self, name=case.test_name, callobj=_make_test(case), case=case
            )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, LabError):
            return f"scenario file {self.path.name} cannot be loaded:\n{excinfo.value.render()}"
        return super().repr_failure(excinfo)


class ScenarioItem(pytest.Function):
    """One scenario case as a test."""

    def __init__(self, *args: Any, case: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case = case

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, ScenarioFailure):
            return str(excinfo.value)
        if isinstance(excinfo.value, LabError):
            return f"scenario {self.case.test_name} ({self.path.name}) could not run:\n{excinfo.value.render()}"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, 0, f"scenario {self.name}"


def _make_test(case: Any) -> Any:
    def scenario_test(snapshot: Any, walab_player: Any) -> None:
        run_case(case, snapshot, walab_player)

    scenario_test.__name__ = "scenario_test"
    return scenario_test


def run_case(case: Any, snapshot: Any, play: Any) -> None:
    """Play a case, compare its transcript with the snapshot, raise a readable ScenarioFailure."""

    playback = play(case)
    scenario = case.scenario
    secrets = getattr(playback, "secrets", None)
    text = render(
        playback.transcript,
        title=case.test_name,
        secrets=secrets,
        redaction=getattr(playback, "redaction", None),
    )
    assertion = snapshot(
        extension_class=extension_for(scenario.tolerance.tokens, scenario.tolerance.cost)
    )
    matched = assertion == text
    problems: list[str] = []
    if playback.runs > 1:
        problems.append(
            f"live repeat: {playback.passed_runs} of {playback.runs} runs passed, "
            f"{scenario.llm.pass_if} needed"
            if not playback.passed
            else ""
        )

    problems += describe_failures(playback.failures, playback.transcript.turns)
    if playback.error:  # the step that could not run comes after the checks of the steps before it
        problems.append(playback.error)
    if not matched:
        old = assertion.executions[assertion.num_executions - 1].recalled_data
        problems.append(_snapshot_problem(old, text, playback))
    problems = [p for p in problems if p]
    if problems and not (playback.runs > 1 and playback.passed and matched):
        head = f"scenario {case.test_name} ({scenario.path.name}) failed:"
        raise ScenarioFailure("\n".join([head, *(f"  {p}" for p in problems)]))


def _snapshot_problem(old: str | None, new: str, playback: Any) -> str:
    if old is None:
        return (
            "no snapshot of this transcript yet\n    fix: run `pytest --snapshot-update` (or `walab test "
            "--snapshot-update`) and review the new file"
        )
    old_lines, new_lines = str(old).splitlines(), new.splitlines()
    diff = list(
        difflib.unified_diff(old_lines, new_lines, "snapshot", "this run", n=2, lineterm="")
    )
    first = next(
        (i for i, (a, b) in enumerate(zip(old_lines, new_lines)) if a != b),
        min(len(old_lines), len(new_lines)),
    )
    turn = None
    for line in new_lines[: first + 1]:
        m = re.match(r"- turn: (\d+)$", line)
        if m:
            turn = int(m.group(1))
    where = ""
    if turn is not None:
        step = getattr(playback, "turn_steps", {}).get(turn)
        where = f" (first difference in turn {turn}" + (f", step {step}" if step else "") + ")"
    shown = diff[:80] + (["    … (diff truncated)"] if len(diff) > 80 else [])
    return (
        f"transcript differs from the snapshot{where}:\n"
        + "\n".join(f"    {d}" for d in shown)
        + "\n    fix: if the change is intended, run with --snapshot-update and review the diff"
    )
