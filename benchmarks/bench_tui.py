"""Chat TUI benchmark: what a long thread costs a send and the start-up, and time to interactive.

    .venv/bin/python benchmarks/bench_tui.py [--rounds 5] [--sends 20]

Measured with Textual's Pilot on a scripted lab session (tests/tui/fake_lab.py), headless at
120x36, so only the TUI's own work is timed. Each figure is the same measurement on a thread of 0
and of 2,000 messages in the same run, alternating; the Pilot harness has a fixed floor of its
own, so the difference is what matters:

- send: Enter in the composer -> the user's bubble mounted and the screen settled (median), wall
  and CPU time of this process (CPU is what to judge on a shared, loaded machine);
- start-up: app start -> the session's thread shown and the screen settled;
- baseline: the same 2,000 messages with every bubble mounted (no window), once;
- time to interactive: `python -m lab chat` in a subprocess (real session, embedded target) ->
  the composer focused and accepting keys, and -> the session open (target shown), from exec.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "tui"))

SIZE = (120, 36)


async def _run(
    history: int, sends: int, window: int | None = None
) -> tuple[tuple[float, float], list[tuple[float, float]]]:
    from fake_lab import FakeLab

    from lab.config import Settings
    from lab.tui.app import WalabApp
    from lab.tui.widgets.chat_pane import ChatPane
    from lab.tui.widgets.composer import Composer

    lab = FakeLab(history=history)  # built before the clock starts: only the TUI is timed

    @asynccontextmanager
    async def opening():
        yield lab

    kw = {"window": window} if window else {}
    app = WalabApp(opening, Settings(project_dir=ROOT), clock_interval=0, **kw)
    app.animation_level = "none"
    t0, c0 = time.perf_counter(), time.process_time()
    async with app.run_test(size=SIZE) as pilot:
        while app.chat.lab is None:
            await pilot.pause(0)
        await pilot.pause()
        startup = (time.perf_counter() - t0, time.process_time() - c0)
        pane = app.chat.query_one(ChatPane)
        composer = app.chat.query_one(Composer)
        times = []
        for i in range(sends):
            composer.value = f"mensagem {i}"
            before = len(pane.items)
            t, c = time.perf_counter(), time.process_time()
            await pilot.press("enter")
            while len(pane.items) == before:
                await pilot.pause(0)
            await pilot.pause()  # mounted, laid out, painted
            times.append((time.perf_counter() - t, time.process_time() - c))
            busy = [w for w in app.workers if w.group != "lab" and not w.is_finished]
            if busy:
                await app.workers.wait_for_complete(busy)
            await pilot.pause()
        assert window or pane.mounted_count <= pane.window + pane.slack
    return startup, times


def time_to_interactive() -> tuple[float, float, float]:
    """Seconds from exec to the composer accepting keys, and to the session open (real Lab)."""
    probe = ROOT / "benchmarks" / "_tti_probe.py"
    out = subprocess.run(
        [sys.executable, str(probe)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    marks = dict(line.split("=") for line in out.stdout.split() if "=" in line)
    if "interactive" not in marks:
        raise SystemExit(f"probe failed: {out.stdout}\n{out.stderr}")
    return (
        float(marks["interactive"]),
        float(marks.get("opened", "nan")),
        float(marks.get("cpu", "nan")),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sends", type=int, default=20)
    args = parser.parse_args()
    keys = ("startup", "send", "startup_cpu", "send_cpu")
    results: dict[int, dict[str, list[float]]] = {h: {k: [] for k in keys} for h in (0, 2000)}
    asyncio.run(_run(0, 2))  # warm imports and caches
    for r in range(args.rounds):
        for history in (0, 2000) if r % 2 == 0 else (2000, 0):
            startup, sends = asyncio.run(_run(history, args.sends))
            results[history]["startup"].append(startup[0])
            results[history]["startup_cpu"].append(startup[1])
            results[history]["send"].append(statistics.median(w for w, _ in sends))
            results[history]["send_cpu"].append(statistics.median(c for _, c in sends))
    med = {h: {k: statistics.median(v) * 1000 for k, v in d.items()} for h, d in results.items()}
    print(
        f"rounds={args.rounds} sends/round={args.sends} size={SIZE[0]}x{SIZE[1]} cpus={os.cpu_count()}"
    )
    for what in keys:
        a, b = med[0][what], med[2000][what]
        print(
            f"{what:11}  0 msgs {a:8.1f} ms   2000 msgs {b:8.1f} ms   difference {b - a:+7.1f} ms   ratio {b / a:5.2f}"
        )
    # Baseline in the same run: no window, every bubble mounted (one widget tree per message).
    (naive_start, _), naive_sends = asyncio.run(_run(2000, 5, window=10**6))
    print(
        f"baseline, all 2000 bubbles mounted: startup {naive_start * 1000:.0f} ms "
        f"(+{naive_start * 1000 - med[0]['startup']:.0f} ms over 0 msgs), "
        f"send {statistics.median(w for w, _ in naive_sends) * 1000:.0f} ms "
        f"(+{statistics.median(w for w, _ in naive_sends) * 1000 - med[0]['send']:.0f} ms)"
    )
    ttis = [time_to_interactive() for _ in range(3)]
    print(
        f"time to interactive (exec -> composer ready): {statistics.median(t[0] for t in ttis) * 1000:.0f} ms; "
        f"CPU by then {statistics.median(t[2] for t in ttis) * 1000:.0f} ms; "
        f"session open (target shown): {statistics.median(t[1] for t in ttis) * 1000:.0f} ms"
    )
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
