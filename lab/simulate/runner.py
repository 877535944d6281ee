"""One simulated conversation on an open lab: the user moves, the agent answers, checks every turn.

Each move's acts go through `Lab.perform`; every turn is checked as in scenarios (the turn
finished, WhatsApp policy, the per-turn budget) plus the persona's assertions (a red-team persona's
policy). The conversation stops when the user is done (goal reached, gave up), the agent hands the
customer to a person, the persona runs out of patience or turns; the rubric is then judged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from lab.conversation import gateway_calls
from lab.conversation.model import Turn
from lab.conversation.session import LabSession
from lab.errors import LabError
from lab.scenarios import assertions as checks
from lab.scenarios.assertions import Check
from lab.simulate.moves import Move, is_quiet
from lab.simulate.persona import HANDOFF_WORDS, Persona
from lab.simulate.rubric import Verdict, judge
from lab.simulate.user import ScriptedUser, SimulatedUser, agent_lines, simulated_user


@dataclass(slots=True)
class Conversation:
    """What one simulated conversation did."""

    persona: str
    run: int
    moves: list[tuple[Move, list[Turn]]] = field(default_factory=list)
    outcome: str = "max_turns"  # goal_reached | handed_off | gave_up | max_turns | stopped | error
    checks: list[Check] = field(default_factory=list)
    verdict: Verdict | None = None
    error: str | None = None
    agent_cost_usd: float = 0.0
    user_cost_usd: float = 0.0
    judge_cost_usd: float = 0.0
    tokens_in: int = 0  # the agent's, the simulated user's and the judge's calls
    tokens_out: int = 0

    @property
    def tokens(self) -> int:
        return self.tokens_in + self.tokens_out

    @property
    def turns(self) -> list[Turn]:
        return [t for _, ts in self.moves for t in ts]

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    @property
    def cost_usd(self) -> float:
        return self.agent_cost_usd + self.user_cost_usd + self.judge_cost_usd

    @property
    def passed(self) -> bool:
        return (
            self.error is None
            and not self.failures
            and (self.verdict is None or self.verdict.passed)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "persona": self.persona,
            "run": self.run,
            "passed": self.passed,
            "outcome": self.outcome,
            "turns": len(self.turns),
            "moves": len(self.moves),
            "cost_usd": round(self.cost_usd, 6),
            "agent_cost_usd": round(self.agent_cost_usd, 6),
            "user_cost_usd": round(self.user_cost_usd, 6),
            "judge_cost_usd": round(self.judge_cost_usd, 6),
            "tokens": self.tokens,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "error": self.error,
            "failures": [c.describe() for c in self.failures],
            "rubric": self.verdict.to_dict() if self.verdict else None,
            "conversation": [
                {
                    "user": m.step,
                    "agent": [line for t in ts for line in agent_lines(t)],
                    "tokens_in": sum(t.input_tokens for t in ts),
                    "tokens_out": sum(t.output_tokens for t in ts),
                    "cost_usd": sum(t.cost_usd or 0.0 for t in ts),
                    "latency_ms": sum(t.timings.terminal_ms or 0.0 for t in ts) if ts else None,
                    "state": next((t.state for t in ts if t.verdict != "ok"), "SUCCESS"),
                }
                for m, ts in self.moves
            ],
        }


def policy_checks(persona: Persona, turn: Turn, step: int = 0) -> list[Check]:
    """Every per-turn check: finished, WhatsApp policy, budget, the persona's assertions."""
    found: list[Check] = []
    if turn.verdict != "ok":
        found.append(
            Check(step, turn.index, "turn finished", False, "ok", f"{turn.verdict}: {turn.error}")
        )
    found += checks.check_policy(turn, step, None)
    found += checks.check_budget(persona.budget_per_turn, [turn], step, "per-turn budget")
    said = "\n".join(agent_lines(turn))
    for text in persona.assertions.never_contains:
        if text.casefold() in said.casefold():
            found.append(
                Check(step, turn.index, f"agent never says {text!r}", False, "absent", said[:300])
            )
    for pattern in persona.assertions.never_matches:
        if re.search(pattern, said):
            found.append(
                Check(
                    step,
                    turn.index,
                    f"agent never matches /{pattern}/",
                    False,
                    "no match",
                    said[:300],
                )
            )
    return found


