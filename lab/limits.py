"""The limits a real test needs, checked where counts, durations and clock moves enter the lab.

A fault count of 10^30 or a clock move of 10^9 days is never a test: it is a typo or an attack,
and it would fill memory or overflow a timestamp later, far from where it was written. Each value
is checked where it enters (the control API, scenario files, the composer, `Lab` calls) and
refused with the limit in the message.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from lab.clock import parse_duration
from lab.errors import ConfigError

MAX_FAULT_COUNT = 1_000
"""Sends or deliveries one fault script may cover (a retry test needs a handful)."""
MAX_DUPLICATES = 10
"""Extra copies of one webhook (Meta redelivers a few times)."""
MAX_CLOCK_MOVE = timedelta(days=366)
"""One move of the virtual clock (the 24-hour window, week-long TTLs: a year is plenty)."""
MAX_STATUS_DELAY_S = 300.0
"""Real seconds status webhooks may be held back."""
MAX_WAIT_S = 600.0
"""Real seconds a scenario may wait for a status."""
MAX_THROUGHPUT = 1_000_000.0
"""Sends per second the throughput fault may allow (Meta's highest tier is 1,000)."""
MAX_REPEAT = 100
"""Runs of one live scenario case."""
MAX_ERROR_CODE = 2**31 - 1


def count(value: Any, what: str, limit: int, *, minimum: int = 0) -> int:
    """A whole number in [minimum, limit], or a ConfigError saying the limit."""
    integral_float = (
        isinstance(value, float) and value.is_integer()
    )  # JSON's 1e8, or an integer past 2^64
    if not integral_float and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(
            f"{what} must be a whole number from {minimum} to {limit:,}, not {_shown(value)}",
            fix=f"write a number from {minimum} to {limit:,}",
        )
    if not minimum <= value <= limit:
        shown = f"{value:g}" if integral_float else _shown(value)
        raise ConfigError(
            f"{what} is {shown}, outside {minimum} to {limit:,}",
            fix=f"write a number from {minimum} to {limit:,} (the most a real test needs)",
        )
    return int(value)


def seconds(value: Any, what: str, limit: float, *, unit: str = "seconds") -> float:
    """A finite number (of seconds, or `unit`) in [0, limit], or a ConfigError saying the limit."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(
            f"{what} must be a number of {unit}, not {_shown(value)}",
            fix=f"write {unit} from 0 to {limit:,g}",
        )
    if not math.isfinite(value) or not 0 <= value <= limit:
        raise ConfigError(
            f"{what} is {_shown(value)} {unit}, outside 0 to {limit:,g}",
            fix=f"write {unit} from 0 to {limit:,g} (the most a real test needs)",
        )
    return float(value)


def clock_move(value: Any, what: str = "the clock move") -> timedelta:
    """A forward move of the virtual clock: a duration text (25h, PT25H), seconds or a timedelta,
    at most MAX_CLOCK_MOVE."""

    if isinstance(value, str):
        delta = parse_duration(value)
    elif isinstance(value, timedelta):
        delta = value
    else:
        delta = timedelta(seconds=seconds(value, what, MAX_CLOCK_MOVE.total_seconds()))
    if not timedelta(0) <= delta <= MAX_CLOCK_MOVE:
        raise ConfigError(
            f"{what} of {_shown(value)} is outside 0 to {MAX_CLOCK_MOVE.days} days",
            fix=f"move the clock forward by at most {MAX_CLOCK_MOVE.days} days at a time",
        )
    return delta


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
