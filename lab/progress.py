"""The progress of a batch run (`walab compare`, `walab simulate`): done/total, elapsed, cost so far.

    [3/8] #########............... 2.1 s · $0.000517 so far · dona_cida run 2: ok

On a terminal the bar redraws one line in place, and an item that failed stays printed above it;
elsewhere (CI logs, a pipe) each finished item is a line of its own.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import TextIO


@dataclass
class ProgressBar:
    """Items finished out of `total`, the time since the bar was made and the cost so far."""

    total: int
    out: TextIO = field(default_factory=lambda: sys.stderr)
    live: bool | None = None  # redraw in place; None: when `out` is a terminal
    width: int = 24
    started: float = field(default_factory=time.perf_counter)
    done: int = 0
    cost_usd: float = 0.0
    _drawn: bool = False

    def __post_init__(self) -> None:
        if self.live is None:
            self.live = bool(getattr(self.out, "isatty", lambda: False)())

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def line(self, what: str = "") -> str:
        """The bar as text (no line end)."""
        filled = self.width * self.done // self.total if self.total else self.width
        bar = "#" * filled + "." * (self.width - filled)
        text = (
            f"[{self.done}/{self.total}] {bar} {self.elapsed:.1f} s · ${self.cost_usd:.6f} so far"
        )
        return f"{text} · {what}" if what else text

    def advance(self, what: str, *, ok: bool = True, cost_usd: float | None = 0.0) -> None:
        """One more item finished (`what` says which and how), costing `cost_usd` (None: unknown)."""
        self.done += 1
        self.cost_usd += cost_usd or 0.0
        self.show(what, ok=ok)

    def show(self, what: str = "", *, ok: bool = True) -> None:
        """Draw the bar as it stands; on a terminal a failed item's line stays above the bar."""
        if not self.live:
            print(self.line(what), file=self.out, flush=True)
            return
        if not ok:
            self.out.write("\r\x1b[2K" + self.line(what) + "\n")
        self.out.write("\r\x1b[2K" + self.line(what if ok else ""))
        self.out.flush()
        self._drawn = True

    def close(self) -> None:
        """End the redrawn line (nothing to do for printed lines)."""
        if self.live and self._drawn:
            self.out.write("\n")
            self.out.flush()
            self._drawn = False
