"""Model faults, scripted: the gateway answers the next chat calls as a failing or slow model would.

    gateway.faults.rate_limit(1)        # next call: 429 rate_limit_exceeded, in OpenAI's shape
    gateway.faults.server_error(2)      # next 2 calls: 500 server_error
    gateway.faults.slow(1, 3.0)         # next call: answered 3 s (real time) later

A scenario arms them with a `fault:` step (`model_rate_limit: 1`, `model_slow: 1, seconds: 3`);
a load run's fault plan arms one on the calls its draw picks. In every LLM mode (replay, scripted,
live, record), as the failures come from the model's side of the gateway; a refused call is
metered like any other.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from lab import limits
from lab.llm.scripted import ScriptedReply

# The faults by name (a scenario step prefixes them `model_`), each a method below.
MODEL_FAULT_NAMES = ("rate_limit", "server_error", "slow")
MODEL_FAULT_OPTIONS = {"slow": ("seconds",)}
SLOW_SECONDS = 2.0
MAX_SLOW_S = 300.0


@dataclass(frozen=True, slots=True)
class ModelFault:
    """One scripted call: an HTTP error status (OpenAI's body for it), or a delay before answering."""

    status: int | None = None
    seconds: float = 0.0

    @property
    def reply(self) -> ScriptedReply:
        """The error as a scripted reply words it (OpenAI's type, code and message)."""
        return ScriptedReply(error=self.status)


@dataclass
class ModelFaults:
    """The model fault script of one gateway; deterministic (no randomness)."""

    _queue: deque[ModelFault] = field(default_factory=deque)

    def rate_limit(self, n: int = 1) -> None:
        self._add(n, "model_rate_limit", ModelFault(429))

    def server_error(self, n: int = 1) -> None:
        self._add(n, "model_server_error", ModelFault(500))

    def slow(self, n: int = 1, seconds: float = SLOW_SECONDS) -> None:
        held = limits.seconds(float(seconds), "model_slow seconds", MAX_SLOW_S)
        self._add(n, "model_slow", ModelFault(None, held))

    def arm(self, name: str, count: int = 1, **options: object) -> None:
        """Arm the fault `name` (one of MODEL_FAULT_NAMES) for the next `count` chat calls."""
        if name not in MODEL_FAULT_NAMES:
            raise ValueError(f"unknown model fault {name!r}: one of {', '.join(MODEL_FAULT_NAMES)}")
        extra = sorted(set(options) - set(MODEL_FAULT_OPTIONS.get(name, ())))
        if extra:
            raise ValueError(f"model fault {name} takes no {extra[0]!r}")
        getattr(self, name)(count, **options)

    def take(self) -> ModelFault | None:
        """The fault for the chat call being answered, if any."""
        return self._queue.popleft() if self._queue else None

    def clear(self) -> None:
        self._queue.clear()

    def _add(self, n: int, what: str, fault: ModelFault) -> None:
        n = limits.count(n, what, limits.MAX_FAULT_COUNT - len(self._queue))
        self._queue.extend(fault for _ in range(n))
