"""`walab load`: many simulated WhatsApp users against the embedded engine or a real Kestra.

    walab load --users 50 --spawn-rate 10 --duration 60s --scenario scenarios/lead_qualification/qualify.yaml
    walab load --arrival-rate 5 --duration 2m --scenario FILE      # open loop: 5 new conversations a second
    walab load --kestra http://localhost:8080 --faults faults.yaml ...
    walab load --master --expect-workers 4 ...                     # Locust workers on other machines
    walab load --worker --master-host HOST --lab http://HOST:8765  # one of those workers

The lab (fake Graph API, LLM gateway, the embedded engine unless --kestra) runs in this process;
Locust runs headless in a child process, or as workers on other machines. Writes report.json,
turns.csv, timeline.csv, report.html (and Locust's own CSV and HTML) to --out, and prints the
table. Exit status 1 when a turn was lost, a reply duplicated or a check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from lab.clock import parse_duration
from lab.config import load_settings
from lab.errors import ConfigError
from lab.llm.scripted import ScriptedReplies
from lab.load.faults import FaultPlan, load_fault_plan
from lab.load.plan import conversation_scripts, scenario_files, scenarios_of
from lab.load.records import read_records
from lab.load.report import build_report, table, write_report
from lab.load.run import LoadOptions, LoadRun, locust_command, locust_env
from lab.redaction import policy_for

DEFAULT_SCENARIO = "scenarios/lead_qualification/qualify.yaml"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scenario",
        nargs="+",
        action="extend",
        metavar="FILE",
        help=f"scenario files or folders the users play (default: {DEFAULT_SCENARIO})",
    )
    parser.add_argument(
        "--persona",
        nargs="+",
        action="extend",
        metavar="NAME",
        help="personas that play the user (not available yet: use --scenario)",
    )
    parser.add_argument(
        "--users", type=int, default=10, help="concurrent users, closed loop (default 10)"
    )
    parser.add_argument(
        "--spawn-rate", type=float, default=10.0, help="users started per second (ramp-up)"
    )
    parser.add_argument(
        "--duration", default="30s", help="how long users keep starting conversations (30s, 5m)"
    )
    parser.add_argument(
        "--arrival-rate",
        type=float,
        metavar="PER_S",
        help="open loop: start this many conversations a second, whatever the latency "
        "(instead of --users)",
    )
    parser.add_argument(
        "--max-in-flight",
        type=int,
        default=2000,
        help="open loop: conversations in flight per worker before new arrivals are counted as "
        "not started",
    )
    parser.add_argument(
        "--think",
        default="0s",
        metavar="MIN[..MAX]",
        help="think time between a user's turns, e.g. 2s or 1s..5s (default 0)",
    )
    parser.add_argument(
        "--turn-timeout",
        default="30s",
        help="a turn whose executions have not ended by then " "counts as timed out",
    )
    parser.add_argument(
        "--llm",
        choices=("replay", "scripted", "live"),
        help="the model: replay (cassettes), scripted (the scenarios' `llm: scripted:` rules) or live "
        "(needs --cost-cap); default from the scenarios",
    )
    parser.add_argument(
        "--cost-cap",
        type=float,
        metavar="USD",
        help="live model: stop the run once the LLM calls cost this much",
    )
    parser.add_argument(
        "--faults", metavar="FILE", help="a fault plan (YAML: meta, graph, model shares)"
    )
    parser.add_argument(
        "--kestra",
        metavar="URL",
        help="a real Kestra (default: the embedded engine); the project "
        "is deployed there first unless --no-deploy",
    )
    parser.add_argument(
        "--no-deploy", action="store_true", help="with --kestra: use what is deployed there"
    )
    parser.add_argument("--port", type=int, help="the lab server's port (default 8765)")
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="Locust worker processes on this machine (one per core helps past one core)",
    )
    parser.add_argument(
        "--master", action="store_true", help="wait for Locust workers on other machines"
    )
    parser.add_argument(
        "--expect-workers", type=int, default=1, help="with --master: how many workers"
    )
    parser.add_argument(
        "--worker", action="store_true", help="be a Locust worker of a master on another machine"
    )
    parser.add_argument("--master-host", help="with --worker: the master's host")
    parser.add_argument(
        "--lab", metavar="URL", help="with --worker: the lab server of the master (its hub)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seeds which users get which faults and scenarios"
    )
    parser.add_argument(
        "--grace", default="10s", help="after the run, how long running executions may finish"
    )
    parser.add_argument("--progress", default="2s", help="seconds between progress lines (0: none)")
    parser.add_argument(
        "--out", default="load-report", help="folder of the report files (default load-report/)"
    )
    parser.add_argument(
        "--json", action="store_true", help="print the report as JSON instead of the table"
    )


def run(args: argparse.Namespace) -> int:
    if args.persona:
        raise ConfigError(
            "personas are not available in walab load yet",
            fix="play scenario files with --scenario; personas will plug into "
            "lab.load.plan.conversation_scripts",
        )
    settings = load_settings(port=args.port, kestra_url=args.kestra)
    if args.worker:
        return _worker(args, settings)
    paths = scenario_files(args.scenario or [DEFAULT_SCENARIO])
    scripts, warnings = conversation_scripts(paths)
    mode, scripted = _llm(args, scenarios_of(paths))
    settings.llm_mode = mode
    options = LoadOptions(
        scripts=scripts,
        users=args.users,
        spawn_rate=args.spawn_rate,
        duration=_seconds(args.duration, "--duration"),
        arrival_rate=args.arrival_rate,
        max_in_flight=args.max_in_flight,
        think=_think(args.think),
        turn_timeout=_seconds(args.turn_timeout, "--turn-timeout"),
        faults=load_fault_plan(args.faults) if args.faults else FaultPlan(seed=args.seed),
        cost_cap=args.cost_cap,
        processes=args.processes,
        expect_workers=args.expect_workers if args.master else 0,
        seed=args.seed,
        grace=_seconds(args.grace, "--grace"),
        progress=_seconds(args.progress, "--progress"),
        out=Path(args.out),
        warnings=warnings,
    )
    for warning in dict.fromkeys(warnings):
        print(f"walab load: {warning}", file=sys.stderr)
    outcome = asyncio.run(
        LoadRun(
            settings, options, scripted=scripted, target_url=args.kestra, deploy=not args.no_deploy
        ).run()
    )
    records = read_records(outcome.records_path)
    report = build_report(
        records,
        outcome,
        {
            "target": args.kestra or "embedded",
            "mode": "open loop" if args.arrival_rate else "closed loop",
            "users": args.users,
            "spawn_rate": args.spawn_rate,
            "duration_s": options.duration,
            "arrival_rate": args.arrival_rate,
            "think_s": list(options.think),
            "llm": mode,
            "scenarios": [str(p) for p in paths],
            "faults": options.faults.describe(),
            "warnings": list(dict.fromkeys(warnings)),
        },
    )
    write_report(report, records, options.out, redaction=policy_for(settings))
    text = table(report)
    for secret in settings.secret_values():
        text = text.replace(secret, "***")
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(text)
        print(f"  report: {options.out / 'report.html'} (and report.json, turns.csv, timeline.csv)")
    return 0 if report["verdict"] == "ok" else 1


def _llm(args: argparse.Namespace, scenarios: list[Any]) -> tuple[str, ScriptedReplies | None]:
    """The gateway's mode for the run, and the scripted rules every user shares."""
    sources = {sc.llm.source for sc in scenarios}
    mode = args.llm or (
        "replay" if "cassette" in sources else "live" if "live" in sources else "scripted"
    )
    if mode == "live" and args.cost_cap is None:
        raise ConfigError(
            "a live model under load needs a cost cap",
            where="--llm live",
            fix="add --cost-cap USD (e.g. --cost-cap 2): the run stops when the calls cost that much",
        )
    if mode != "scripted":
        return mode, None
    items: list[Any] = []
    for sc in scenarios:
        scripted = sc.llm.scripted
        items += scripted if isinstance(scripted, list) else [scripted] if scripted else []
    replies = ScriptedReplies(items, source="walab load")
    if replies.queue:
        raise ConfigError(
            "scripted replies in order cannot be shared by concurrent users: each would take "
            "another user's answer",
            where=", ".join(str(sc.path) for sc in scenarios),
            fix="write them as rules, `{match: REGEX, reply: ...}`, or use --llm replay",
        )
    return mode, replies if items else None


