"""Benchmark: the load generator's own ceiling, and memory per simulated user.

A stub server (one uvicorn process) plays the flow at no cost: `POST /webhook` answers Kestra's
webhook response at once and routes a reply and the execution's end to the sender's worker
through walab's real load hub (`/_load`), which the users long-poll; `POST /bare` answers `{}`.

- walab: `lab/load/locustfile.py`'s `WhatsAppUser` plays 10-turn conversations (Meta-exact
  signed webhook per turn, ack, wait for its reply and its execution's end from the hub, checks,
  records to disk).
- baseline: plain Locust `FastHttpUser` doing bare POSTs of a webhook-sized body to `/bare`.

Both run as one Locust process with the same users for the same time, rounds interleaved; the
figure is user messages per CPU-second of the Locust process (its own CPU time, from wait4), so
the stub's share of the two shared cores does not count. Memory per user: the Locust process's
RSS with many users minus with few, over the difference, users idling in think time.

    .venv/bin/python benchmarks/bench_load_generator.py [--users 50] [--seconds 12] [--rounds 2]
        [--write benchmarks/results/load-generator.md]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import httpx

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-hub-token"
SECRET = "bench-app-secret"
BARE = Path(__file__).resolve().parent / "load_bare_locustfile.py"
WARMUP = (
    4.0  # seconds after the Locust process starts before the measured window (imports, spawning)
)


# -- the stub, run in a subprocess ---------------------------------------------------------------
def stub_app(turns: int, think: float) -> object:
    import orjson

    from lab.load.hub import LoadHub
    from lab.server import LabServer
    from lab.whatsapp.model import CapturedSend, Verdict

    steps = [
        {
            "kind": "text",
            "text": f"Mensagem {i}",
            "duplicates": 0,
            "check": {"contains": ["ok"]},
            "line": None,
        }
        for i in range(1, turns + 1)
    ]
    plan = {
        "version": 1,
        "run": 1,
        "seed": 0,
        "target": "embedded",
        "business": {
            "phone_number_id": "106540352242922",
            "waba_id": "102290129340398",
            "display_phone_number": "15550783881",
            "verified_name": "Bench",
        },
        "webhook_paths": {"bench/flow": "/webhook"},
        "scripts": [{"name": "bench", "flow": "bench/flow", "contact_name": "Ana", "steps": steps}],
        "turn_timeout": 30.0,
        "think": [think, think],
        "meta_faults": {},
        "arrival_rate": 0,
        "max_in_flight": 2000,
    }
    hub = LoadHub(token=TOKEN, plan=plan, note_inbound=lambda wa_id, name: None)
    ids = itertools.count(1)
    ok = Verdict(True)
    posts = [0]

    async def count(scope, receive, send):
        out = str(posts[0]).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", str(len(out)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": out})

    async def webhook(scope, receive, send):
        body, more = b"", True
        while more:
            msg = await receive()
            body += msg.get("body", b"")
            more = msg.get("more_body", False)
        posts[0] += 1
        if scope["root_path"] == "/webhook":
            data = orjson.loads(body)
            n = next(ids)
            message = data["entry"][0]["changes"][0]["value"]["messages"][0]
            hub.on_capture(
                CapturedSend(
                    n,
                    f"wamid.out.{n}",
                    message["from"],
                    "1065",
                    "text",
                    {"type": "text", "text": {"body": "ok"}},
                    ok,
                    {},
                    0.0,
                ),
                None,
            )
            execution = SimpleNamespace(
                id=f"ex{n}",
                parent_id=None,
                state=SimpleNamespace(current="SUCCESS"),
                trigger={"variables": {"body": data}},
            )
            hub.on_engine(SimpleNamespace(kind="execution", execution=execution))
            out = b'{"id":"ex%d","namespace":"bench","flowId":"flow"}' % n
        else:
            out = b"{}"
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(out)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": out})

    return LabServer({"/_load": hub, "/webhook": webhook, "/bare": webhook, "/count": count})


def serve(port: int, turns: int, think: float) -> None:
    import uvicorn

    uvicorn.run(
        stub_app(turns, think),
        host="127.0.0.1",
        port=port,
        http="httptools",
        loop="uvloop",
        access_log=False,
        log_level="warning",
        lifespan="off",
    )


# -- the driver ----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str) -> None:
    for _ in range(150):
        try:
            httpx.get(url, timeout=0.5)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"stub at {url} did not start")


def locust(
    kind: str, port: int, users: int, seconds: float, out: Path, *, rss_at: float | None = None
) -> dict:
    """One headless Locust process; returns requests, CPU seconds (wait4) and optionally RSS."""
    records = out / f"{kind}-{time.time_ns()}.jsonl"
    env = dict(
        os.environ,
        WALAB_LOAD_HUB=f"http://127.0.0.1:{port}/_load",
        WALAB_LOAD_TOKEN=TOKEN,
        WALAB_LOAD_APP_SECRET=SECRET,
        WALAB_LOAD_RECORDS=str(records),
        WALAB_LOAD_PROGRESS="0",
    )
    locustfile = ROOT / "lab/load/locustfile.py" if kind == "walab" else BARE
    user = "WhatsAppUser" if kind == "walab" else "BarePostUser"
    csv_prefix = out / f"{kind}-{time.time_ns()}"
    argv = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(locustfile),
        "--headless",
        "--host",
        f"http://127.0.0.1:{port}",
        "-u",
        str(users),
        "-r",
        str(users * 10),
        "-t",
        f"{seconds:.0f}s",
        "--stop-timeout",
        "5",
        "--only-summary",
        "--csv",
        str(csv_prefix),
        "--loglevel",
        "ERROR",
        user,
    ]
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = time.time()
    rss = None
    samples = []  # (wall, Locust CPU seconds, webhooks the stub received)
    window = (
        started + WARMUP,
        started + seconds - 1.0,
    )  # users running, start-up and stop left out
    cpu = 0.0
    while process.poll() is None:
        now = time.time()
        try:
            cpu = _cpu(process.pid)
            if window[0] <= now <= window[1]:
                samples.append((now, cpu, int(httpx.get(f"http://127.0.0.1:{port}/count").text)))
            if rss_at is not None and rss is None and now - started >= rss_at:
                rss = _rss(process.pid)
        except FileNotFoundError:  # it has just exited
            break
        time.sleep(0.25)
    status = process.wait()
    stats = _stats(Path(f"{csv_prefix}_stats.csv"))
    messages = stats.get("webhook ack" if kind == "walab" else "bare post", 0)
    turns = sum(1 for _ in records.open()) if records.exists() else 0
    (t0, c0, n0), (t1, c1, n1) = samples[0], samples[-1]
    return {
        "kind": kind,
        "users": users,
        "messages": messages,
        "turns": turns,
        "cpu_s": cpu,
        "window_s": t1 - t0,
        "window_cpu_s": c1 - c0,
        "window_messages": n1 - n0,
        "per_cpu_s": (n1 - n0) / (c1 - c0) if c1 > c0 else 0.0,
        "rss_mb": rss,
        "failures": stats.get("_failures", 0),
        "exit": status,
    }


def _cpu(pid: int) -> float:
    """User + system CPU seconds of a running process (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _stats(path: Path) -> dict:
    import csv

    out: dict = {"_failures": 0}
    with path.open() as f:
        for row in csv.DictReader(f):
            if row["Name"] != "Aggregated":
                out[row["Name"]] = int(row["Request Count"])
                out["_failures"] += int(row["Failure Count"])
    return out


def start_stub(turns: int, think: float) -> tuple[subprocess.Popen, int]:
    port = free_port()
    stub = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            str(port),
            "--turns",
            str(turns),
            "--think",
            str(think),
        ],
        cwd=ROOT,
    )
    wait_up(f"http://127.0.0.1:{port}/bare")
    return stub, port


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=12)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--memory-users", default="50,500")
    parser.add_argument("--write", type=Path)
    parser.add_argument("--serve", type=int)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--think", type=float, default=0.0)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.turns, args.think)
        return
    out = Path(tempfile.mkdtemp(prefix="walab-bench-load-"))
    rows = []
    stub, port = start_stub(10, 0.0)
    try:
        for _ in range(args.rounds):
            for kind in ("walab", "bare"):
                rows.append(locust(kind, port, args.users, args.seconds, out))
                print(json.dumps(rows[-1]), flush=True)
    finally:
        stub.terminate()
        stub.wait()
    # Memory: users mostly in think time (a reply a minute), RSS once every user has started.
    few, many = (int(n) for n in args.memory_users.split(","))
    memory = []
    stub, port = start_stub(10, 60.0)
    try:
        for kind in ("walab", "bare"):
            for n in (few, many):
                memory.append(locust(kind, port, n, 20, out, rss_at=16.0))
                print(json.dumps(memory[-1]), flush=True)
    finally:
        stub.terminate()
        stub.wait()
    text = report(rows, memory, args, os.getloadavg())
    print(text)
    if args.write:
        args.write.write_text(text, encoding="utf-8")


