"""Replay against the peers, in one run: walab, Botium (echo connector) and promptfoo, interleaved.

Every figure is taken in the same session, round by round, so the ratios hold on whatever the
shared machine is doing. Workloads (the shapes the peer measurements use):

- walab: 50 scenarios × 10 turns of `company.whatsapp/whatsapp_agent` through pytest in one
  process (a whole flow execution on the embedded engine per turn, a scripted LLM, one syrupy
  snapshot per scenario); start-up: 1 scenario × 1 turn.
- Botium: botium-cli 1.1.0 + botium-connector-echo 0.0.23 (`CONTAINERMODE: echo`), 50
  `*.convo.txt` files of 10 `#me`/`#bot` pairs with exact expectations,
  `botium-cli run json --convos DIR --config botium.json`; start-up: 1 convo × 10 turns.
- promptfoo 0.121.20 (the last release that runs on Node 20): 20 conversations × 10 turns through
  `_conversation` against a loopback OpenAI-compatible stub (in this process, so its CPU is not
  counted as the peer's); start-up: one single-turn case.

Peers are installed by `benchmarks/peers/install` (pinned, analytics off, into a cache folder
outside the repository). Turns/s "after start-up" subtract each tool's own start-up run.

    .venv/bin/python benchmarks/bench_peers.py [--rounds 7] [--only walab,botium,promptfoo]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from bench_scenarios import ENV, make_project, speed_probe

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "peers.md"
PEER_ENV = {
    "BOTIUM_ANALYTICS": "false",
    "PROMPTFOO_DISABLE_TELEMETRY": "1",
    "PROMPTFOO_DISABLE_UPDATE": "1",
    "NO_COLOR": "1",
}


@dataclass
class Workload:
    """One command timed as a whole process: the workload run and its start-up run."""

    tool: str
    turns: int
    run: list[str]
    startup: list[str]
    startup_turns: int
    cwd: Path
    env: dict[str, str]
    check: Callable[[subprocess.CompletedProcess, bool], str | None] = lambda proc, startup: None
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    startup_walls: list[float] = field(default_factory=list)
    startup_cpus: list[float] = field(default_factory=list)

    def time(self, command: list[str]) -> tuple[float, float]:
        """Run command once; its wall and CPU seconds. A run whose assertions did not all pass stops the benchmark."""
        cpu0 = _children_cpu()
        started = time.perf_counter()
        proc = subprocess.run(command, cwd=self.cwd, env=self.env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(
                f"{self.tool}: {' '.join(command)} failed ({proc.returncode})\n"
                f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
            )
        problem = self.check(proc, command is self.startup)
        if problem:
            raise SystemExit(f"{self.tool}: {' '.join(command)}: {problem}")
        return wall, _children_cpu() - cpu0

    def round(self) -> None:
        wall, cpu = self.time(self.run)
        self.walls.append(wall)
        self.cpus.append(cpu)
        wall, cpu = self.time(self.startup)
        self.startup_walls.append(wall)
        self.startup_cpus.append(cpu)

    def summary(self) -> dict:
        wall, cpu = statistics.median(self.walls), statistics.median(self.cpus)
        s_wall, s_cpu = statistics.median(self.startup_walls), statistics.median(self.startup_cpus)
        extra_turns = self.turns - self.startup_turns
        return {
            "turns": self.turns,
            "wall_s": round(wall, 3),
            "startup_s": round(s_wall, 3),
            "turns_per_s_end_to_end": round(self.turns / wall, 1),
            "turns_per_s_after_startup": round(extra_turns / max(wall - s_wall, 1e-9), 1),
            "cpu_s": round(cpu, 3),
            "cpu_ms_per_turn": round((cpu - s_cpu) / extra_turns * 1000, 2),
            "walls": [round(w, 3) for w in self.walls],
            "startup_walls": [round(w, 3) for w in self.startup_walls],
        }


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- the loopback OpenAI-compatible stub promptfoo talks to ---------------------------------

STUB_REPLY = "Hello from the stub bot. Your order is confirmed."
STUB_CALLS = [0]


def _completion(model: str) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-stub",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model or "stub-model",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": STUB_REPLY},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21},
        },
        separators=(",", ":"),
    ).encode()


def _user_turn(body: dict) -> bytes:
    """A simulated user's next message, as promptfoo's remote generation answers it."""
    turn = len(body.get("history") or []) // 2 + 1
    return json.dumps(
        {
            "result": f"quero {turn} pizzas",
            "tokenUsage": {"total": 10, "prompt": 8, "completion": 2},
        }
    ).encode()


async def _serve_stub(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            body = json.loads(await reader.readexactly(length)) if length else {}
            STUB_CALLS[0] += 1
            path = head.split(b" ", 2)[1]
            # promptfoo's simulated user asks its "remote generation" task endpoint for the
            # user's next message (PROMPTFOO_REMOTE_GENERATION_URL points it here).
            reply = (
                _user_turn(body) if path.endswith(b"/task") else _completion(body.get("model", ""))
            )
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                + str(len(reply)).encode()
                + b"\r\nConnection: keep-alive\r\n\r\n"
                + reply
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


def start_stub() -> int:
    """Serve the stub on a free loopback port in a background thread; return the port."""
    ready: list[int] = []
    loop = asyncio.new_event_loop()

    async def serve() -> None:
        server = await asyncio.start_server(_serve_stub, "127.0.0.1", 0)
        ready.append(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True).start()
    while not ready:
        time.sleep(0.01)
    return ready[0]


# --- workloads ---------------------------------------------------------------------------------


def walab_workload(base: Path) -> Workload:
    suite, one = make_project(base, 50, 10), make_project(base, 1, 1)
    for project in (suite, one):
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "scenarios", "--snapshot-update"],
            cwd=project,
            env=ENV,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise SystemExit(f"walab: snapshot run failed\n{proc.stdout[-2000:]}")
    pytest = [sys.executable, "-m", "pytest", "-q"]
    return Workload(
        "walab",
        500,
        pytest + [str(suite / "scenarios")],
        pytest + [str(one / "scenarios")],
        1,
        suite,
        ENV,
    )


def botium_workload(base: Path, peers: Path) -> Workload:
    root = base / "botium"
    for name, count in (("convos", 50), ("convos1", 1)):
        folder = root / name
        folder.mkdir(parents=True)
        for c in range(count):
            lines = [f"convo_{c:03d}", ""]
            for t in range(10):
                text = f"hola, quiero {t + 1} pizzas (c{c:03d} t{t:02d})"
                lines += ["#me", text, "", "#bot", f"You said: {text}", ""]
            (folder / f"convo_{c:03d}.convo.txt").write_text("\n".join(lines), encoding="utf-8")
    config = {
        "botium": {
            "Capabilities": {"PROJECTNAME": "Echo replay benchmark", "CONTAINERMODE": "echo"}
        }
    }
    (root / "botium.json").write_text(json.dumps(config), encoding="utf-8")
    cli = str(peers / "node_modules" / ".bin" / "botium-cli")
    env = {**os.environ, **PEER_ENV}

    def check(proc: subprocess.CompletedProcess, startup: bool) -> str | None:
        stats = json.loads(proc.stdout[proc.stdout.index("{") :])["stats"]
        want = 1 if startup else 50
        return None if (stats["passes"], stats["failures"]) == (want, 0) else f"stats {stats}"

    return Workload(
        "botium",
        500,
        [cli, "run", "json", "--convos", "./convos", "--config", "botium.json"],
        [cli, "run", "json", "--convos", "./convos1", "--config", "botium.json"],
        10,
        root,
        env,
        check,
    )


def promptfoo_workload(base: Path, peers: Path, port: int) -> Workload:
    root = base / "promptfoo"
    root.mkdir(parents=True)
    provider = (
        f"providers:\n  - id: openai:chat:gpt-4o-mini\n    config:\n"
        f"      apiBaseUrl: http://127.0.0.1:{port}/v1\n      apiKey: sk-stub\n"
        "defaultTest:\n  assert:\n    - type: contains\n      value: stub\n"
    )
    (root / "conv_prompt.json").write_text(
        '[\n  {"role": "system", "content": "You are a WhatsApp shop assistant."},\n'
        "  {% for completion in _conversation %}\n"
        '    {"role": "user", "content": {{ completion.input | dump }}},\n'
        '    {"role": "assistant", "content": {{ completion.output | dump }}},\n'
        '  {% endfor %}\n  {"role": "user", "content": {{ msg | dump }}}\n]\n',
        encoding="utf-8",
    )
    tests = "".join(
        f"  - vars: {{msg: 'conv {c} turn {t}: quero {t + 1} pizzas'}}\n"
        f"    metadata: {{conversationId: conv{c}}}\n"
        for c in range(20)
        for t in range(10)
    )
    (root / "multi20x10.yaml").write_text(
        f"prompts: [file://conv_prompt.json]\n{provider}tests:\n{tests}", encoding="utf-8"
    )
    (root / "single1.yaml").write_text(
        "prompts: ['You are a WhatsApp shop assistant. Customer says: {{msg}}']\n"
        f"{provider}tests:\n  - vars: {{msg: 'quero 1 pizza'}}\n",
        encoding="utf-8",
    )
    cli = str(peers / "node_modules" / ".bin" / "promptfoo")
    env = {
        **os.environ,
        **PEER_ENV,
        "PROMPTFOO_CONFIG_DIR": str(root / "home"),
        "PROMPTFOO_CACHE_PATH": str(root / "cache"),
    }
    flags = ["--no-cache", "--no-table", "--no-progress-bar"]
    calls_before = [STUB_CALLS[0]]

    def check(proc: subprocess.CompletedProcess, startup: bool) -> str | None:
        """promptfoo exits 0 when a provider call errors: count the stub's calls instead."""
        made, calls_before[0] = STUB_CALLS[0] - calls_before[0], STUB_CALLS[0]
        want = 1 if startup else 200
        passed = f"{want} passed" in proc.stdout + proc.stderr
        return (
            None
            if made == want and passed
            else f"{made} stub calls (want {want}), all passed: {passed}"
        )

    return Workload(
        "promptfoo",
        200,
        [cli, "eval", "-c", "multi20x10.yaml", *flags],
        [cli, "eval", "-c", "single1.yaml", *flags],
        1,
        root,
        env,
        check,
    )


