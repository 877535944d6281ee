"""The scenario step `simulate: {persona, goal, max_turns, stop_when}`.

Fixed steps may come before it (the persona starts mid-conversation, as the same contact) and after
it (they continue where the persona stopped; an `expect:` on the step checks its last turn). Every
turn the persona causes is checked as the persona's own (`runner.policy_checks`), and the rubric's
verdict is one more check of the step.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from lab.errors import ConfigError
from lab.scenarios.assertions import Check
from lab.simulate.persona import STOP_REASONS, find_persona, load_persona, stop_reasons
from lab.simulate.runner import simulate

SIMULATE = "simulate"
SHAPE = "{persona: NAME, goal: ..., max_turns: 6, stop_when: [goal_reached, gave_up]}"
KEYS = {"persona", "goal", "max_turns", "stop_when"}


@dataclasses.dataclass(frozen=True, slots=True)
class SimulateStep:
    persona: str
    goal: str | None = None
    max_turns: int | None = None
    stop_when: tuple[str, ...] | None = None


def simulate_step(value: Any) -> SimulateStep:
    """The step's value, validated (a ConfigError says the shape)."""
    if isinstance(value, str):
        value = {"persona": value}
    if (
        not isinstance(value, dict)
        or not isinstance(value.get("persona"), str)
        or set(value) - KEYS
    ):
        raise ConfigError(f"simulate: unexpected value {value!r}", fix=f"expected {SHAPE}")
    turns = value.get("max_turns")
    if turns is not None and (
        isinstance(turns, bool) or not isinstance(turns, int) or not 1 <= turns <= 1000
    ):
        raise ConfigError(
            f"simulate: max_turns {turns!r} is not a whole number from 1 to 1000",
            fix=f"expected {SHAPE}",
        )
    goal = value.get("goal")
    if goal is not None and not isinstance(goal, str):
        raise ConfigError("simulate: goal must be text", fix=f"expected {SHAPE}")
    stops = None
    if value.get("stop_when") is not None:

        def wrong(what: str, expected: str) -> ConfigError:
            return ConfigError(f"simulate: {what}", fix=f"expected {expected}")

        stops = stop_reasons(value["stop_when"], wrong)
    return SimulateStep(value["persona"], goal, turns, stops)


async def play_simulate_step(
    lab: Any, step: Any, wa_id: str, scenario_path: Path
) -> tuple[list[Any], Any]:
    """Play the step on the scenario's lab as `wa_id`: (checks, the last turn or None)."""
    # cycle: lab.scenarios.player imports this module
    from lab.scenarios.player import project_dir_of

    spec = simulate_step(step.value)
    persona = load_persona(find_persona(spec.persona, project_dir_of(scenario_path)))
    if spec.goal:
        persona = dataclasses.replace(persona, goal=spec.goal)
    conv = await simulate(
        lab, persona, wa_id, max_turns=spec.max_turns, stop_when=spec.stop_when, step=step.index
    )
    found = [dataclasses.replace(c, line=step.line) for c in conv.checks]
    what = f"persona {persona.name}"
    if conv.error:
        found.append(
            Check(step.index, None, what, False, "the conversation runs", conv.error, step.line)
        )
    elif conv.verdict is not None:
        scores = "; ".join(f"{s.criterion} {s.score:g}: {s.reason}" for s in conv.verdict.scores)
        found.append(
            Check(
                step.index,
                None,
                f"{what} rubric ({conv.outcome})",
                conv.verdict.passed,
                f">= {conv.verdict.threshold}",
                f"{conv.verdict.total:.2f} ({scores})",
                step.line,
            )
        )
    turns = conv.turns
    return found, turns[-1] if turns else None


__all__ = ["SIMULATE", "STOP_REASONS", "SimulateStep", "simulate_step", "play_simulate_step"]
