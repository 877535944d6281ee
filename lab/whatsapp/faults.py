"""Deterministic fault injection for the sandbox, scriptable per run.

sandbox.faults.fail_next(2, 130429)     # next 2 sends: rate limit (sync, with its headers)
sandbox.faults.fail_next(1, 131026)     # next send: accepted, then a `failed` status
sandbox.faults.server_error(1)          # next send: HTTP 500, code 131000
sandbox.faults.duplicate_next(3)        # next 3 webhook deliveries are posted twice
sandbox.faults.delay_statuses(5.0)      # statuses reach the bot 5 s (real time) later
sandbox.faults.hold(1, 20.0)            # next send: answered 20 s (real time) later (a timeout)
sandbox.faults.throughput(80)           # messages/s per number before 130429 (Meta's default tier)
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field

from lab import limits
from lab.errors import ConfigError
from lab.whatsapp.errors import kind

# The faults a scenario step or the composer arms by name (`Faults.arm`), each a method below.
FAULT_NAMES = (
    "rate_limit",
    "fail_next",
    "server_error",
    "duplicate_next",
    "hold",
    "delay_statuses",
)
# What a fault may say besides its count: the Meta code of fail_next, server_error's HTTP status,
# how long a held send waits for its answer. (delay_statuses' count is its delay in seconds.)
FAULT_OPTIONS = {
    "fail_next": ("code", "details"),
    "server_error": ("http_status",),
    "hold": ("seconds",),
}
HOLD_SECONDS = 20.0  # a held answer, by default: past the usual HTTP client timeouts (10-15 s)


@dataclass(frozen=True, slots=True)
class Fault:
    """One scripted failure of a send."""

    code: int
    details: str | None = None
    http_status: int | None = None

    @property
    def asynchronous(self) -> bool:
        return kind(self.code).asynchronous


@dataclass
class Faults:
    """The fault script of one sandbox run; every method is deterministic (no randomness)."""

    _queue: deque[Fault] = field(default_factory=deque)
    _holds: deque[float] = field(default_factory=deque)
    _duplicates: int = 0
    status_delay: float = 0.0
    _rate: float | None = None
    _window_start: float = 0.0
    _window_count: int = 0

    def fail_next(self, n: int = 1, code: int = 131000, details: str | None = None) -> None:
        """The next n sends fail with this Meta code (asynchronous codes fail by status webhook)."""
        n = limits.count(n, "fail_next", limits.MAX_FAULT_COUNT - len(self._queue))
        code = limits.count(code, "the error code", limits.MAX_ERROR_CODE, minimum=1)
        self._queue.extend(Fault(code, None if details is None else str(details)) for _ in range(n))

    def rate_limit(self, n: int = 1) -> None:
        self.fail_next(n, 130429)

    def server_error(self, n: int = 1, http_status: int = 500) -> None:
        """The next n sends answer 5xx: 500 (131000 Something went wrong) or 503 (2, service unavailable)."""
        n = limits.count(n, "server_error", limits.MAX_FAULT_COUNT - len(self._queue))
        if http_status not in (500, 503):
            raise ConfigError(
                f"http_status must be 500 or 503, not {http_status!r}",
                fix="write http_status: 500 or http_status: 503",
            )
        code = 2 if http_status == 503 else 131000
        self._queue.extend(Fault(code, None, http_status) for _ in range(n))

    def duplicate_next(self, n: int = 1) -> None:
        """The next n webhook deliveries (statuses, or inbound posts that consult this) go out twice."""
        self._duplicates += limits.count(
            n, "duplicate_next", limits.MAX_FAULT_COUNT - self._duplicates
        )

    def hold(self, n: int = 1, seconds: float = HOLD_SECONDS) -> None:
        """The next n sends are answered `seconds` (real time) late: a slow Graph API, or one that
        times out when the bot's HTTP client gives up first."""
        n = limits.count(n, "hold", limits.MAX_FAULT_COUNT - len(self._holds))
        held = limits.seconds(float(seconds), "hold seconds", limits.MAX_STATUS_DELAY_S)
        self._holds.extend(held for _ in range(n))

    async def wait_if_held(self) -> None:
        """Before a send is answered: wait as long as a hold says (nothing when none is armed)."""
        if self._holds:
            await asyncio.sleep(self._holds.popleft())

    def delay_statuses(self, seconds: float) -> None:
        self.status_delay = limits.seconds(seconds, "delay_statuses", limits.MAX_STATUS_DELAY_S)

    def throughput(self, per_second: float | None) -> None:
        """Sends beyond this many per second (per number) get 130429; None lifts the limit."""
        self._rate = (
            None
            if per_second is None
            else limits.seconds(
                per_second, "throughput", limits.MAX_THROUGHPUT, unit="sends per second"
            )
        )
        self._window_start, self._window_count = 0.0, 0

    def arm(self, name: str, count: int = 1, **options: object) -> None:
        """Arm the fault `name` (one of FAULT_NAMES) for the next `count` sends or deliveries."""
        if name not in FAULT_NAMES:
            raise ValueError(f"unknown fault {name!r}: one of {', '.join(FAULT_NAMES)}")
        allowed = FAULT_OPTIONS.get(name, ())
        extra = sorted(set(options) - set(allowed))
        if extra:
            raise ValueError(f"fault {name} takes no {extra[0]!r}")
        getattr(self, name)(count, **options)

    def clear(self) -> None:
        self._queue.clear()
        self._holds.clear()
        self._duplicates = 0
        self.status_delay = 0.0
        self._rate = None

    @property
    def armed(self) -> bool:
        """Cheap check for the hot path: is anything scripted?"""
        return bool(self._queue) or self._rate is not None

    def take(self) -> Fault | None:
        """The fault for the send being handled, if any."""
        if self._queue:
            return self._queue.popleft()
        if self._rate is not None:
            now = time.monotonic()
            if now - self._window_start >= 1.0:
                self._window_start, self._window_count = now, 0
            self._window_count += 1
            if self._window_count > self._rate:
                return Fault(130429)
        return None

    def take_duplicate(self) -> int:
        """How many extra copies the next webhook delivery gets (0 or 1)."""
        if self._duplicates > 0:
            self._duplicates -= 1
            return 1
        return 0
