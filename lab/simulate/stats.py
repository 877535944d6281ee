"""Repeat runs: pass^k (every one of k runs passes) and pass@k (at least one does), with spreads.

With n runs of which c passed, the unbiased estimates over k-subsets are
pass^k = C(c, k) / C(n, k) and pass@k = 1 - C(n - c, k) / C(n, k); with n = k they are
"all passed" and "any passed".
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from math import comb


def pass_hat_k(n: int, c: int, k: int) -> float:
    """The chance that k runs drawn from the n made all pass (c passed)."""
    _check(n, c, k)
    return comb(c, k) / comb(n, k)


def pass_at_k(n: int, c: int, k: int) -> float:
    """The chance that at least one of k runs drawn from the n made passes (c passed)."""
    _check(n, c, k)
    return 1.0 - comb(n - c, k) / comb(n, k)


def _check(n: int, c: int, k: int) -> None:
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= passed ({c}) <= runs ({n}) and 1 <= k ({k}) <= runs")


@dataclass(frozen=True, slots=True)
class Spread:
    """Minimum, median and maximum of a measure over runs."""

    low: float
    median: float
    high: float

    @classmethod
    def of(cls, values: list[float]) -> Spread | None:
        return cls(min(values), statistics.median(values), max(values)) if values else None

    def to_dict(self) -> dict[str, float]:
        return {"min": self.low, "median": self.median, "max": self.high}
