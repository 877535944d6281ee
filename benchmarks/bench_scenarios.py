"""Replay benchmark: 50 scenarios × 10 turns of whatsapp_agent through pytest, end to end.

Generates the scenarios (scripted LLM, so no network) in a temporary project that links the
repository's flows/ and prompts/, writes their snapshots once (untimed), then times
`python -m pytest scenarios/` in a subprocess: interpreter start, plugin import, collection,
one full flow execution on the embedded engine per turn, snapshot comparison. Also measures a
1 × 1 run (the fixed startup) and 10 × 50 (long conversations) for the per-turn cost growth.
With `--xdist 2` (default) the 1 × 1 and 50 × 10 runs are repeated with pytest-xdist (`-n 2`),
interleaved run by run with the single-process ones so both see the same machine load: wall,
turns/s over the whole run and CPU per turn of all processes (controller and workers).

    .venv/bin/python benchmarks/bench_scenarios.py [--runs 3] [--xdist 2,auto] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UTTERANCES = [
    "Oi",
    "Quanto custa o plano?",
    "Básico",
    "Agendar visita",
    "Moro em Curitiba",
    "Qual a garantia?",
    "E o plano Família?",
    "Quero falar com atendente",
    "Obrigado",
    "Boa tarde",
]
SCRIPTED = [
    {
        "match": "(?i)plano|custa",
        "reply": '{"text": "Temos três planos.", "buttons": ["Básico", "Família", "Premium"]}',
    },
    {"match": "(?i)atendente", "reply": '{"text": "Um consultor fala com você em breve."}'},
    {
        "match": ".*",
        "reply": '{"text": "Certo! Posso ajudar com planos, economia ou atendimento."}',
    },
]


def make_project(base: Path, scenarios: int, turns: int) -> Path:
    """A project dir with flows/ and prompts/ linked and `scenarios` × `turns` scenario files."""
    project = base / f"p{scenarios}x{turns}"
    (project / "scenarios" / "bench").mkdir(parents=True)
    for name in ("flows", "prompts"):
        os.symlink(ROOT / name, project / name)
    # The benchmark runs in walab's development environment; its dev-only pytest plugins
    # (hypothesis, pytest-asyncio), which a project's walab install does not have, stay out of
    # start-up (hypothesis's plugin imports hypothesis at load: ~0.2 s CPU).
    (project / "pytest.ini").write_text(
        "[pytest]\naddopts = -p no:cacheprovider -p no:hypothesispytest -p no:asyncio\n",
        encoding="utf-8",
    )
    import yaml

    for i in range(scenarios):
        steps = []
        for t in range(turns):
            step: dict = {"user": f"{UTTERANCES[(i + t) % len(UTTERANCES)]} ({t + 1})"}
            if t == 0:
                step["expect"] = {"state": "SUCCESS"}
            steps.append(step)
        doc = {
            "version": 1,
            "name": f"conversa_{i:03d}",
            "flow": "company.whatsapp/whatsapp_agent",
            "contacts": [{"name": "Maria Souza", "wa_id": f"55119{i:08d}"}],
            "clock": "2026-01-05T12:00:00+00:00",
            "llm": {"scripted": SCRIPTED},
            "steps": steps,
        }
        (project / "scenarios" / "bench" / f"conversa_{i:03d}.yaml").write_text(
            yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
    return project


# Bytecode caching on, as on a developer machine or a CI runner (some sandboxes switch it off,
# which makes every run recompile every module: seconds, not milliseconds).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def pytest_run(
    project: Path, *extra: str, target: str = "scenarios"
) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    cpu0 = _children_cpu()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", target, *extra],
        cwd=project,
        capture_output=True,
        text=True,
        env=ENV,
    )
    proc.cpu_s = _children_cpu() - cpu0  # type: ignore[attr-defined]
    return time.perf_counter() - started, proc


def _children_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def floor(base: Path, runs: int) -> dict:
    """The same pytest start with syrupy and one trivial snapshot test: what any pytest suite pays."""
    project = base / "floor"
    project.mkdir()
    (project / "pytest.ini").write_text(
        "[pytest]\naddopts = -p no:cacheprovider\n", encoding="utf-8"
    )
    (project / "test_floor.py").write_text(
        "def test_floor(snapshot):\n    assert snapshot == 'ok'\n", encoding="utf-8"
    )
    pytest_run(project, "--snapshot-update", target="test_floor.py")
    walls, cpus = [], []
    for _ in range(runs):
        wall, proc = pytest_run(project, target="test_floor.py")
        walls.append(wall)
        cpus.append(proc.cpu_s)  # type: ignore[attr-defined]
    return {"wall_s": statistics.median(walls), "cpu_s": statistics.median(cpus), "walls": walls}


def measure(
    base: Path, scenarios: int, turns: int, runs: int, workers: list[str] = ()
) -> dict[str, dict]:
    """Median wall and CPU of `runs` replays, single-process ("1") and with each `-n` in workers, interleaved."""
    project = make_project(base, scenarios, turns)
    _, first = pytest_run(project, "--snapshot-update")  # writes the snapshots; untimed
    if first.returncode != 0:
        raise SystemExit(
            f"{scenarios}x{turns}: snapshot run failed\n{first.stdout[-3000:]}\n{first.stderr[-2000:]}"
        )
    configs = {"1": (), **{n: ("-n", n) for n in workers}}
    walls: dict[str, list[float]] = {c: [] for c in configs}
    cpus: dict[str, list[float]] = {c: [] for c in configs}
    for _ in range(runs):
        for name, extra in configs.items():
            wall, proc = pytest_run(project, *extra)
            if proc.returncode != 0:
                raise SystemExit(
                    f"{scenarios}x{turns} {' '.join(extra)}: replay failed\n{proc.stdout[-3000:]}"
                )
            walls[name].append(round(wall, 3))
            cpus[name].append(proc.cpu_s)  # type: ignore[attr-defined]
    return {
        name: {
            "scenarios": scenarios,
            "turns": turns,
            "total_turns": scenarios * turns,
            "wall_s": statistics.median(walls[name]),
            "cpu_s": statistics.median(cpus[name]),
            "walls": walls[name],
        }
        for name in configs
    }


def contention() -> float:
    """Wall seconds a busy loop needs for 0.5 CPU-seconds ÷ 0.5: 1.0 on an idle core, 3 when others take the cores."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    n = 0
    while time.process_time() - cpu0 < 0.5:
        n += 1
    return round((time.perf_counter() - wall0) / 0.5, 2)