def report(rows: list[dict], memory: list[dict], args: argparse.Namespace, load: tuple) -> str:
    lines = [
        "## Load generator: user messages per CPU-second, and memory per simulated user",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_load_generator.py --users {args.users} --seconds "
        f"{args.seconds:.0f} --rounds {args.rounds}`. Machine: {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, Locust {_locust_version()}; the stub server and the Locust process share "
        f"the cores (load average {load[0]:.1f} at the end). One Locust process, {args.users} users, rounds "
        "interleaved; CPU is the Locust process's own.",
        "",
        "Messages per CPU-second are counted over a window that leaves out Locust's start-up and stop: the "
        "webhooks the stub received and the Locust process's CPU time (/proc), both sampled every 0.25 s.",
        "",
        "| round | generator | messages (whole run) | turns recorded | window s | window CPU s | "
        "messages / CPU-s | failures |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for i, r in enumerate(rows):
        label = (
            "walab WhatsAppUser (signed webhook, reply and end from the hub, checks, records)"
            if r["kind"] == "walab"
            else "plain FastHttpUser, bare POST"
        )
        lines.append(
            f"| {i // 2 + 1} | {label} | {r['messages']:,} | {r['turns']:,} | {r['window_s']:.1f} | "
            f"{r['window_cpu_s']:.2f} | {r['per_cpu_s']:,.0f} | {r['failures']} |"
        )
    ratios = [
        w["per_cpu_s"] / b["per_cpu_s"] for w, b in zip(rows[::2], rows[1::2]) if b["per_cpu_s"]
    ]
    lines += [
        "",
        "Ratio walab / bare per round: "
        + ", ".join(f"{r:.2f}" for r in ratios)
        + " (target ≥ 0.50).",
        "",
        "| generator | users | Locust RSS MB | per user |",
        "|---|---:|---:|---:|",
    ]
    for kind in ("walab", "bare"):
        few, many = [m for m in memory if m["kind"] == kind]
        per_user = (many["rss_mb"] - few["rss_mb"]) * 1024 / (many["users"] - few["users"])
        lines.append(f"| {kind} | {few['users']} | {few['rss_mb']:.1f} | |")
        lines.append(f"| {kind} | {many['users']} | {many['rss_mb']:.1f} | {per_user:.0f} KiB |")
    return "\n".join(lines) + "\n"


def _locust_version() -> str:
    from importlib.metadata import version

    return version("locust")


if __name__ == "__main__":
    main()