def install_peers() -> Path:
    proc = subprocess.run(
        [str(ROOT / "benchmarks" / "peers" / "install")], capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise SystemExit(f"benchmarks/peers/install failed:\n{proc.stderr[-2000:]}")
    return Path(proc.stdout.strip().splitlines()[-1])


def write_markdown(result: dict) -> None:
    rows = []
    for tool, s in result["tools"].items():
        rows.append(
            f"| {tool} | {s['turns']} | {s['wall_s']} | {s['startup_s']} | "
            f"{s['turns_per_s_end_to_end']} | {s['turns_per_s_after_startup']} | {s['cpu_ms_per_turn']} |"
        )
    ratios = "\n".join(f"- {k}: **{v}**" for k, v in result["ratios"].items())
    RESULTS.write_text(
        "## Replay against the peers, interleaved in one run\n\n"
        f"Command: `.venv/bin/python benchmarks/bench_peers.py --rounds {result['rounds']}` "
        f"({result['when']}; load average {result['load_average_before']} → {result['load_average_after']}; "
        f"speed probe {result['speed_probe_ms_before']} → {result['speed_probe_ms_after']} ms, quiet ≈ 19 ms).\n"
        "Medians of the rounds; each round runs every tool's workload and start-up run in turn.\n\n"
        "| tool | turns | wall s | start-up s | turns/s end to end | turns/s after start-up | CPU ms/turn |\n"
        "|---|---:|---:|---:|---:|---:|---:|\n"
        + "\n".join(rows)
        + "\n\nRatios (same run):\n\n"
        + ratios
        + "\n",
        encoding="utf-8",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--only", default="walab,botium,promptfoo")
    args = parser.parse_args()
    tools = args.only.split(",")
    base = Path(tempfile.mkdtemp(prefix="walab-peers-"))
    peers = install_peers() if {"botium", "promptfoo"} & set(tools) else Path()
    workloads = []
    if "walab" in tools:
        workloads.append(walab_workload(base))
    if "botium" in tools:
        workloads.append(botium_workload(base, peers))
    if "promptfoo" in tools:
        workloads.append(promptfoo_workload(base, peers, start_stub()))
    for w in workloads:  # one untimed warm-up each (file caches, promptfoo's database)
        w.time(w.run)
    load_before, probe_before = os.getloadavg()[0], speed_probe()
    for r in range(args.rounds):
        for w in workloads[r % len(workloads) :] + workloads[: r % len(workloads)]:
            w.round()
    summaries = {w.tool: w.summary() for w in workloads}
    ratios = {}
    if "walab" in summaries:
        walab = summaries["walab"]
        for peer in ("botium", "promptfoo"):
            if peer in summaries:
                p = summaries[peer]
                ratios[f"walab / {peer}, turns/s end to end"] = round(
                    walab["turns_per_s_end_to_end"] / p["turns_per_s_end_to_end"], 2
                )
                ratios[f"walab / {peer}, turns/s after start-up"] = round(
                    walab["turns_per_s_after_startup"] / p["turns_per_s_after_startup"], 2
                )
                ratios[f"walab / {peer}, start-up"] = round(walab["startup_s"] / p["startup_s"], 2)
                ratios[f"walab / {peer}, CPU per turn"] = round(
                    walab["cpu_ms_per_turn"] / p["cpu_ms_per_turn"], 2
                )
    result = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "rounds": args.rounds,
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
        "speed_probe_ms_before": probe_before,
        "speed_probe_ms_after": speed_probe(),
        "tools": summaries,
        "ratios": ratios,
    }
    if set(tools) == {"walab", "botium", "promptfoo"}:
        write_markdown(result)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
