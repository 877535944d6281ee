"""Persona files (`personas/*.yaml`): a simulated customer, what they want and how they behave.

    version: 1
    name: dona_cida
    flow: company.whatsapp/whatsapp_agent
    contact: {name: Aparecida Santos, wa_id: "5511912345678"}
    who: aposentada de 68 anos em Campinas, pouco à vontade com tecnologia
    tone: educada, desconfiada de preços
    typing: frases curtas, sem acentos, erros de digitação de vez em quando
    patience: 6                 # turns before she gives up
    goal: saber quanto custa o plano para uma conta de R$ 300 e agendar a visita
    knowledge: {conta_de_luz: R$ 300, cidade: Campinas}
    behaviours: [taps buttons, sends three messages in a row once]
    stop_when: [goal_reached, handed_off, gave_up, max_turns]
    max_turns: 8
    model: gpt-4o-mini           # the simulated user's own model, through the walab LLM gateway
    script:                      # or a scripted persona: these moves in order, no model at all
      - say: Oi
      - tap: Ver planos
      - burst: [quanto fica, pra conta de 300?, moro em campinas]
      - quiet: 25h
      - done: goal_reached
    rubric:
      threshold: 0.7
      criteria:
        - {name: goal reached, weight: 3, description: ...}
    judge: {model: gpt-4o-mini}  # or {scripted: {goal reached: 1.0}}
    assertions:                  # checked on every agent reply of every turn
      never_contains: [prompt do sistema]
      never_matches: ["(?i)desconto de \\d+ ?%"]
    budget_per_turn: {tokens: 4000, cost_usd: 0.01}
    runs: 3

Every error names the file, the line and the shape expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab import yamlio
from lab.errors import ConfigError
from lab.phone_numbers import HOW_TO_WRITE, wa_id_of
from lab.scenarios.model import Budget
from lab.simulate.moves import Move, parse_move

STOP_REASONS = ("goal_reached", "handed_off", "gave_up", "max_turns")
TOP_KEYS = {
    "version",
    "name",
    "flow",
    "contact",
    "who",
    "tone",
    "typing",
    "patience",
    "goal",
    "knowledge",
    "behaviours",
    "stop_when",
    "max_turns",
    "model",
    "script",
    "rubric",
    "judge",
    "assertions",
    "budget_per_turn",
    "runs",
    "description",
    "red_team",
    "llm",
}
DEFAULT_MAX_TURNS = 10
DEFAULT_CONTACT = {"name": "Cliente Simulado", "wa_id": "5511900000001"}
# A reply containing one of these says the agent handed the customer to a person.
HANDOFF_WORDS = re.compile(
    r"(?i)(vou (te )?(transferir|encaminhar|passar)|transferindo|encaminhei|"
    r"um (atendente|consultor|especialista) (vai|irá|entrará|já)|human agent)"
)


@dataclass(frozen=True, slots=True)
class Criterion:
    """One weighted line of a rubric."""

    name: str
    weight: float = 1.0
    description: str = ""


@dataclass(frozen=True, slots=True)
class Rubric:
    """Weighted criteria, each scored 0..1 by the judge; passed when the weighted mean >= threshold."""

    criteria: tuple[Criterion, ...]
    threshold: float = 0.7


DEFAULT_RUBRIC = Rubric(
    (
        Criterion("goal reached", 3, "the customer's goal was met in the conversation"),
        Criterion(
            "facts right",
            2,
            "prices, plans and facts match what the business offers; nothing invented",
        ),
        Criterion("tone", 1, "polite, clear, in the customer's language"),
        Criterion("handed off when asked", 1, "a request for a person was answered with a handoff"),
    )
)


@dataclass(frozen=True, slots=True)
class Assertions:
    """Checked against every agent reply of every turn (red-team personas' policy)."""

    never_contains: tuple[str, ...] = ()
    never_matches: tuple[str, ...] = ()


@dataclass(slots=True)
class Persona:
    """One persona file, validated."""

    name: str
    path: Path
    flow: str | None = None
    contact: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_CONTACT))
    who: str = ""
    tone: str = ""
    typing: str = ""
    patience: int | None = None
    goal: str = ""
    knowledge: dict[str, Any] = field(default_factory=dict)
    behaviours: list[str] = field(default_factory=list)
    stop_when: tuple[str, ...] = STOP_REASONS
    max_turns: int = DEFAULT_MAX_TURNS
    model: str | None = None
    script: list[Move] | None = None
    rubric: Rubric = DEFAULT_RUBRIC
    judge: dict[str, Any] = field(default_factory=dict)
    assertions: Assertions = field(default_factory=Assertions)
    budget_per_turn: Budget = field(default_factory=Budget)
    runs: int = 1
    red_team: bool = False
    llm: dict[str, Any] = field(
        default_factory=dict
    )  # the agent's LLM source, as a scenario's `llm:`

    @property
    def scripted(self) -> bool:
        """No model plays this persona: its script does."""
        return self.model is None

    def describe(self) -> str:
        """The persona as the simulated user's system prompt reads it."""
        lines = [
            f"Você é {self.contact['name']}, um cliente conversando pelo WhatsApp com uma empresa."
        ]
        for label, value in (
            ("Quem você é", self.who),
            ("Tom", self.tone),
            ("Como digita", self.typing),
            ("Seu objetivo", self.goal),
        ):
            if value:
                lines.append(f"{label}: {value}")
        if self.knowledge:
            lines.append(
                "O que você sabe: " + "; ".join(f"{k}: {v}" for k, v in self.knowledge.items())
            )
        if self.behaviours:
            lines.append("Como você se comporta: " + "; ".join(self.behaviours))
        if self.patience:
            lines.append(
                f"Sua paciência: depois de {self.patience} mensagens sem progresso, você desiste."
            )
        return "\n".join(lines)


