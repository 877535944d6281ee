"""Judging a simulated conversation: each rubric criterion scored 0..1 with its reason.

The judge is a model through the gateway (`judge: {model: ...}`, recorded in the cassette like the
other calls) or scripted scores (`judge: {scripted: {goal reached: 1}}`) for the test suite. With no
judge at all the conversation is scored by its outcome: goal reached scores every criterion 1.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from lab.conversation import gateway_calls
from lab.conversation.model import Turn
from lab.conversation.session import LabSession
from lab.simulate.persona import Persona, Rubric
from lab.simulate.user import agent_lines

SYSTEM = (
    "Você avalia uma conversa de WhatsApp entre um cliente e o agente de IA de uma empresa. "
    "Para cada critério da rubrica dê uma nota de 0 a 1 e o motivo em uma frase. Responda SOMENTE "
    'com JSON: {"scores": [{"criterion": "<nome>", "score": 0.0, "reason": "<frase>"}]}.'
)


@dataclass(frozen=True, slots=True)
class Score:
    criterion: str
    weight: float
    score: float
    reason: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """The rubric's scores, their weighted mean and whether it reaches the threshold."""

    scores: tuple[Score, ...]
    threshold: float
    by: str  # the judge: a model name, "scripted" or "outcome"

    @property
    def total(self) -> float:
        weight = sum(s.weight for s in self.scores)
        return sum(s.score * s.weight for s in self.scores) / weight if weight else 0.0

    @property
    def passed(self) -> bool:
        return self.total >= self.threshold

    def to_dict(self) -> dict[str, Any]:
        return {
            "judge": self.by,
            "total": round(self.total, 4),
            "threshold": self.threshold,
            "passed": self.passed,
            "scores": [
                {"criterion": s.criterion, "weight": s.weight, "score": s.score, "reason": s.reason}
                for s in self.scores
            ],
        }


def conversation_text(persona: Persona, turns: list[Turn]) -> str:
    """The conversation as the judge reads it."""
    lines = []
    for turn in turns:
        lines.append(f"cliente: {turn.inbound.summary}")
        lines += [f"agente: {line}" for line in agent_lines(turn)]
    return "\n".join(lines)


def judge_request(persona: Persona, turns: list[Turn], outcome: str, model: str) -> dict[str, Any]:
    rubric = "\n".join(
        f"- {c.name} (peso {c.weight:g}): {c.description}" for c in persona.rubric.criteria
    )
    user = (
        f"Objetivo do cliente: {persona.goal}\nComo a conversa terminou: {outcome}\n\nRubrica:\n{rubric}\n\n"
        f"Conversa:\n{conversation_text(persona, turns)}"
    )
    return {
        "model": model,
        "temperature": 0,
        "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}],
    }


def scores_of(content: str, rubric: Rubric) -> tuple[Score, ...]:
    """Scores from the judge's answer; a criterion it left out scores 0 with that reason."""
    match = re.search(r"\{.*\}", content or "", re.S)
    try:
        data = json.loads(match.group(0)) if match else {}
    except ValueError:
        data = {}
    given = {}
    for item in data.get("scores", []) if isinstance(data, dict) else []:
        if isinstance(item, dict) and isinstance(item.get("score"), (int, float)):
            given[str(item.get("criterion"))] = (
                min(1.0, max(0.0, float(item["score"]))),
                str(item.get("reason", "")),
            )
    return tuple(
        Score(
            c.name,
            c.weight,
            *given.get(c.name, (0.0, f"the judge gave no score: {content[:120]!r}")),
        )
        for c in rubric.criteria
    )


async def judge(
    lab: LabSession, persona: Persona, turns: list[Turn], outcome: str, run: int = 1
) -> Verdict:
    """The persona's rubric scored for this conversation."""
    rubric, spec = persona.rubric, persona.judge
    if "scripted" in spec:
        fixed = spec["scripted"] or {}
        scores = tuple(
            Score(c.name, c.weight, float(fixed.get(c.name, 0.0)), "scripted score")
            for c in rubric.criteria
        )
        return Verdict(scores, rubric.threshold, "scripted")
    if "model" in spec and getattr(lab, "llm_mode", None) != "scripted":
        content = await gateway_calls.chat(
            lab,
            f"judge-{persona.name}-r{run}",
            judge_request(persona, turns, outcome, spec["model"]),
        )
        return Verdict(scores_of(content, rubric), rubric.threshold, str(spec["model"]))
    reached = 1.0 if outcome == "goal_reached" else 0.0
    reason = f"no judge: scored by the outcome ({outcome})"
    return Verdict(
        tuple(Score(c.name, c.weight, reached, reason) for c in rubric.criteria),
        rubric.threshold,
        "outcome",
    )
