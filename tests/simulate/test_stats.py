"""pass^k and pass@k arithmetic, the batch report and its cost gates."""

from __future__ import annotations

import pytest

from lab.simulate.report import BatchReport, CostGates
from lab.simulate.stats import Spread, pass_at_k, pass_hat_k


def test_pass_hat_k_and_pass_at_k() -> None:
    assert pass_hat_k(3, 3, 3) == 1.0 and pass_at_k(3, 3, 3) == 1.0
    assert pass_hat_k(3, 2, 3) == 0.0 and pass_at_k(3, 2, 3) == 1.0
    assert pass_hat_k(3, 0, 3) == 0.0 and pass_at_k(3, 0, 3) == 0.0
    # 5 runs, 4 passed: pass^2 = C(4,2)/C(5,2) = 6/10; pass@2 = 1 - C(1,2)/C(5,2) = 1
    assert pass_hat_k(5, 4, 2) == pytest.approx(0.6) and pass_at_k(5, 4, 2) == 1.0
    # 4 runs, 1 passed: pass@2 = 1 - C(3,2)/C(4,2) = 1 - 3/6
    assert pass_at_k(4, 1, 2) == pytest.approx(0.5) and pass_hat_k(4, 1, 2) == 0.0
    assert pass_hat_k(1, 1, 1) == 1.0
    with pytest.raises(ValueError):
        pass_hat_k(3, 4, 3)
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 4)


def _conv(
    persona: str, run: int, passed: bool, turns: int, cost: float, outcome: str = "goal_reached"
) -> dict:
    return {
        "persona": persona,
        "run": run,
        "passed": passed,
        "outcome": outcome if passed else "gave_up",
        "turns": turns,
        "cost_usd": cost,
        "error": None,
        "failures": [] if passed else ["step 0: x"],
        "rubric": None,
    }


def test_report_gives_pass_k_spreads_and_batch_cost() -> None:
    report = BatchReport(
        [
            _conv("a", 1, True, 4, 0.01),
            _conv("a", 2, False, 9, 0.03),
            _conv("a", 3, True, 6, 0.02),
            _conv("b", 1, True, 3, 0.005),
        ]
    )
    a, b = report.personas
    assert (a.runs, a.passed, a.pass_hat_k, a.pass_at_k) == (3, 2, 0.0, 1.0)
    assert a.turns == Spread(4, 6, 9) and a.turns_to_goal == Spread(4, 5, 6)
    assert a.cost.high == 0.03 and b.pass_hat_k == 1.0
    data = report.to_dict()
    assert data["pass_rate"] == 0.75 and data["cost_usd"] == pytest.approx(0.065)
    assert data["cost_per_conversation_usd"] == pytest.approx(0.01625)
    assert not report.ok and "FAILED a run 2" in report.table()


def test_cost_gates() -> None:
    runs = [_conv("a", 1, True, 4, 0.01), _conv("a", 2, True, 5, 0.04)]
    assert BatchReport(runs, CostGates(per_conversation=0.05, per_batch=0.06)).ok
    per_conv = BatchReport(runs, CostGates(per_conversation=0.02))
    assert not per_conv.ok and per_conv.gate_failures == [
        "a run 2 cost $0.0400 > --max-cost $0.0200"
    ]
    batch = BatchReport(runs, CostGates(per_batch=0.045))
    assert not batch.ok and "the batch cost $0.0500 > --max-batch-cost $0.0450" in batch.table()
