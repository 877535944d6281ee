"""The scenario model: what a scenario file says, as typed dataclasses.

A `Scenario` is the file as written; `ScenarioCase` is one test case after data-driven expansion
(one utterance of a step that lists several, one row of the `vars` table).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LLM_SOURCES = ("cassette", "scripted", "live", "none")  # none: recorded with no model at all


@dataclass(slots=True)
class Budget:
    """Upper bounds on tokens (input + output), cost (USD) and latency (ms to the terminal state)."""

    tokens: int | None = None
    cost_usd: float | None = None
    latency_ms: float | None = None

    def is_empty(self) -> bool:
        return self.tokens is None and self.cost_usd is None and self.latency_ms is None


@dataclass(slots=True)
class Tolerance:
    """Relative differences allowed when a snapshot's tokens and cost are compared (0.1 = 10 %)."""

    tokens: float = 0.0
    cost: float = 0.0


@dataclass(slots=True)
class ReplyExpect:
    """What one reply must look like (every field optional)."""

    text: str | None = None  # equals
    contains: str | None = None
    matches: str | None = None  # regular expression, searched
    buttons: list[str] | None = None  # reply button titles, in order
    rows: list[str] | None = None  # list row titles, in order (all sections)
    template: dict[str, Any] | None = None  # {name, params}
    media: str | None = None  # image, audio, document, video, sticker
    type: str | None = None  # the Cloud API message type


@dataclass(slots=True)
class OutputExpect:
    """A task's output, reached by JSONPath, must equal / contain / match a value."""

    task: str | None  # None = the execution's outputs
    path: str
    equals: Any = None
    contains: str | None = None
    matches: str | None = None
    has_equals: bool = False  # `equals: null` is a real expectation


@dataclass(slots=True)
class Expect:
    """What must hold after a step."""

    text: str | None = None  # the turn's replies' text, joined by newlines, equals
    contains: list[str] = field(default_factory=list)
    matches: str | None = None
    replies: list[ReplyExpect] | None = None  # exactly these replies, in order
    buttons: list[str] | None = None  # shorthand: the last interactive reply's buttons
    rows: list[str] | None = None
    template: dict[str, Any] | None = None
    state: str | None = None  # the main execution's final state
    outputs: list[OutputExpect] = field(default_factory=list)
    violation: int | None = None  # a Meta error code the step expects (the policy check allows it)
    no_reply: bool = False
    budget: Budget = field(default_factory=Budget)
    judge: dict[str, Any] | None = None  # {rubric, model?, threshold?}


@dataclass(slots=True)
class Step:
    """One thing the user does, and what must hold afterwards."""

    index: int  # 1-based, as a person counts them in the file
    line: int | None  # line in the scenario file
    action: str  # one of lab.conversation.actions.STEP_KEYS
    value: Any
    expect: Expect | None = None
    fixtures: Any = None  # Kestra task fixtures for this step's executions (lab.kestra.engine.fixtures.Fixtures)


@dataclass(slots=True)
class LLMSource:
    """Where the LLM's answers come from during replay."""

    source: str = "cassette"  # cassette | scripted | live | none (no model: optional-model flows run without one)
    cassette: Path | None = None
    scripted: Any = None  # list of replies per call, or rules [{match, reply}]
    repeat: int = 1  # live only: run N times ...
    pass_if: int = 1  # ... and pass when M of them pass


@dataclass(slots=True)
class ScenarioContact:
    """A simulated user of the scenario."""

    name: str
    wa_id: str


@dataclass(slots=True)
class Scenario:
    """A scenario file as written."""

    path: Path
    name: str
    flow: str  # namespace/id
    steps: list[Step]
    description: str | None = None
    prompt: str | None = None
    contacts: list[ScenarioContact] = field(default_factory=list)
    llm: LLMSource = field(default_factory=LLMSource)
    clock: str | None = None  # ISO-8601 start of the virtual clock
    policy: bool = True  # every reply must pass Meta's rules
    budget: Budget = field(default_factory=Budget)  # per scenario (whole conversation)
    budget_per_turn: Budget = field(default_factory=Budget)
    tolerance: Tolerance = field(default_factory=Tolerance)
    vars: list[dict[str, Any]] = field(default_factory=list)
    faults: list[dict[str, Any]] = field(
        default_factory=list
    )  # sandbox faults armed before the first step
    kestra_version: str | None = (
        None  # "1.3" or "2.0": the embedded engine's Kestra for this scenario
    )
    fixtures: Any = (
        None  # Kestra task fixtures for every execution (lab.kestra.engine.fixtures.Fixtures)
    )
    # The file says it holds personal data (written with --no-redact): its contacts are real people.
    personal_data: bool = False

    @property
    def namespace(self) -> str:
        return self.flow.split("/", 1)[0]

    @property
    def flow_id(self) -> str:
        return self.flow.split("/", 1)[1]


@dataclass(slots=True)
class ScenarioCase:
    """One test case: a scenario with its variables substituted and one utterance per step."""

    scenario: Scenario
    case_id: str  # "" for a scenario without expansion, else "plan=Premium-2" etc.
    steps: list[Step]
    variables: dict[str, Any] = field(default_factory=dict)

    @property
    def test_name(self) -> str:
        return f"{self.scenario.name}[{self.case_id}]" if self.case_id else self.scenario.name
