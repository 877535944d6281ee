"""Benchmark: opening a lab, what every replayed scenario pays before its first turn.

`Lab.open` on whatsapp_agent (embedded engine, in-process lab server) in replay mode from the
project's largest cassette (scenarios/whatsapp_agent/greeting_plans.cassette.yaml), opened and
closed repeatedly in one process; the first open (imports, first deploy) is reported apart.
Baseline in the same run: the same open in scripted mode, which reads no cassette, so the ratio
is what the cassette adds to an open. Target: a replay open <= 20 ms.

    .venv/bin/python benchmarks/bench_open.py [--opens 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lab.config import load_settings  # noqa: E402
from lab.conversation.lab import Lab  # noqa: E402
from lab.llm.scripted import ScriptedReplies  # noqa: E402

CLOCK = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)
CASSETTE = ROOT / "scenarios" / "whatsapp_agent" / "greeting_plans.cassette.yaml"


async def open_ms(settings, **options) -> float:
    started = time.perf_counter()
    async with Lab.open(settings, clock_start=CLOCK, **options):
        opened = time.perf_counter()
    return (opened - started) * 1000


async def measure(opens: int) -> dict:
    replay = load_settings(ROOT, env={}, flow="whatsapp_agent", llm_mode="replay")
    scripted = load_settings(ROOT, env={}, flow="whatsapp_agent", llm_mode="scripted")
    script = ScriptedReplies([{"match": ".*", "reply": '{"text": "Olá!"}'}], source="bench")
    first = await open_ms(replay, cassette=CASSETTE)
    replays, baseline = [], []
    for _ in range(opens):  # interleaved: both see the same machine load
        replays.append(await open_ms(replay, cassette=CASSETTE))
        baseline.append(await open_ms(scripted, scripted=script))
    return {
        "first": first,
        "replay": statistics.median(replays),
        "scripted": statistics.median(baseline),
        "replay_p90": sorted(replays)[int(0.9 * (len(replays) - 1))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opens", type=int, default=30)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    r = asyncio.run(measure(args.opens))
    print(
        f"load average {load:.2f}; cassette {CASSETTE.relative_to(ROOT)} ({CASSETTE.stat().st_size} bytes)"
    )
    print(f"first open (imports, first deploy): {r['first']:.1f} ms")
    print(
        f"replay open, median of {args.opens}: {r['replay']:.1f} ms (p90 {r['replay_p90']:.1f} ms; target <= 20 ms)"
    )
    print(
        f"scripted open (no cassette), same run: {r['scripted']:.1f} ms; "
        f"replay / scripted: {r['replay'] / r['scripted']:.2f}"
    )


if __name__ == "__main__":
    main()