def speed_probe() -> float:
    """Milliseconds of CPU a fixed pure-Python workload takes (median of 5): the same figure on the
    same machine when it is quiet; it grows when other tenants share the cores' caches and clocks,
    which the busy-loop probe above cannot see. Compare runs by it."""

    def work() -> int:
        d: dict[int, int] = {}
        for i in range(200_000):
            d[i & 1023] = d.get(i & 1023, 0) + i
        return len(d)

    times = []
    for _ in range(5):
        cpu0 = time.process_time()
        work()
        times.append(time.process_time() - cpu0)
    return round(statistics.median(times) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--xdist",
        default="2",
        help="comma-separated pytest-xdist -n values to measure too ('' for none)",
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep the generated projects here")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="walab-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    busy_before = contention()
    probe_before = speed_probe()
    try:
        pytest_floor = floor(base, args.runs)
        workers = [n for n in args.xdist.split(",") if n]
        startups = measure(base, 1, 1, args.runs, workers)
        suites = measure(base, 50, 10, args.runs, workers)
        long = measure(base, 10, 50, args.runs)["1"]
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    startup, suite = startups["1"], suites["1"]
    fixed = startup["wall_s"]
    per_turn_10 = (suite["wall_s"] - fixed) / (suite["total_turns"] - 1)
    per_turn_50 = (long["wall_s"] - fixed) / (long["total_turns"] - 1)
    cpu_10 = (suite["cpu_s"] - startup["cpu_s"]) / (suite["total_turns"] - 1)
    cpu_50 = (long["cpu_s"] - startup["cpu_s"]) / (long["total_turns"] - 1)
    result = {
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
        "contention_wall_per_cpu_before": busy_before,
        "contention_wall_per_cpu_after": contention(),
        "speed_probe_ms_before": probe_before,
        "speed_probe_ms_after": speed_probe(),
        "pytest_syrupy_floor_s": round(pytest_floor["wall_s"], 3),
        "pytest_syrupy_floor_cpu_s": round(pytest_floor["cpu_s"], 3),
        "startup_1x1_s": round(fixed, 3),
        "startup_1x1_cpu_s": round(startup["cpu_s"], 3),
        "suite_50x10_cpu_s": round(suite["cpu_s"], 3),
        "cpu_ms_per_turn_10_turn_convos": round(cpu_10 * 1000, 2),
        "cpu_ms_per_turn_50_turn_convos": round(cpu_50 * 1000, 2),
        "cpu_growth_50_vs_10": round(cpu_50 / cpu_10, 2),
        "turns_per_cpu_s_after_startup": round(1 / cpu_10, 1),
        "startup_1x1_s_vs_floor": round(fixed / pytest_floor["wall_s"], 2),
        "suite_50x10_s": round(suite["wall_s"], 3),
        "turns_per_s_end_to_end": round(500 / suite["wall_s"], 1),
        "turns_per_s_after_startup": round(1 / per_turn_10, 1),
        "ms_per_turn_10_turn_convos": round(per_turn_10 * 1000, 2),
        "ms_per_turn_50_turn_convos": round(per_turn_50 * 1000, 2),
        "growth_50_vs_10": round(per_turn_50 / per_turn_10, 2),
        "runs": {"1x1": startup["walls"], "50x10": suite["walls"], "10x50": long["walls"]},
    }
    for n in workers:
        s1, s50 = startups[n], suites[n]
        result[f"xdist_n{n}"] = {
            "command": f"pytest -q -n {n} scenarios",
            "startup_1x1_s": round(s1["wall_s"], 3),
            "startup_1x1_cpu_s": round(s1["cpu_s"], 3),
            "suite_50x10_s": round(s50["wall_s"], 3),
            "suite_50x10_cpu_s": round(s50["cpu_s"], 3),
            "turns_per_s_end_to_end": round(500 / s50["wall_s"], 1),
            "turns_per_s_after_startup": round(499 / (s50["wall_s"] - s1["wall_s"]), 1),
            "cpu_ms_per_turn_10_turn_convos": round((s50["cpu_s"] - s1["cpu_s"]) / 499 * 1000, 2),
            "speedup_vs_single_process_wall": round(suite["wall_s"] / s50["wall_s"], 2),
            "runs": {"1x1": s1["walls"], "50x10": s50["walls"]},
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
