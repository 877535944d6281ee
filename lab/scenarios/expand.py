"""Data-driven expansion: one test case per row of `vars` × each combination of listed utterances."""

from __future__ import annotations

import itertools
import re
from dataclasses import fields, replace
from typing import Any

from lab.scenarios.model import Expect, Scenario, ScenarioCase, Step

_VAR = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def expand(scenario: Scenario) -> list[ScenarioCase]:
    """One case per row of `vars` × each combination of listed utterances."""
    rows = scenario.vars or [{}]
    choice_steps = [s for s in scenario.steps if s.action == "user" and isinstance(s.value, list)]
    combos = list(itertools.product(*[list(enumerate(s.value)) for s in choice_steps])) or [()]
    cases = []
    for r, row in enumerate(rows):
        for combo in combos:
            chosen = {s.index: u for s, (_, u) in zip(choice_steps, combo)}
            parts = []
            if scenario.vars:
                # the first column names the row (the rest is usually the expectation)
                parts.append(_slug(str(next(iter(row.values())))) if row else f"row{r + 1}")
            parts += [_slug(u) for _, u in combo]
            steps = [_substitute_step(s, chosen.get(s.index, s.value), row) for s in scenario.steps]
            cases.append(
                ScenarioCase(
                    scenario=scenario, case_id="-".join(parts), steps=steps, variables=dict(row)
                )
            )
    # identical ids (same utterance twice) get a number so pytest sees distinct items
    seen: dict[str, int] = {}
    for c in cases:
        n = seen[c.case_id] = seen.get(c.case_id, 0) + 1
        if n > 1:
            c.case_id = f"{c.case_id}-{n}"
    return cases


def _slug(text: str) -> str:
    s = re.sub(r"[^\w]+", "_", text.strip(), flags=re.UNICODE).strip("_")
    return s[:40] or "blank"


def _substitute_step(step: Step, value: Any, row: dict[str, Any]) -> Step:
    if not row:
        return Step(step.index, step.line, step.action, value, step.expect, step.fixtures)
    return Step(
        step.index,
        step.line,
        step.action,
        substitute(value, row),
        substitute_expect(step.expect, row),
        step.fixtures,
    )


def substitute(value: Any, row: dict[str, Any]) -> Any:
    """Replace `{{ name }}` in every string of value with the row's values."""
    if isinstance(value, str):
        return _VAR.sub(lambda m: str(row.get(m.group(1), m.group(0))), value)
    if isinstance(value, list):
        return [substitute(v, row) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, row) for k, v in value.items()}
    return value


def substitute_expect(expect: Expect | None, row: dict[str, Any]) -> Expect | None:
    if expect is None:
        return None

    changes = {
        f.name: substitute(getattr(expect, f.name), row)
        for f in fields(expect)
        if f.name in ("text", "contains", "matches", "buttons", "rows", "template")
    }
    if expect.replies:
        changes["replies"] = [
            replace(r, **{f.name: substitute(getattr(r, f.name), row) for f in fields(r)})
            for r in expect.replies
        ]
    return replace(expect, **changes)
