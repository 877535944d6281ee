"""The plan of a load run: what each simulated user does, as plain JSON a load worker can read.

`walab load` compiles scenario files into conversation scripts (`ConversationScript`: the user's
steps, each read as the act it describes with `lab.conversation.actions.from_step`, and what each
reply must show) once, in the lab process; load workers fetch the plan from
the hub (`GET /_load/plan`), so a worker on another machine needs no project checkout of its own.

Where conversations come from is one seam: `conversation_scripts(sources)` takes scenario files
today; personas (a model playing the user from a description) plug in here as another source that
produces the same `ConversationScript` shape, with steps written as the user goes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lab.conversation.actions import SendText, Tap, from_step
from lab.errors import ConfigError
from lab.scenarios.expand import expand
from lab.scenarios.loader import load_scenario
from lab.scenarios.model import Expect, Scenario, Step
from lab.simulate.step import SIMULATE


@dataclass(slots=True)
class ReplyCheck:
    """What a turn's replies must show (the part of a scenario's `expect` a load user checks)."""

    text: str | None = None
    contains: list[str] = field(default_factory=list)
    matches: str | None = None
    buttons: list[str] | None = None
    no_reply: bool = False
    state: str | None = None


@dataclass(slots=True)
class ScriptStep:
    """One thing the user does: `text` (with Meta redeliveries) or `tap` a choice by its title."""

    kind: str
    text: str
    duplicates: int = 0
    check: ReplyCheck | None = None
    line: int | None = None


@dataclass(slots=True)
class ConversationScript:
    """One conversation a simulated user plays, from its first message to its last."""

    name: str
    flow: str  # namespace/id
    contact_name: str
    steps: list[ScriptStep]


def conversation_scripts(paths: list[Path]) -> tuple[list[ConversationScript], list[str]]:
    """Scripts from scenario files (every expanded case), and warnings about what load skips."""
    scripts: list[ConversationScript] = []
    warnings: list[str] = []
    unplayable: list[Path] = []
    for path in paths:
        scenario = load_scenario(path)
        for case in expand(scenario):
            steps = []
            skipped = []
            for step in case.steps:
                played = _script_step(step, f"{path}:{step.line or '?'}")
                if played is None:
                    skipped.append(
                        f"{path}:{step.line or '?'}: step {step.index} ({step.action}) is not "
                        "played under load (only user text and taps are; fault plans apply "
                        "to the whole run with --faults)"
                    )
                    continue
                steps.append(played)
            if not steps:  # a folder may hold such a scenario: the others are played
                unplayable.append(path)
                continue
            warnings += skipped
            scripts.append(
                ConversationScript(case.test_name, scenario.flow, _contact_name(scenario), steps)
            )
    if not scripts and unplayable:
        raise ConfigError(
            f"scenario {unplayable[0]} has no step a load user can play",
            where=str(unplayable[0]),
            fix="give it `user:` or `tap:` steps",
        )
    warnings += [
        f"{path}: no step a load user can play (only user text and taps are), left out"
        for path in dict.fromkeys(unplayable)
    ]
    return scripts, warnings


def scenario_files(paths: list[str]) -> list[Path]:
    """The scenario files named, folders searched for `*.yaml` (cassettes and snapshots left out)."""
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files += sorted(
                f
                for f in p.rglob("*.yaml")
                if not f.name.endswith(".cassette.yaml") and "__snapshots__" not in f.parts
            )
        elif p.is_file():
            files.append(p)
        else:
            raise ConfigError(
                f"no scenario file or folder at {p}",
                where=str(p),
                fix="give scenario files, e.g. --scenario scenarios/lead_qualification/qualify.yaml",
            )
    if not files:
        raise ConfigError(
            f"no scenario files under {', '.join(paths)}", fix="give scenario YAML files"
        )
    return files


def scenarios_of(paths: list[Path]) -> list[Scenario]:
    return [load_scenario(p) for p in paths]


def to_json(scripts: list[ConversationScript]) -> list[dict[str, Any]]:
    return [asdict(s) for s in scripts]


def _contact_name(scenario: Scenario) -> str:
    return scenario.contacts[0].name if scenario.contacts else "Cliente"


def _script_step(step: Step, where: str) -> ScriptStep | None:
    """The step as the load user plays it: the user act the scenario describes (`from_step`), when
    it is a message or a tap; None for the others."""
    if step.action == SIMULATE:  # a persona's conversation is not a fixed script
        return None
    action = from_step(step.action, step.value, where)
    if isinstance(action, Tap):
        return ScriptStep("tap", action.title, check=_check(step.expect), line=step.line)
    if (
        isinstance(action, SendText) and not action.delivered_after
    ):  # a late delivery moves the shared clock
        return ScriptStep("text", action.text, action.duplicates, _check(step.expect), step.line)
    return None


def _check(expect: Expect | None) -> ReplyCheck | None:
    if expect is None:
        return None
    check = ReplyCheck(
        text=expect.text,
        contains=list(expect.contains),
        matches=expect.matches,
        buttons=expect.buttons,
        no_reply=expect.no_reply,
        state=expect.state,
    )
    # A reply's own expectations become parts the turn's text must contain (order is not checked).
    templates = [expect.template] if expect.template else []
    for reply in expect.replies or ():
        check.contains += [part for part in (reply.text, reply.contains) if part]
        if reply.template:
            templates.append(reply.template)
    check.contains += [f"[template {t.get('name')}]" for t in templates if t.get("name")]
    return check