def user_for(persona: Persona, lab: LabSession, run: int) -> SimulatedUser:
    """The scripted persona when the lab plays without a model (scripted mode) and it has a script."""
    if persona.script and (persona.model is None or getattr(lab, "llm_mode", None) == "scripted"):
        return ScriptedUser(persona)
    return simulated_user(persona, run)


async def simulate(
    lab: LabSession,
    persona: Persona,
    wa_id: str,
    *,
    run: int = 1,
    max_turns: int | None = None,
    stop_when: tuple[str, ...] | None = None,
    step: int = 0,
    user: SimulatedUser | None = None,
    stopped: Callable[[], bool] | None = None,
    on_move: Callable[[Move, list[Turn]], None] | None = None,
) -> Conversation:
    """Play the persona against the lab's flow as `wa_id` until a stop condition.

    `stopped` is asked before each move (a person taking over a live chat): when it says so the
    conversation ends as `stopped`, unjudged. `on_move` hears of each move once its turns are done.
    """
    conv = Conversation(persona.name, run)
    user = user or user_for(persona, lab, run)
    limit = max_turns or persona.max_turns
    stops = stop_when or persona.stop_when
    patience = persona.patience
    first_turn = len(lab.transcript.turns)
    while True:
        if stopped is not None and stopped():
            conv.outcome = "stopped"
            break
        if len(conv.turns) >= limit:
            conv.outcome = "max_turns"
            break
        if patience is not None and len(conv.moves) >= patience and "gave_up" in stops:
            conv.outcome = "gave_up"
            break
        try:
            move = await user.next_move(lab, conv.moves)
        except Exception as exc:  # noqa: BLE001 - a failed model call ends this conversation, said plainly
            conv.error, conv.outcome = f"the simulated user failed: {exc}", "error"
            break
        if move.done is not None:
            conv.outcome = move.done
            if move.done in stops:
                break
            continue
        turns: list[Turn] = []
        try:
            for action in move.actions:
                turn = await lab.perform(wa_id, action)
                if turn is not None:
                    turns.append(turn)
                    conv.checks += policy_checks(persona, turn, step)
        except LabError as exc:  # e.g. a tap on a button the agent never sent
            conv.moves.append((move, turns))
            conv.error, conv.outcome = (
                f"move {len(conv.moves)} {move.step} could not run: {exc.what}",
                "error",
            )
            break
        conv.moves.append((move, turns))
        if on_move is not None:
            on_move(move, turns)
        if not is_quiet(move) and not turns:
            conv.error, conv.outcome = "a move produced no turn", "error"
            break
        if "handed_off" in stops and any(
            HANDOFF_WORDS.search(line) for t in turns for line in agent_lines(t)
        ):
            conv.outcome = "handed_off"
            break
    _account(lab, conv, first_turn)
    if conv.error is None and conv.outcome != "stopped":
        try:
            conv.verdict = await judge(lab, persona, conv.turns, conv.outcome, run)
        except Exception as exc:  # noqa: BLE001
            conv.error = f"the judge failed: {exc}"
        conv.judge_cost_usd, judge_in, judge_out = gateway_calls.cost_of(
            lab, f"judge-{persona.name}-r{run}"
        )
        conv.tokens_in += judge_in
        conv.tokens_out += judge_out
    return conv


def _account(lab: LabSession, conv: Conversation, first_turn: int) -> None:
    turns = lab.transcript.turns[first_turn:]
    conv.agent_cost_usd = sum(t.cost_usd or 0.0 for t in turns)
    conv.tokens_in = sum(t.input_tokens for t in turns)
    conv.tokens_out = sum(t.output_tokens for t in turns)
    gateway = getattr(lab, "gateway", None)
    if gateway is not None:
        mine = [
            c
            for c in gateway.calls()
            if (c.execution_id or "").startswith(f"persona-{conv.persona}-r{conv.run}-")
        ]
        conv.user_cost_usd = sum(c.cost_usd or 0.0 for c in mine)
        conv.tokens_in += sum(c.input_tokens for c in mine)
        conv.tokens_out += sum(c.output_tokens for c in mine)
