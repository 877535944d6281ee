"""The batch's figures: per persona pass rate, pass^k, pass@k, turns and cost spreads; cost gates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lab.simulate.stats import Spread, pass_at_k, pass_hat_k


@dataclass(slots=True)
class PersonaSummary:
    """One row: a persona's runs with one prompt variant and model."""

    persona: str
    variant: str
    model: str
    runs: int
    passed: int
    turns: Spread | None
    turns_to_goal: Spread | None
    cost: Spread | None
    outcomes: dict[str, int]

    @property
    def pass_hat_k(self) -> float:
        return pass_hat_k(self.runs, self.passed, self.runs)

    @property
    def pass_at_k(self) -> float:
        return pass_at_k(self.runs, self.passed, self.runs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "persona": self.persona,
            "variant": self.variant,
            "model": self.model,
            "runs": self.runs,
            "passed": self.passed,
            "pass_rate": self.passed / self.runs,
            "pass^k": self.pass_hat_k,
            "pass@k": self.pass_at_k,
            "turns": self.turns.to_dict() if self.turns else None,
            "turns_to_goal": self.turns_to_goal.to_dict() if self.turns_to_goal else None,
            "cost_usd": self.cost.to_dict() if self.cost else None,
            "outcomes": self.outcomes,
        }


@dataclass(slots=True)
class CostGates:
    """`--max-cost` (USD per conversation) and `--max-batch-cost` (USD for the whole batch)."""

    per_conversation: float | None = None
    per_batch: float | None = None

    def broken(self, conversations: list[dict[str, Any]]) -> list[str]:
        found = []
        if self.per_conversation is not None:
            for c in conversations:
                if c["cost_usd"] > self.per_conversation:
                    found.append(
                        f"{c['persona']} run {c['run']} cost ${c['cost_usd']:.4f} > --max-cost "
                        f"${self.per_conversation:.4f}"
                    )
        total = sum(c["cost_usd"] for c in conversations)
        if self.per_batch is not None and total > self.per_batch:
            found.append(f"the batch cost ${total:.4f} > --max-batch-cost ${self.per_batch:.4f}")
        return found


@dataclass(slots=True)
class BatchReport:
    conversations: list[dict[str, Any]]
    gates: CostGates = field(default_factory=CostGates)

    @property
    def personas(self) -> list[PersonaSummary]:
        """One summary per persona × variant × model, in the order they were first played."""
        order: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        for c in self.conversations:
            key = (c["persona"], c.get("variant", ""), c.get("model", ""))
            order.setdefault(key, []).append(c)
        out = []
        for (name, variant, model), runs in order.items():
            outcomes: dict[str, int] = {}
            for c in runs:
                outcomes[c["outcome"]] = outcomes.get(c["outcome"], 0) + 1
            out.append(
                PersonaSummary(
                    name,
                    variant,
                    model,
                    len(runs),
                    sum(1 for c in runs if c["passed"]),
                    Spread.of([c["turns"] for c in runs]),
                    Spread.of([c["turns"] for c in runs if c["outcome"] == "goal_reached"]),
                    Spread.of([c["cost_usd"] for c in runs]),
                    outcomes,
                )
            )
        return out

    @property
    def cost_usd(self) -> float:
        return sum(c["cost_usd"] for c in self.conversations)

    @property
    def gate_failures(self) -> list[str]:
        return self.gates.broken(self.conversations)

    @property
    def ok(self) -> bool:
        return all(c["passed"] for c in self.conversations) and not self.gate_failures

    def to_dict(self) -> dict[str, Any]:
        n = len(self.conversations)
        return {
            "conversations": n,
            "passed": sum(1 for c in self.conversations if c["passed"]),
            "pass_rate": (sum(1 for c in self.conversations if c["passed"]) / n) if n else 0.0,
            "cost_usd": round(self.cost_usd, 6),
            "cost_per_conversation_usd": round(self.cost_usd / n, 6) if n else 0.0,
            "gates": self.gate_failures,
            "ok": self.ok,
            "personas": [p.to_dict() for p in self.personas],
            "runs": self.conversations,
        }

    def table(self) -> str:
        """The plain-text table `walab simulate` prints."""
        columns = any(c.get("variant") or c.get("model") for c in self.conversations)
        head = f"{'persona':<26} {'runs':>4} {'pass':>5} {'pass^k':>6} {'pass@k':>6} {'turns':>11} {'to goal':>8} {'cost/conv':>10}"
        width = max([len(column_name(p.variant, p.model)) for p in self.personas] + [15])
        if columns:
            head = f"{'variant @ model':<{width}} " + head
        lines = [head, "-" * len(head)]
        for p in self.personas:
            turns = f"{p.turns.low:g}/{p.turns.median:g}/{p.turns.high:g}" if p.turns else "-"
            goal = f"{p.turns_to_goal.median:g}" if p.turns_to_goal else "-"
            cost = f"${p.cost.median:.4f}" if p.cost else "-"
            column = f"{column_name(p.variant, p.model):<{width}} " if columns else ""
            lines.append(
                f"{column}{p.persona:<26} {p.runs:>4} {p.passed:>5} {p.pass_hat_k:>6.2f} {p.pass_at_k:>6.2f} "
                f"{turns:>11} {goal:>8} {cost:>10}"
            )
        d = self.to_dict()
        lines.append(
            f"\n{d['passed']}/{d['conversations']} conversations passed ({d['pass_rate']:.0%}); "
            f"cost ${d['cost_usd']:.4f} for the batch, ${d['cost_per_conversation_usd']:.4f} per conversation"
        )
        for c in self.conversations:
            if not c["passed"]:
                why = c["error"] or "; ".join(f.splitlines()[0] for f in c["failures"])
                if not why and c.get("rubric"):
                    why = f"rubric {c['rubric']['total']:.2f} < {c['rubric']['threshold']}"
                where = column_name(c.get("variant", ""), c.get("model", ""))
                where = f" · {where}" if where != "default" else ""
                lines.append(
                    f"  FAILED {c['persona']}{where} run {c['run']} ({c['outcome']}): {why}"
                )
        lines += [f"  COST GATE {g}" for g in self.gate_failures]
        return "\n".join(lines)


def column_name(variant: str, model: str) -> str:
    """`variant @ model` as compare names a column (`default` for the flow's own prompt)."""
    return (variant or "default") + (f" @ {model}" if model else "")
