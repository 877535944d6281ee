"""What a live compare will cost, before it runs: prompt tokens × turns × price, per variant and model.

An estimate, said so on screen: each turn sends the system prompt (counted with tiktoken, offline)
plus the user's words and a growing history, and gets a reply of about REPLY_TOKENS tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

from lab.conversation.actions import TURN_STEPS
from lab.llm.prices import cost_usd
from lab.prompts import find_prompt, load_prompts
from lab.scenarios.model import ScenarioCase

REPLY_TOKENS = 120  # a typical WhatsApp-length answer
HISTORY_TOKENS_PER_TURN = 40  # user message + bot reply kept in the flow's memory


@dataclass(slots=True)
class Estimate:
    """Estimated tokens and cost of one variant × model over the selected scenarios."""

    variant: str
    model: str
    prompt_tokens: int
    turns: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None


def turns_of(case: ScenarioCase) -> int:
    return sum(1 for s in case.steps if s.action in TURN_STEPS)


def estimate(
    cases: list[ScenarioCase],
    variants: list[str],
    models: list[str],
    prompts_dir,
    *,
    repeat: int = 1,
) -> list[Estimate]:
    """One Estimate per variant × model (model '' = the variant's own model)."""

    prompts = load_prompts(prompts_dir)
    out = []
    for variant in variants:
        prompt = find_prompt(prompts, variant)
        for model in models:
            name = model or prompt.model or "gpt-4o-mini"
            tokens = prompt.tokens
            inp = outp = turns = 0
            for case in cases:
                n = turns_of(case)
                turns += n * repeat
                for i in range(n):
                    inp += (tokens + HISTORY_TOKENS_PER_TURN * (i + 1)) * repeat
                    outp += REPLY_TOKENS * repeat
            out.append(Estimate(variant, name, tokens, turns, inp, outp, cost_usd(name, inp, outp)))
    return out


def total_cost(estimates: list[Estimate]) -> float | None:
    costs = [e.cost_usd for e in estimates]
    return None if any(c is None for c in costs) else sum(costs)  # type: ignore[arg-type]
