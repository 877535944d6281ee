"""Where a replay differs from production, turn by turn: the regression to look at.

For each imported message, production's execution is set beside the replay's: the execution's
state, each task run's state (a task that ran on one side only too), the outputs of the tasks that
ran again (the flow's own logic and the model's answers; fixtures stood in for the others), and the
replies: which tasks sent to the Graph API. Values that differ on every run (execution and message
ids, dates, file URIs, durations) are left out of the comparison.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lab.conversation.model import Turn
from lab.importer.tasks import LAB, MODEL, OUTSIDE, FlowTasks
from lab.kestra.shapes import Execution

_VOLATILE_KEYS = {
    "requestDuration",
    "tokenUsage",
    "headers",
    "duration",
    "executionId",
    "taskRunId",
    "finishReason",
}
_VOLATILE = [
    (re.compile(r"wamid\.[\w=+/-]+"), "<wamid>"),
    (re.compile(r"kestra:///\S+"), "<file>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?"), "<date>"),
    (re.compile(r"(?<!\d)1\d{9}(\d{3})?(?!\d)"), "<time>"),
    (
        re.compile(
            r"(?<![\w-])(?=[0-9A-Za-z]*\d)(?=[0-9A-Za-z]*[A-Za-z])[0-9A-Za-z]{20,24}(?![\w-])"
        ),
        "<id>",
    ),
]


@dataclass(frozen=True, slots=True)
class Difference:
    """One place where the replay differs: `kind` is state, task, output or reply."""

    step: int  # the scenario step (0-based) of the message
    kind: str
    where: str
    production: Any
    replay: Any

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "kind": self.kind,
            "where": self.where,
            "production": self.production,
            "replay": self.replay,
        }


def differences(
    step: int, production: Execution, turn: Turn | None, tasks: FlowTasks
) -> list[Difference]:
    """How the replay's turn differs from production's execution of the same message."""
    if turn is None or not turn.executions:
        state = turn.verdict if turn is not None else "not played"
        return [Difference(step, "state", "execution", production.state.current, state)]
    replay = turn.executions[0]
    found: list[Difference] = []
    if production.state.current != replay.state:
        found.append(Difference(step, "state", "execution", production.state.current, replay.state))
    prod_runs = {(r.task_id, _text(r.value)): r for r in production.task_runs}
    replay_runs = {(r.task_id, _text(r.value)): r for r in replay.task_runs}
    for key in list(dict.fromkeys([*prod_runs, *replay_runs])):
        where = key[0] if key[1] is None else f"{key[0]}[{key[1]}]"
        mine, theirs = prod_runs.get(key), replay_runs.get(key)
        p_state = mine.state.current if mine else "did not run"
        r_state = theirs.state if theirs else "did not run"
        kind = tasks.kind(key[0])
        if p_state != r_state:
            found.append(
                Difference(step, "reply" if kind == LAB else "task", where, p_state, r_state)
            )
            continue
        if mine is None or theirs is None or kind in (LAB, OUTSIDE):
            continue
        p_out, r_out = (
            comparable(mine.outputs, production.id),
            comparable(theirs.outputs, replay.id),
        )
        if kind == MODEL:
            p_out, r_out = _answer(p_out), _answer(r_out)
        if p_out != r_out:
            found.append(Difference(step, "output", where, p_out, r_out))
    return found


def comparable(value: Any, execution_id: str = "") -> Any:
    """The value with what changes on every run replaced by a placeholder."""
    if isinstance(value, dict):
        return {k: comparable(v, execution_id) for k, v in value.items() if k not in _VOLATILE_KEYS}
    if isinstance(value, list):
        return [comparable(v, execution_id) for v in value]
    if isinstance(value, str):
        if execution_id:
            value = value.replace(execution_id, "<execution>")
        for pattern, placeholder in _VOLATILE:
            value = pattern.sub(placeholder, value)
    return value


def _answer(out: Any) -> Any:
    if not isinstance(out, dict):
        return out
    return {k: out[k] for k in ("textOutput", "jsonOutput", "toolExecutions") if k in out}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
