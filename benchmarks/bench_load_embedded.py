"""Benchmark: `walab load` on the embedded target, 1 → 50 → 500 concurrent users, 10-turn conversations.

Runs `walab load` (the lab server with the embedded engine, the agent flow with a scripted model,
Locust in its own process) with 1 user (the baseline: a turn's own latency over TCP, nothing
queued), 50 and 500 users, closed loop without think time (every user sends its next message as
soon as its turn ends: the machine's saturation), and 500 users with 5–10 s think time (people
reading and typing). Reads each run's report.json and samples the peak RSS of the lab process
and of the Locust process.

    .venv/bin/python benchmarks/bench_load_embedded.py [--seconds 60] [--write benchmarks/results/load-embedded.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = "benchmarks/scenarios/ten_turns.yaml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def run(users: int, seconds: float, think: str, out: Path) -> dict:
    argv = [
        str(ROOT / ".venv/bin/walab"),
        "load",
        "--users",
        str(users),
        "--spawn-rate",
        str(min(users, 100)),
        "--duration",
        f"{seconds:.0f}s",
        "--think",
        think,
        "--port",
        str(free_port()),
        "--out",
        str(out),
        "--progress",
        "0",
        "--turn-timeout",
        "60s",
        "--scenario",
        SCENARIO,
    ]
    started = time.time()
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lab_peak = locust_peak = 0.0
    while process.poll() is None:
        lab_peak = max(lab_peak, rss_mb(process.pid))
        locust_peak = max(locust_peak, sum(rss_mb(c) for c in children(process.pid)))
        time.sleep(0.5)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    t, lat = report["totals"], report["latency_ms"]
    return {
        "users": users,
        "think": think,
        "wall_s": round(time.time() - started, 1),
        "turns": t["turns"],
        "ok": t["outcomes"]["ok"],
        "lost": t["lost_turns"],
        "duplicated": t["duplicated_replies"],
        "running_at_end": t["executions_running_at_end"],
        "turns_per_s": report["throughput"]["turns_per_s"],
        "turn": lat["turn"],
        "ack": lat["ack"],
        "first_reply": lat["first_reply"],
        "lab_rss_mb": round(lab_peak, 1),
        "locust_rss_mb": round(locust_peak, 1),
        "verdict": report["verdict"],
        "exit": process.returncode,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="walab-bench-load-embedded-"))
    rows = []
    for users, think in ((1, "0s"), (50, "0s"), (500, "0s"), (500, "5s..10s")):
        rows.append(run(users, args.seconds, think, tmp / f"u{users}-{think}"))
        print(json.dumps(rows[-1]), flush=True)
    text = report(rows, args, os.getloadavg())
    print(text)
    if args.write:
        args.write.write_text(text, encoding="utf-8")


def report(rows: list[dict], args: argparse.Namespace, load: tuple) -> str:
    lines = [
        "## `walab load` on the embedded target: 1, 50 and 500 users, 10-turn conversations",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_load_embedded.py --seconds {args.seconds:.0f}`: each row is "
        f"`walab load --users N --duration {args.seconds:.0f}s --think T --scenario {SCENARIO}` (the agent flow, "
        "scripted model, embedded engine behind the lab server on loopback TCP, Locust in one process). "
        f"Machine: {os.cpu_count()} cores shared with other builds (load average {load[0]:.1f} at the end), "
        f"Python {platform.python_version()}. Latencies are from the message being due to its last execution's "
        "end as the user saw it (turn) and to its first reply.",
        "",
        "| users | think | turns | lost | duplicated | running at end | turns/s | turn p50 | turn p99 | "
        "first reply p50 | ack p50 | lab RSS | Locust RSS |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['users']} | {r['think']} | {r['turns']:,} | {r['lost']} | {r['duplicated']} | "
            f"{r['running_at_end']} | {r['turns_per_s']} | {r['turn']['p50']:.0f} ms | "
            f"{r['turn']['p99']:.0f} ms | {r['first_reply']['p50']:.0f} ms | {r['ack']['p50']:.0f} ms | "
            f"{r['lab_rss_mb']:.0f} MB | {r['locust_rss_mb']:.0f} MB |"
        )
    by = {(r["users"], r["think"]): r for r in rows}
    fifty, five_hundred = by.get((50, "0s")), by.get((500, "0s"))
    if fifty and five_hundred:
        lines += [
            "",
            f"Growth 50 → 500 users without think time: turn p50 ×"
            f"{five_hundred['turn']['p50'] / fifty['turn']['p50']:.1f}, p99 ×"
            f"{five_hundred['turn']['p99'] / fifty['turn']['p99']:.1f}, throughput ×"
            f"{five_hundred['turns_per_s'] / fifty['turns_per_s']:.2f}; lab RSS +"
            f"{(five_hundred['lab_rss_mb'] - fifty['lab_rss_mb']) * 1024 / 450:.0f} KiB per extra user.",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