def find_persona(ref: str, project_dir: Path) -> Path:
    """A persona by path or by name (`personas/<name>.yaml`, also in subfolders)."""
    as_path = Path(ref)
    for candidate in (as_path, project_dir / as_path):
        if candidate.is_file():
            return candidate
    folder = project_dir / "personas"
    found = (
        sorted(folder.rglob(f"{ref}.yaml")) + sorted(folder.rglob(f"{ref}.yml"))
        if folder.is_dir()
        else []
    )
    if not found:
        known = sorted(p.stem for p in folder.rglob("*.y*ml")) if folder.is_dir() else []
        raise ConfigError(
            f"no persona {ref!r}",
            where=str(folder),
            fix=f"one of {', '.join(known)}" if known else "write personas/<name>.yaml",
        )
    return found[0]


def load_persona(path: str | Path) -> Persona:
    """Read and validate one persona file."""
    p = Path(path)
    text = yamlio.read_text(p)
    return parse_persona(text, p)


def parse_persona(text: str, path: Path) -> Persona:
    data = yamlio.loads(text, source=str(path))

    def error(keys: list[str | int], what: str, expected: str) -> ConfigError:
        line = yamlio.line_of(text, keys)
        where = f"{path}:{line}" if line else str(path)
        dotted = ".".join(str(k) for k in keys) or "(top level)"
        return ConfigError(f"{what} (at {dotted})", where=where, fix=f"expected {expected}")

    if not isinstance(data, dict):
        raise error([], "a persona file must be a mapping", "keys like name, goal, script or model")
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise error(
            [unknown[0]], f"unknown key {unknown[0]!r}", f"one of {', '.join(sorted(TOP_KEYS))}"
        )
    if data.get("version", 1) != 1:
        raise error(["version"], f"unsupported version {data.get('version')!r}", "version: 1")
    persona = Persona(name=str(data.get("name") or path.stem), path=path)
    for key in ("who", "tone", "typing", "goal"):
        value = data.get(key, "")
        if not isinstance(value, str):
            raise error([key], f"{key} must be text", "a sentence")
        setattr(persona, key, value)
    if data.get("flow") is not None:
        if not isinstance(data["flow"], str) or "/" not in data["flow"]:
            raise error(
                ["flow"],
                f"flow {data['flow']!r} is not namespace/id",
                "e.g. company.whatsapp/whatsapp_agent",
            )
        persona.flow = data["flow"]
    if "contact" in data:
        c = data["contact"]
        if not isinstance(c, dict) or not isinstance(c.get("name"), str) or "wa_id" not in c:
            raise error(
                ["contact"], "contact needs a name and a wa_id", '{name: Ana, wa_id: "5511..."}'
            )
        try:  # the number as people write it: "+55 (11) 91234-5678", 5511912345678
            wa_id = wa_id_of(str(c["wa_id"]))
        except ConfigError as exc:
            raise error(["contact", "wa_id"], exc.what, f"a phone number: {HOW_TO_WRITE}") from None
        persona.contact = {"name": c["name"], "wa_id": wa_id}
    for key in ("patience", "max_turns", "runs"):
        if key in data:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
                raise error(
                    [key], f"{key} must be a whole number from 1 to 1000, not {value!r}", "e.g. 8"
                )
            setattr(persona, key, value)
    if "knowledge" in data:
        if not isinstance(data["knowledge"], dict):
            raise error(
                ["knowledge"],
                "knowledge must be a mapping",
                "{conta_de_luz: R$ 300, cidade: Campinas}",
            )
        persona.knowledge = dict(data["knowledge"])
    if "behaviours" in data:
        b = data["behaviours"]
        if not isinstance(b, list) or not all(isinstance(x, str) for x in b):
            raise error(
                ["behaviours"], "behaviours must be a list of sentences", "[taps buttons, ...]"
            )
        persona.behaviours = list(b)
    if "stop_when" in data:
        persona.stop_when = stop_reasons(
            data["stop_when"], lambda what, exp: error(["stop_when"], what, exp)
        )
    if data.get("model") is not None:
        if not isinstance(data["model"], str):
            raise error(["model"], "model must be a model name", "e.g. gpt-4o-mini")
        persona.model = data["model"]
    if data.get("script") is not None:
        script = data["script"]
        if not isinstance(script, list) or not script:
            raise error(["script"], "script must be a non-empty list of moves", "- say: Oi")
        moves = []
        for i, item in enumerate(script):
            try:
                moves.append(parse_move(item))
            except ConfigError as exc:
                raise error(
                    ["script", i],
                    exc.what,
                    exc.fix.removeprefix("expected ") if exc.fix else "a move",
                )
        persona.script = moves
    if persona.model is None and persona.script is None:
        raise error(
            [],
            "a persona needs a model (a simulated user) or a script (a scripted one)",
            "`model: gpt-4o-mini` or `script: [{say: Oi}, {done: goal_reached}]`",
        )
    if "rubric" in data:
        persona.rubric = _rubric(data["rubric"], error)
    if "judge" in data:
        persona.judge = _judge(data["judge"], persona.rubric, error)
    if "assertions" in data:
        persona.assertions = _assertions(data["assertions"], error)
    if "budget_per_turn" in data:
        persona.budget_per_turn = _budget(data["budget_per_turn"], error)
    if "red_team" in data:
        persona.red_team = bool(data["red_team"])
    if "llm" in data:
        if not isinstance(data["llm"], dict):
            raise error(
                ["llm"],
                "llm must be a mapping",
                "as a scenario's llm: {scripted: [...]} or {cassette: ...}",
            )
        persona.llm = dict(data["llm"])
    return persona