def _worker(args: argparse.Namespace, settings: Any) -> int:
    """Run a Locust worker of a master on another machine, against that master's lab."""
    if not args.master_host or not args.lab:
        raise ConfigError(
            "--worker needs the master's host and its lab URL",
            fix="walab load --worker --master-host HOST --lab http://HOST:8765",
        )
    if not os.environ.get("WALAB_APP_SECRET") or not os.environ.get("WALAB_ACCESS_TOKEN"):
        raise ConfigError(
            "a worker signs webhooks and reads the hub with the master's secrets",
            fix="export the same WALAB_APP_SECRET and WALAB_ACCESS_TOKEN on the master and every worker",
        )
    env = locust_env(args.lab.rstrip("/") + "/_load", settings, progress=0)
    argv = locust_command("--worker", "--master-host", args.master_host, "--loglevel", "WARNING")
    if args.processes > 1:
        argv += ["--processes", str(args.processes)]
    os.execve(sys.executable, argv, env)
    return 0  # not reached


def _seconds(text: str, option: str) -> float:
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return parse_duration(text).total_seconds()
    except ConfigError:
        raise ConfigError(f"{option}: not a duration: {text!r}", fix="e.g. 30s, 5m, 1h") from None


def _think(text: str) -> tuple[float, float]:
    low, _, high = text.partition("..")
    a = _seconds(low, "--think")
    b = _seconds(high, "--think") if high else a
    if b < a:
        raise ConfigError(
            f"--think: {text!r} ends before it starts", fix="MIN..MAX with MIN <= MAX, e.g. 1s..5s"
        )
    return a, b
