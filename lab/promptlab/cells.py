"""A cell of the prompt lab's matrix: one row (a scenario, or a persona's simulated conversations)
played with one prompt variant and one model, and the turns it played."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

FAILED_STATES = frozenset({"FAILED", "KILLED", "CANCELLED", "timeout", "error"})


@dataclass(slots=True)
class TurnResult:
    """One turn of a cell: what the user sent and the replies as WhatsApp shows them."""

    user: str
    replies: list[str]
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float | None = 0.0
    latency_ms: float | None = None
    state: str = "SUCCESS"  # the turn's execution state: a FAILED one's replies are a fallback, not an answer

    @property
    def failed(self) -> bool:
        return self.state in FAILED_STATES


@dataclass(slots=True)
class Cell:
    """One scenario case played with one prompt variant and one model."""

    scenario: str
    variant: str
    model: str
    passed: bool = False
    checks_passed: int = 0
    checks_failed: int = 0
    failures: list[str] = field(default_factory=list)
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float | None = 0.0
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    turns: list[TurnResult] = field(default_factory=list)
    runs: int = 1
    passed_runs: int = 0
    error: str | None = None
    seconds: float = 0.0
    recorded: bool = (
        False  # update mode: the cassette lacked this prompt/model, so the cell was re-recorded
    )
    needs_recording: bool = (
        False  # update mode: it lacked them, and no upstream is configured to record them
    )
    cassette_miss: bool = False  # a replayed call found no recording
    hint: str | None = None  # what to do about a failure whose cause is known (a replay miss)
    kind: str = "scenario"  # or "persona": the row is a persona's simulated conversations
    outcomes: list[str] = field(default_factory=list)  # persona: how each run ended
    rubrics: list[dict[str, Any]] = field(default_factory=list)  # persona: each run's verdict
    pass_hat_k: float | None = None  # persona: every one of the k runs passed
    pass_at_k: float | None = None  # persona: at least one did

    @property
    def rubric_score(self) -> float | None:
        """The rubric's weighted score, averaged over the runs (None for a scenario)."""
        totals = [r["total"] for r in self.rubrics]
        return sum(totals) / len(totals) if totals else None

    @property
    def reason(self) -> str | None:
        """The first failure in one line: where it happened and what was seen instead."""
        if not self.failures:
            return self.error
        lines = [ln.strip() for ln in self.failures[0].splitlines() if ln.strip()]
        actual = next(
            (ln.removeprefix("actual:").strip() for ln in lines[1:] if ln.startswith("actual:")),
            None,
        )
        return f"{lines[0]}: {actual}" if actual and lines else (lines[0] if lines else None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return float(ordered[int(rank) - 1])
