"""Does `gc.freeze()` after start-up help the embedded engine? bench_engine's measurement, run
alternately without and with a freeze after the warm-up (the objects of start-up, the deployed flow
and 200 executions leave the collector's reach), three rounds each; medians reported.

Usage: .venv/bin/python benchmarks/bench_engine_gc.py [N]   (writes benchmarks/results/engine-gc-freeze.md)
"""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_engine  # noqa: E402


def figures(report: str) -> tuple[float, float, float]:
    """p50 and p99 (ms) one at a time, and CPU ms per execution, from bench_engine's report."""
    row = next(line for line in report.splitlines() if line.startswith("| webhook -> terminal"))
    cpu = next(
        line for line in report.splitlines() if line.startswith("| CPU time per execution, one")
    )
    cells, cpu_cells = row.split("|"), cpu.split("|")
    return float(cells[2]), float(cells[3]), float(cpu_cells[2])


def run(n: int, freeze: bool) -> tuple[float, float, float]:
    # bench_engine calls gc.collect() right after its warm-up: freeze there too when asked.
    bench_engine.gc = types.SimpleNamespace(
        collect=lambda: (gc.collect(), gc.freeze() if freeze else None)
    )
    try:
        return figures(asyncio.run(bench_engine.main(n)))
    finally:
        gc.unfreeze()


def main(n: int) -> str:
    rounds: dict[bool, list[tuple[float, float, float]]] = {False: [], True: []}
    for _ in range(3):
        for freeze in (False, True):
            rounds[freeze].append(run(n, freeze))
    med = {k: [statistics.median(r[i] for r in v) for i in range(3)] for k, v in rounds.items()}
    plain, frozen = med[False], med[True]
    lines = [
        f"| {name} | {m[0]:.3f} | {m[1]:.3f} | {m[2]:.3f} |"
        for name, m in (("no freeze", plain), ("gc.freeze() after warm-up", frozen))
    ]
    return f"""# Embedded engine: gc.freeze() after start-up

Command: `.venv/bin/python benchmarks/bench_engine_gc.py {n}`  
Machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} while measuring.
bench_engine's flow and measurement ({n} executions one at a time after 200 warm-up), alternately
without and with `gc.freeze()` after the warm-up, three rounds each, medians:

| run | p50 (ms) | p99 (ms) | CPU ms per execution |
|---|---:|---:|---:|
{chr(10).join(lines)}

Ratio frozen / plain: p50 {frozen[0] / plain[0]:.2f}, p99 {frozen[1] / plain[1]:.2f}, CPU {frozen[2] / plain[2]:.2f}.
{verdict(frozen[1] / plain[1])}
"""


def verdict(p99_ratio: float) -> str:
    if p99_ratio > 0.85:
        return (
            "No gain worth a process-wide switch for the engine alone, so the engine offers no warm-up that\n"
            "freezes the collector: `gc.freeze()` stays a decision of the application's start-up code (as the\n"
            "TUI and the WhatsApp sandbox make it for the state they hold)."
        )
    return "The freeze shortens the tail: the application's start-up code may call `gc.freeze()` once ready."


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    text = main(count)
    (ROOT / "benchmarks" / "results" / "engine-gc-freeze.md").write_text(text, encoding="utf-8")
    print(text)
