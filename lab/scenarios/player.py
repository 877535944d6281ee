"""Play a scenario case on a target (the embedded engine by default, or a real Kestra by URL).

The player opens a `Lab` with the gateway in replay (cassette), scripted or live mode, performs
each step as the simulated user, checks what must hold after it, and returns the transcript and
every check. Live mode can repeat a case and pass when enough runs pass (models vary).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lab import asyncrun
from lab.config import Contact, load_settings
from lab.conversation.actions import SwitchContact, from_step
from lab.conversation.lab import Lab
from lab.conversation.model import Transcript, Turn
from lab.conversation.phone import find_contact
from lab.conversation.session import LabSession
from lab.errors import ConfigError, LabError
from lab.llm.scripted import ScriptedReplies
from lab.redaction import RedactionPolicy, policy_for
from lab.scenarios import assertions as checks
from lab.scenarios.assertions import Check
from lab.scenarios.judge import judge_turn
from lab.scenarios.model import ScenarioCase, Step
from lab.simulate.step import SIMULATE, play_simulate_step

# A replay must not depend on the day it runs: without `clock:` the virtual clock starts here.
DEFAULT_CLOCK = "2026-01-05T12:00:00+00:00"
LLM_MODES = {"cassette": "replay", "scripted": "scripted", "live": "live", "none": "scripted"}


@dataclass(slots=True, repr=False)
class Playback:
    """What playing one case produced."""

    case: ScenarioCase
    transcript: Transcript
    checks: list[Check] = field(default_factory=list)
    error: str | None = None  # a step could not run at all (names the step)
    runs: int = 1  # live repeat: how many runs were made ...
    passed_runs: int = 1  # ... and how many passed
    seconds: float = 0.0
    turn_steps: dict[int, int] = field(default_factory=dict)  # turn index -> step index
    secrets: list[str] = field(default_factory=list)  # scrubbed from snapshots and reports
    # personal data kept out of the snapshot and reports (walab.yaml `redaction:`, the contacts)
    redaction: RedactionPolicy | None = None

    def __repr__(self) -> str:
        # Short on purpose: asyncio.run reprs the finished task (its result included) when it
        # restores the SIGINT handler, and a whole transcript's repr costs milliseconds per case.
        return (
            f"Playback({self.case.test_name!r}, turns={len(self.transcript.turns)}, "
            f"failures={len(self.failures)}, error={self.error!r})"
        )

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    @property
    def passed(self) -> bool:
        if self.runs > 1:
            return self.passed_runs >= self.case.scenario.llm.pass_if
        return self.error is None and not self.failures


def project_dir_of(path: Path) -> Path:
    """The project a scenario file belongs to: the nearest ancestor with flows/, walab.yaml or pyproject.toml."""
    for parent in path.resolve().parents:
        if (
            (parent / "walab.yaml").exists()
            or (parent / "flows").is_dir()
            or (parent / "pyproject.toml").exists()
        ):
            return parent
    return Path.cwd()


@dataclass
class Player:
    """Plays scenario cases.

    Args:
        target_url: a real Kestra's URL; None plays on the embedded engine.
        llm_mode: override the scenario's LLM source: replay, scripted, live or record.
        project_dir: where flows/ and prompts/ are; by default found from the scenario's path.
    """

    target_url: str | None = None
    llm_mode: str | None = None
    project_dir: Path | None = None
    settings_overrides: dict[str, Any] = field(default_factory=dict)
    lab_factory: Any = None  # Lab.open by default; tests pass a fake with the same signature
    prompt: str | None = None  # play every case with this prompt variant (the prompt lab's matrix)
    model: str | None = None  # ... and this model (the flow's LLM_MODEL)
    cassette: Path | None = (
        None  # replay from / record into this cassette instead of the scenario's
    )
    # Kestra task fixtures for every case (--fixtures FILE), given to Lab.open; a scenario's or a
    # step's own `fixtures:` take their place where they are written.
    fixtures: Any = None

    def play_sync(self, case: ScenarioCase) -> Playback:
        """Play a case from synchronous code (the pytest plugin, the CLI)."""
        return asyncrun.run(self.play(case))

    async def play(self, case: ScenarioCase) -> Playback:
        """Play a case, repeating it in live mode when the scenario asks for it."""
        llm = case.scenario.llm
        mode = self._mode(case)
        repeat = llm.repeat if mode == "live" else 1
        started = time.perf_counter()
        runs = [await self._play_once(case, mode) for _ in range(repeat)]
        result = next((r for r in runs if not r.passed), runs[-1]) if repeat > 1 else runs[0]
        if repeat > 1:
            result.runs, result.passed_runs = repeat, sum(1 for r in runs if r.passed)
        result.seconds = time.perf_counter() - started
        return result

    def _mode(self, case: ScenarioCase) -> str:
        return self.llm_mode or LLM_MODES[case.scenario.llm.source]

    def _settings(self, case: ScenarioCase, mode: str) -> Any:
        sc = case.scenario
        overrides = {
            "llm_mode": mode,
            "namespace": sc.namespace,
            "flow": sc.flow_id,
            "kestra_url": self.target_url,
            **self.settings_overrides,
        }
        if sc.kestra_version:  # the scenario pins the Kestra it was written for
            overrides["kestra_version"] = sc.kestra_version
        settings = load_settings(self.project_dir or project_dir_of(sc.path), **overrides)
        if sc.contacts:
            settings.contacts = [Contact(c.wa_id, c.name) for c in sc.contacts]
        return settings

    def _lab_options(self, case: ScenarioCase, mode: str) -> dict[str, Any]:
        sc = case.scenario
        try:
            clock = datetime.fromisoformat(sc.clock or DEFAULT_CLOCK)
        except ValueError:
            raise ConfigError(
                f"clock is not an ISO-8601 date-time: {sc.clock!r}",
                where=str(sc.path),
                fix="e.g. `clock: 2026-03-02T09:00:00-03:00`",
            ) from None
        if clock.tzinfo is None:
            clock = clock.replace(tzinfo=timezone.utc)
        options: dict[str, Any] = {"clock_start": clock, "target_url": self.target_url}
        if self.fixtures is not None:
            options["fixtures"] = self.fixtures
        if mode in ("replay", "record"):
            options["cassette"] = self.cassette or sc.llm.cassette
        elif mode == "scripted" and sc.llm.source != "none":
            scripted = sc.llm.scripted
            items = scripted if isinstance(scripted, list) else [scripted] if scripted else []
            options["scripted"] = ScriptedReplies(items, source=str(sc.path))
        return options

    async def _play_once(self, case: ScenarioCase, mode: str) -> Playback:
        open_lab = self.lab_factory
        if open_lab is None:
            open_lab = Lab.open
        settings = self._settings(case, mode)
        # A real Kestra calls the lab back (Graph API, LLM gateway): the lab server must listen.
        serve = (self.target_url or settings.kestra_url) is not None
        async with open_lab(settings, serve=serve, **self._lab_options(case, mode)) as lab:
            prompt = self.prompt or case.scenario.prompt
            if prompt:
                await lab.apply_prompt(prompt)
            if self.model:
                await lab.client.kv.put(case.scenario.namespace, "LLM_MODEL", self.model)
            default_fixtures = case.scenario.fixtures or self.fixtures
            use_fixtures(lab, default_fixtures)
            run = _Run(case, lab, settings, default_fixtures)
            for fault in case.scenario.faults:  # armed before the first step
                await lab.perform(run.contact, from_step("fault", fault, str(case.scenario.path)))
            await run.steps()
            transcript = lab.transcript
            playback = Playback(
                case,
                transcript,
                run.checks,
                run.error,
                turn_steps=run.turn_steps,
                secrets=settings.secret_values(),
                redaction=snapshot_policy(case, settings),
            )
            playback.checks += (
                checks.check_budget(case.scenario.budget, transcript.turns, 0, "scenario budget")
                if transcript.turns
                else []
            )
            return playback


class _Run:
    """One pass over a case's steps on an open lab."""

    def __init__(
        self, case: ScenarioCase, lab: LabSession, settings: Any, fixtures: Any = None
    ) -> None:
        self.case, self.lab, self.settings = case, lab, settings
        self.fixtures = fixtures  # the scenario's, else the player's (--fixtures FILE)
        self.contact = settings.contacts[0].wa_id
        self.checks: list[Check] = []
        self.error: str | None = None
        self.last_turn: Turn | None = None
        self.turn_steps: dict[int, int] = {}

    async def steps(self) -> None:
        for step in self.case.steps:
            try:
                use_fixtures(self.lab, step.fixtures or self.fixtures)
                if step.action == SIMULATE:
                    turn = await self._simulate(step)
                else:
                    turn = await self._perform(step)
            except LabError as exc:
                self.error = (
                    f"step {step.index}{_at(step)} ({step.action}) could not run: {exc.what}"
                    + (f"\n    fix: {exc.fix}" if exc.fix else "")
                )
                return
            if turn is not None:
                self.last_turn = turn
                self.turn_steps[turn.index] = step.index
                if step.action != SIMULATE:  # its turns were checked as they came
                    self._check_turn(step, turn)
            if step.expect is not None:
                if self.last_turn is None:
                    self.error = (
                        f"step {step.index}{_at(step)} has expectations but no turn happened yet"
                    )
                    return
                self.checks += checks.check_expect(
                    step.expect, self.last_turn, step.index, step.line
                )
                if step.expect.judge:
                    self.checks.append(await self._judge(step, self.last_turn))

    def _check_turn(self, step: Step, turn: Turn) -> None:
        sc = self.case.scenario
        # A failed execution the step expects (`state: FAILED`) is checked by that expectation.
        expected_failure = (
            turn.verdict == "error" and step.expect is not None and step.expect.state == turn.state
        )
        if turn.verdict != "ok" and not expected_failure:
            self.checks.append(
                Check(
                    step.index,
                    turn.index,
                    "turn finished",
                    False,
                    "ok",
                    f"{turn.verdict}: {turn.error}",
                    step.line,
                )
            )
        if sc.policy:
            allowed = step.expect.violation if step.expect else None
            self.checks += checks.check_policy(turn, step.index, allowed, step.line)
        self.checks += checks.check_budget(
            sc.budget_per_turn, [turn], step.index, "per-turn budget", step.line
        )

    async def _perform(self, step: Step) -> Turn | None:
        """The step's act, performed as the current contact (`contact:` switches it)."""
        where = (
            f"{self.case.scenario.path}:{step.line}" if step.line else str(self.case.scenario.path)
        )
        action = from_step(step.action, step.value, where)
        turn = await self.lab.perform(self.contact, action)
        if isinstance(action, SwitchContact):
            self.contact = find_contact(self.lab.contacts, action.who).wa_id
        return turn

    async def _simulate(self, step: Step) -> Turn | None:
        """A `simulate:` step: the persona talks from here (checked every turn); its last turn."""

        found, last = await play_simulate_step(
            self.lab, step, self.contact, self.case.scenario.path
        )
        self.checks += found
        return last

    async def _judge(self, step: Step, turn: Turn) -> Check:
        return await judge_turn(self.lab, step, turn, self.case)


def snapshot_policy(case: ScenarioCase, settings: Any) -> RedactionPolicy:
    """The redaction a case's snapshot and reports get: the session's policy, keeping the
    scenario's own contacts as the file writes them unless the file says it holds personal data
    (a recorded scenario's contacts are pseudonyms already: redacting them again renames them)."""
    policy = policy_for(settings)
    sc = case.scenario
    if sc.personal_data:
        return policy
    own = {c.wa_id for c in sc.contacts} | {c.name for c in sc.contacts}
    return replace(policy, allow=policy.allow | own)


def use_fixtures(lab: Any, fixtures: Any) -> None:
    """The scenario's (or this step's) Kestra task fixtures, for the executions that follow."""
    if fixtures is None and getattr(lab, "engine", None) is None:
        return
    if getattr(lab, "engine", None) is None:
        raise LabError(
            "fixtures stand in for tasks on the embedded engine; a real Kestra runs fixtures only in "
            "its unit tests",
            fix="drop the scenario's `fixtures:` or play it on the embedded engine",
        )
    lab.engine.fixtures = fixtures


def _at(step: Step) -> str:
    return f" (line {step.line})" if step.line else ""