def stop_reasons(value: Any, error: Any) -> tuple[str, ...]:
    """The stop conditions listed (`stop_when`)."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or any(x not in STOP_REASONS for x in items):
        raise error(
            f"stop_when {value!r} is not a list of stop conditions",
            f"some of {', '.join(STOP_REASONS)}",
        )
    return tuple(items)


def _rubric(value: Any, error: Any) -> Rubric:
    if (
        not isinstance(value, dict)
        or not isinstance(value.get("criteria"), list)
        or not value["criteria"]
    ):
        raise error(
            ["rubric"],
            "rubric needs criteria",
            "{threshold: 0.7, criteria: [{name: ..., weight: 2}]}",
        )
    criteria = []
    for i, c in enumerate(value["criteria"]):
        if isinstance(c, str):
            c = {"name": c}
        weight = c.get("weight", 1) if isinstance(c, dict) else None
        if (
            not isinstance(c, dict)
            or not isinstance(c.get("name"), str)
            or isinstance(weight, bool)
            or not isinstance(weight, (int, float))
            or weight <= 0
        ):
            raise error(
                ["rubric", "criteria", i],
                f"criterion {c!r} is not valid",
                "{name: goal reached, weight: 3, description: ...} with a positive weight",
            )
        criteria.append(Criterion(c["name"], float(weight), str(c.get("description", ""))))
    threshold = value.get("threshold", 0.7)
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, (int, float))
        or not 0 <= threshold <= 1
    ):
        raise error(
            ["rubric", "threshold"], f"threshold {threshold!r} is not between 0 and 1", "e.g. 0.7"
        )
    return Rubric(tuple(criteria), float(threshold))


def _judge(value: Any, rubric: Rubric, error: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or not ({"model", "scripted"} & set(value)):
        raise error(
            ["judge"],
            "judge needs a model or scripted scores",
            "{model: gpt-4o-mini} or {scripted: {goal reached: 1}}",
        )
    scripted = value.get("scripted")
    if scripted is not None:
        names = {c.name for c in rubric.criteria}
        if (
            not isinstance(scripted, dict)
            or set(scripted) - names
            or any(
                isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1
                for v in scripted.values()
            )
        ):
            raise error(
                ["judge", "scripted"],
                "scripted scores must map rubric criteria to 0..1",
                f"scores for {', '.join(sorted(names))}",
            )
    return dict(value)


def _assertions(value: Any, error: Any) -> Assertions:
    if not isinstance(value, dict) or set(value) - {"never_contains", "never_matches"}:
        raise error(
            ["assertions"],
            "assertions are never_contains and never_matches lists",
            "{never_contains: [...], never_matches: [...]}",
        )
    lists = {}
    for key in ("never_contains", "never_matches"):
        items = value.get(key, [])
        items = [items] if isinstance(items, str) else items
        if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
            raise error(["assertions", key], f"{key} must be a list of text", "[...]")
        if key == "never_matches":
            for x in items:
                try:
                    re.compile(x)
                except re.error as exc:
                    raise error(
                        ["assertions", key],
                        f"{x!r} is not a regular expression: {exc}",
                        "a valid regex",
                    )
        lists[key] = tuple(items)
    return Assertions(**lists)


def _budget(value: Any, error: Any) -> Budget:
    if not isinstance(value, dict) or set(value) - {"tokens", "cost_usd", "latency_ms"}:
        raise error(
            ["budget_per_turn"], "a budget has tokens, cost_usd, latency_ms", "{tokens: 4000}"
        )
    return Budget(value.get("tokens"), value.get("cost_usd"), value.get("latency_ms"))
