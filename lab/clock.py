"""The virtual clock shared by the phone, the sandbox (24-hour window) and the engine."""

from __future__ import annotations

import math
import re
import time
from datetime import datetime, timedelta, timezone

from lab.errors import ConfigError


class VirtualClock:
    """Wall time plus an offset a person can advance (`/advance 25h`), or frozen for replay.

    Args:
        start: frozen start instant (UTC). None follows the wall clock.
        frozen: when True, time only moves by `advance()` (deterministic tests).
    """

    def __init__(self, start: datetime | None = None, *, frozen: bool | None = None) -> None:
        self._frozen = start is not None if frozen is None else frozen
        self._base = (start or datetime.now(timezone.utc)).timestamp()
        self._wall0 = time.time()
        self._offset = 0.0

    def time(self) -> float:
        """Seconds since the epoch on the virtual clock."""
        if self._frozen:
            return self._base + self._offset
        return time.time() + self._offset

    def now(self) -> datetime:
        """The virtual now, as an aware UTC datetime."""
        return datetime.fromtimestamp(self.time(), timezone.utc)

    def advance(self, delta: timedelta | float) -> None:
        """Move the clock forward by a timedelta or seconds (callers check how far: `lab.limits`)."""
        seconds = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(
                f"the virtual clock moves forward by a finite time, not {seconds!r} seconds"
            )
        self._offset += seconds

    def tick(self, seconds: float = 1.0) -> float:
        """On a frozen clock, advance a little and return the new time (distinct timestamps)."""
        if self._frozen:
            self._offset += seconds
        return self.time()


def parse_duration(text: str) -> timedelta:
    """Parse `25h`, `90m`, `2d`, `30s`, `1h30m` or ISO-8601 `PT25H` into a timedelta."""

    s = text.strip()
    try:
        return _parse_duration(s)
    except OverflowError:
        raise ConfigError(
            f"the duration {text[:40]!r} is too long to count", fix="write a shorter duration"
        ) from None


def _parse_duration(s: str) -> timedelta:
    text = s
    iso = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?", s.upper())
    if iso and any(iso.groups()):
        d, h, m, sec = iso.groups()
        return timedelta(
            days=int(d or 0), hours=int(h or 0), minutes=int(m or 0), seconds=float(sec or 0)
        )
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([dhms])", s.lower())
    if not parts or "".join(a + b for a, b in parts) != re.sub(r"\s+", "", s.lower()):
        raise ConfigError(
            f"not a duration: {text!r}", fix="write it like 25h, 90m, 2d, 1h30m or PT25H"
        )
    unit = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    return timedelta(seconds=sum(float(n) * unit[u] for n, u in parts))


def duration_text(seconds: float) -> str:
    """A clock move as a person writes it: `25h`, `1h30m`, `45s` (what `parse_duration` reads).

    Seconds are dropped from a move of an hour or more: in the TUI the virtual clock follows the
    wall clock, so the seconds a person took to type (9 s after `/advance 25h`) are part of a
    measured gap and mean nothing to the flow.
    """
    total = int(seconds) // 60 * 60 if seconds >= 3600 else int(seconds)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return "".join(f"{n}{unit}" for n, unit in ((h, "h"), (m, "m"), (s, "s")) if n) or "0s"
