"""`walab simulate PERSONA… [--flow] [--runs k] [--variants …] [--models …] [-n WORKERS] [--max-cost] [--save NAME]`.

Each persona (a name under personas/ or a path) talks to its flow `--runs` times, each run in a
fresh lab, with each prompt variant and model given (as `walab compare`: the first variant replays
from the persona's own cassette, the others from `NAME.<variant>.cassette.yaml` beside it); a table (or `--json`) gives the pass rate, pass^k and pass@k, turns to the goal and the
cost per conversation and per batch. Exit 1 when a conversation failed or a cost gate was passed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lab.errors import ConfigError
from lab.progress import ProgressBar
from lab.simulate.batch import Job, play_all
from lab.simulate.persona import find_persona, load_persona
from lab.simulate.report import BatchReport, CostGates, column_name


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "personas", nargs="+", metavar="PERSONA", help="persona names (personas/NAME.yaml) or files"
    )
    parser.add_argument(
        "--flow",
        default=None,
        help="play against this flow (namespace/id) instead of each persona's",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=None,
        metavar="K",
        help="conversations per persona (default: the persona's `runs`, else 1); gives pass^k",
    )
    parser.add_argument(
        "--variants",
        default="",
        help="comma-separated prompt ids to play each persona with (default: the flow's own prompt); "
        "the first replays from the persona's cassette",
    )
    parser.add_argument(
        "--models",
        default="",
        help="comma-separated models (the flow's LLM_MODEL; default: its own)",
    )
    parser.add_argument(
        "-n", "--workers", type=int, default=1, help="conversations in parallel (processes)"
    )
    parser.add_argument(
        "--llm",
        dest="llm_mode",
        default=None,
        choices=("replay", "record", "scripted", "live"),
        help="LLM mode (default: each persona's cassette replayed, else scripted)",
    )
    parser.add_argument(
        "--max-cost",
        type=float,
        default=None,
        metavar="USD",
        help="fail a conversation costing more",
    )
    parser.add_argument(
        "--max-batch-cost",
        type=float,
        default=None,
        metavar="USD",
        help="fail a batch costing more",
    )
    parser.add_argument(
        "--save",
        default=None,
        metavar="NAME",
        help="save the first conversation as the scenario scenarios/<flow>/NAME.yaml with its cassette",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--project", type=Path, default=Path.cwd(), help="the project folder (default: here)"
    )


def run(args: argparse.Namespace) -> int:
    if args.workers < 1 or (args.runs is not None and not 1 <= args.runs <= 1000):
        raise ConfigError("--runs must be 1 to 1000 and -n at least 1", where="walab simulate")
    variants = [v.strip() for v in args.variants.split(",") if v.strip()] or [""]
    models = [m.strip() for m in args.models.split(",") if m.strip()] or [""]
    if args.save and (len(args.personas) > 1 or (args.runs or 1) > 1 or len(variants) > 1):
        raise ConfigError(
            "--save keeps one conversation",
            where="--save",
            fix="give one persona, no --runs and at most one variant",
        )
    project = args.project.resolve()
    jobs = []
    for ref in args.personas:
        path = find_persona(ref, project)
        persona = load_persona(path)
        for variant in variants:
            for model in models:
                for run_no in range(1, (args.runs or persona.runs) + 1):
                    jobs.append(
                        Job(
                            path,
                            run_no,
                            project,
                            args.llm_mode,
                            args.flow,
                            args.save if run_no == 1 else None,
                            prompt=variant or None,
                            model=model or None,
                            baseline=variants[0] or None,
                        )
                    )
    bar = ProgressBar(len(jobs))

    def progress(result: dict) -> None:
        column = column_name(result["variant"], result["model"])
        where = f" · {column}" if column != "default" else ""
        mark = "ok" if result["passed"] else "FAILED"
        bar.advance(
            f"{result['persona']}{where} run {result['run']}: {mark} ({result['outcome']}, "
            f"{result['turns']} turns)",
            ok=result["passed"],
            cost_usd=result["cost_usd"],
        )

    try:
        results = play_all(jobs, args.workers, on_done=progress)
    finally:
        bar.close()
    report = BatchReport(results, CostGates(args.max_cost, args.max_batch_cost))
    print(
        json.dumps(report.to_dict(), ensure_ascii=False, indent=2) if args.json else report.table()
    )
    for r in results:
        if r.get("saved"):
            print(f"saved {r['saved']}", file=sys.stderr)
    return 0 if report.ok else 1
