"""Compare view benchmark: what each finished cell costs the UI while a long compare runs.

    .venv/bin/python benchmarks/bench_tui_compare.py [--scenarios 150] [--rounds 3]

A synthetic run of N scenarios × 2 variants (5 turns each) is fed to the compare screen one
finished cell at a time, as the worker does, headless at 120x36. Timed per cell: `show_result`
plus the repaint (wall and CPU of this process). Compared in the same run with the baseline of
rebuilding the whole matrix table on every cell (what the first version did).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZE = (120, 36)
VARIANTS = ["whatsapp_agent.default", "whatsapp_agent.concise"]


def synthetic_run(scenarios: int):
    from lab.promptlab.compare import Cell, CompareRun, TurnResult

    run = CompareRun(
        variants=VARIANTS,
        models=[""],
        scenarios=[f"scenario_{i:03d}" for i in range(scenarios)],
        mode="replay",
    )
    cells = []
    for s in run.scenarios:
        for v in VARIANTS:
            turns = [
                TurnResult(
                    user=f"pergunta {t}",
                    replies=[f"resposta {t} de {v}: " + "palavra " * 12],
                    tokens_in=400,
                    tokens_out=40,
                    cost_usd=0.0001,
                    latency_ms=12.0 + t,
                )
                for t in range(5)
            ]
            cells.append(
                Cell(
                    scenario=s,
                    variant=v,
                    model="",
                    passed=v.endswith("default"),
                    checks_passed=5,
                    tokens_in=2000,
                    tokens_out=200,
                    cost_usd=0.0005,
                    latency_p50_ms=14,
                    latency_p95_ms=16,
                    turns=turns,
                )
            )
    return run, cells


async def feed(scenarios: int, rebuild: bool | None) -> list[tuple[float, float]]:
    from textual.app import App

    from lab.config import Settings
    from lab.tui.screens.compare import CompareScreen

    run, cells = synthetic_run(scenarios)
    screen = CompareScreen(Settings(project_dir=ROOT, flow="whatsapp_agent"))

    class Bench(App[None]):
        def on_mount(self) -> None:
            self.push_screen(screen)

    out = []
    app = Bench()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for n in range(1, len(cells) + 1):
            partial = replace(run, cells=cells[:n])
            if rebuild is None:  # the harness's floor: a repaint with nothing new
                t0, c0 = time.perf_counter(), time.process_time()
                await pilot.pause()
                out.append((time.perf_counter() - t0, time.process_time() - c0))
                continue
            if rebuild:
                screen.query_one(
                    "#compare-matrix"
                ).keys = []  # force the whole table to be rebuilt, as before
            t0, c0 = time.perf_counter(), time.process_time()
            screen.show_result(partial, running=n < len(cells))
            await pilot.pause()
            out.append((time.perf_counter() - t0, time.process_time() - c0))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenarios", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results: dict[bool | None, list[tuple[float, float]]] = {False: [], True: [], None: []}
    for _ in range(args.rounds):
        for rebuild in (False, True, None):  # alternate, same run
            results[rebuild] += asyncio.run(feed(args.scenarios, rebuild))
    cells = args.scenarios * 2
    print(
        f"{cells} cells ({args.scenarios} scenarios x 2 variants), {args.rounds} rounds, per finished cell:"
    )
    for rebuild, name in (
        (False, "incremental rows"),
        (True, "baseline: rebuild the table"),
        (None, "floor: repaint, nothing new"),
    ):
        rows = results[rebuild]
        wall = statistics.median(w for w, _ in rows) * 1000
        cpu = statistics.median(c for _, c in rows) * 1000
        last = [w for w, _ in rows[-cells // 10 :]]  # the end of the last round: the table is full
        print(
            f"  {name:28s} median {wall:6.2f} ms wall, {cpu:6.2f} ms CPU; last 10%: {statistics.median(last) * 1000:6.2f} ms wall"
        )


if __name__ == "__main__":
    main()
