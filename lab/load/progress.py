"""The live progress line of a load run, printed by the Locust master (or the single process).

    12s users 50 · turns 230 (18.5/s) · lost 0 · dup 0 · ack p50/p99 4/19 ms · first reply p50/p95/p99 …
        · turn p50/p95/p99 … · meta 130429×3 · kestra 500×1

Percentiles come from Locust's own statistics (aggregated across workers); the turn counts and
the Meta and Kestra errors come from the turn records as they arrive.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any, Callable, TextIO

import gevent

from lab.load.records import TurnLog

ACK, FIRST_REPLY, TURN = "webhook ack", "first reply", "turn"


class Progress:
    """Counts what the records say and prints one line per period."""

    def __init__(self, environment: Any, log: Callable[[], TurnLog], out: TextIO) -> None:
        self.environment = environment
        self._log = log
        self.out = out
        self.start = time.time()
        self.turns = 0
        self.lost = 0
        self.duplicated = 0
        self.failed_checks = 0
        self.meta: Counter[int] = Counter()
        self.kestra: Counter[str] = Counter()
        self._window: list[tuple[float, int]] = []

    def loop(self, every: float) -> None:
        while True:
            gevent.sleep(every)
            self.out.write(self.line() + "\n")
            self.out.flush()

    def line(self) -> str:
        now = time.time()
        for record in self._log().take_recent():
            self.turns += 1
            outcome = record.get("outcome")
            self.lost += outcome in ("ack_failed", "timeout")
            self.failed_checks += outcome == "check_failed"
            self.duplicated += record.get("duplicated", 0)
            self.meta.update(record.get("meta_errors") or ())
            if outcome == "ack_failed":
                self.kestra[str(record.get("ack_status"))] += 1
        self._window.append((now, self.turns))
        self._window = [w for w in self._window if now - w[0] <= 10.0]
        t0, n0 = self._window[0]
        rate = (self.turns - n0) / (now - t0) if now > t0 else 0.0
        stats = self.environment.stats
        parts = [
            f"{now - self.start:4.0f}s users {self.environment.runner.user_count}",
            f"turns {self.turns} ({rate:.1f}/s)",
            f"lost {self.lost}",
            f"dup {self.duplicated}",
            f"checks failed {self.failed_checks}",
            f"ack p50/p99 {_pcts(stats, ACK, 'POST', (0.5, 0.99))}",
            f"first reply p50/p95/p99 {_pcts(stats, FIRST_REPLY, 'WA', (0.5, 0.95, 0.99))}",
            f"turn p50/p95/p99 {_pcts(stats, TURN, 'WA', (0.5, 0.95, 0.99))}",
        ]
        if self.meta:
            parts.append("meta " + " ".join(f"{code}×{n}" for code, n in self.meta.most_common(4)))
        if self.kestra:
            parts.append(
                "kestra " + " ".join(f"{code}×{n}" for code, n in self.kestra.most_common(4))
            )
        return " · ".join(parts)


def _pcts(stats: Any, name: str, method: str, points: tuple[float, ...]) -> str:
    entry = stats.entries.get((name, method))
    if entry is None or not entry.num_requests:
        return "-"
    return "/".join(f"{entry.get_response_time_percentile(p):.0f}" for p in points) + " ms"
