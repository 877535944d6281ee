"""Benchmark: the LLM gateway's replay overhead per call and replayed calls per second.

Records a cassette (2-message and 40-message conversations) against an in-process stub, then
serves, each in its own process on 127.0.0.1 with uvicorn (httptools, uvloop):
  - a stub that reads the body and answers a fixed chat completion (the floor: a plain HTTP call),
  - the lab server with the gateway mounted at /llm in replay mode.
Measures, in the same run:
  1. latency per call, sequential httpx.Client with keep-alive: p50/p99 for stub and gateway,
     with 2 and 40 messages of history; the gateway's overhead = its p50 minus the stub's;
  2. the gateway's own cost without HTTP (its ASGI app called in-process), p50 per call;
  3. replayed calls/s: wrk (2 threads, N connections) against both servers, and the in-process
     ASGI app driven by one event loop;
  4. replay-mode startup (import + first replayed call) in a fresh process, and that it does not
     import the openai SDK.
  `--baseline TREE` also serves the gateway of another checkout (e.g. `git worktree add ../base COMMIT`)
  on the same cassette and measures it in the same blocks, for its overhead beside this tree's.
  `--record-calls N` instead measures record mode's cassette writes: N calls of a growing
  conversation (history capped at 20 messages) stored through CassetteStore.record, appending per
  call, against rewriting the whole file per call (the former behaviour) in the same run.

    .venv/bin/python benchmarks/bench_gateway.py [--calls 3000] [--duration 8] [--baseline TREE] [--write FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
KEY = "walab-bench-" + "k" * 24
COMPLETION = {
    "id": "chatcmpl-bench",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "Claro! O plano básico custa R$ 99 por mês.",
            },
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 120, "completion_tokens": 14, "total_tokens": 134},
}
SYSTEM = (
    "Você é a Sol, atendente da Solar Sul Energia. Responda em português, com frases curtas e gentis. "
    * 8
)


def conversation(n: int) -> dict:
    """A chat request with n messages: system prompt, then alternating user/assistant turns."""
    messages = [{"role": "system", "content": SYSTEM}]
    for i in range(n - 1):
        role = "user" if (n - 1 - i) % 2 == 1 else "assistant"
        text = f"Mensagem {i}: quero saber sobre painéis solares, instalação e preço para minha casa em Campinas."
        messages.append({"role": role, "content": text})
    return {"model": "gpt-4o-mini", "messages": messages, "temperature": 0.2}


# -- servers, in subprocesses ------------------------------------------------------------------
def stub_app():
    body = orjson.dumps(COMPLETION)

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        more = True
        raw = b""
        while more:
            msg = await receive()
            raw += msg.get("body", b"")
            more = msg.get("more_body", False)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


def gateway_app(cassette: str):
    from lab.llm.cassette import CassetteStore
    from lab.llm.gateway import LLMGateway
    from lab.server import LabServer

    keep = int(os.environ.get("WALAB_BENCH_KEEP_CALLS", "5000"))
    gw = LLMGateway(mode="replay", key=KEY, cassettes=CassetteStore(cassette), keep_calls=keep)
    gw.subscribe(lambda call: None)  # a listener, as the lab session has
    return LabServer({"/llm": gw.app})


def serve(role: str, port: int, cassette: str | None) -> None:
    import uvicorn

    app = stub_app() if role == "stub" else gateway_app(cassette or "")
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        http="httptools",
        loop="uvloop",
        access_log=False,
        log_level="warning",
    )


# -- driver ------------------------------------------------------------------------------------
def record_cassette(path: Path) -> None:
    """Record the 2- and 40-message conversations through the gateway against an in-process stub."""
    from lab.llm.cassette import CassetteStore
    from lab.llm.gateway import LLMGateway

    async def run() -> None:
        upstream = httpx.AsyncClient(transport=httpx.ASGITransport(app=stub_app()))
        gw = LLMGateway(
            mode="record",
            key=KEY,
            upstream_url="http://stub/v1",
            upstream_key="sk-bench-000000000000",
            cassettes=CassetteStore(path),
            http=upstream,
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=gw.app), base_url="http://lab"
        ) as c:
            for n in (2, 40):
                r = await c.post(
                    "/x/bench/v1/chat/completions",
                    json=conversation(n),
                    headers={"Authorization": f"Bearer {KEY}"},
                )
                assert r.status_code == 200, r.text

    asyncio.run(run())


def record_growth(calls: int) -> dict:
    """Seconds to store `calls` recordings: append per call vs whole-file rewrite per call (baseline)."""
    from lab.llm.canonical import chat_key, summarize
    from lab.llm.cassette import Cassette, CassetteEntry, CassetteStore

    def entries():
        for i in range(calls):
            body = conversation(2 + (i % 10) * 2)
            body["messages"][-1]["content"] += f" ({i})"
            rk = chat_key(body)
            yield CassetteEntry(
                key=rk.key,
                occurrence=0,
                kind="chat",
                model="gpt-4o-mini",
                summary=summarize(body),
                request=body,
                response=COMPLETION,
                usage=COMPLETION.get("usage"),
                conversation_hash=rk.conversation_hash,
                reply="ok",
                latency_ms=800.0,
            )

    def run(label: str) -> float:
        tmp = Path(tempfile.mkdtemp(prefix=f"walab-bench-rec-{label}-"))
        store = CassetteStore(tmp / "rec.cassette.yaml")
        items = list(entries())
        t0 = time.perf_counter()
        for e in items:
            store.record(e)
        took = time.perf_counter() - t0
        size = (tmp / "rec.cassette.yaml").stat().st_size
        assert len(Cassette.load(tmp / "rec.cassette.yaml").entries) == calls
        shutil.rmtree(tmp, ignore_errors=True)
        return took, size

    appended, size = run("append")
    add = Cassette.add

    def rewrite(self, entry):  # the former behaviour: every call rewrites the whole cassette
        self.entries.append(entry)
        self.save()

    Cassette.add = rewrite
    try:
        rewritten, _ = run("rewrite")
    finally:
        Cassette.add = add
    return {
        "calls": calls,
        "cassette_bytes": size,
        "append_s": round(appended, 3),
        "append_ms_per_call": round(appended / calls * 1000, 2),
        "rewrite_baseline_s": round(rewritten, 3),
        "rewrite_ms_per_call": round(rewritten / calls * 1000, 2),
        "speedup": round(rewritten / appended, 1),
        "load_average": round(os.getloadavg()[0], 2),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str) -> None:
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            httpx.get(url, timeout=0.5)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"server at {url} did not start")


def latency_blocks(
    stub_url: str, gateways: dict[str, str], body: dict, calls: int, block: int = 50
) -> dict:
    """Sequential calls with keep-alive, the stub and each gateway alternating in blocks of `block`
    calls so that load from elsewhere on the machine hits them alike. p50/p99 in ms per server, and
    per gateway the median of the per-block differences of medians against the stub (its paired
    overhead, under `over_<name>`)."""
    payload = orjson.dumps(body)
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    servers = {"stub": stub_url, **gateways}
    samples: dict[str, list[float]] = {name: [] for name in servers}
    diffs: dict[str, list[float]] = {name: [] for name in gateways}
    clients = {name: httpx.Client() for name in servers}
    try:
        for name, url in servers.items():  # warm-up
            for _ in range(100):
                clients[name].post(url, content=payload, headers=headers)
        for _ in range(max(calls // block, 1)):
            medians = {}
            for name, url in servers.items():
                got = []
                for _ in range(block):
                    t0 = time.perf_counter()
                    r = clients[name].post(url, content=payload, headers=headers)
                    got.append((time.perf_counter() - t0) * 1000)
                    if r.status_code != 200:
                        raise SystemExit(f"{url} answered {r.status_code}: {r.text[:300]}")
                samples[name] += got
                medians[name] = statistics.median(got)
            for name in gateways:
                diffs[name].append(medians[name] - medians["stub"])
    finally:
        for c in clients.values():
            c.close()
    out: dict = {f"over_{name}": statistics.median(d) for name, d in diffs.items()}
    for name, got in samples.items():
        got.sort()
        out[name] = {
            "p50": statistics.median(got),
            "p99": got[int(len(got) * 0.99) - 1],
            "n": len(got),
        }
    return out


def in_process(cassette: Path, calls: int, n_messages: int) -> dict:
    """The gateway's own cost: its ASGI app called directly (no sockets), one event loop."""
    from lab.llm.cassette import CassetteStore
    from lab.llm.gateway import LLMGateway

    gw = LLMGateway(mode="replay", key=KEY, cassettes=CassetteStore(cassette))
    payload = orjson.dumps(conversation(n_messages))
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/x/bench/v1/chat/completions",
        "headers": [
            (b"authorization", f"Bearer {KEY}".encode()),
            (b"content-type", b"application/json"),
        ],
    }

    async def run() -> tuple[list[float], float]:
        async def receive():
            return {"type": "http.request", "body": payload, "more_body": False}

        status = []

        async def send(msg):
            if msg["type"] == "http.response.start":
                status.append(msg["status"])

        samples = []
        for _ in range(calls // 10):
            await gw.app(scope, receive, send)
        t_all = time.perf_counter()
        for _ in range(calls):
            t0 = time.perf_counter()
            await gw.app(scope, receive, send)
            samples.append((time.perf_counter() - t0) * 1000)
        total = time.perf_counter() - t_all
        assert set(status) == {200}, set(status)
        gw.clear()
        return samples, total

    samples, total = asyncio.run(run())
    samples.sort()
    return {
        "p50": statistics.median(samples),
        "p99": samples[int(len(samples) * 0.99) - 1],
        "rps": calls / total,
    }


OWN_WORK = """
import asyncio, json, statistics, sys, time
import orjson
sys.path.insert(0, sys.argv[1])
from lab.llm.cassette import CassetteStore
from lab.llm.gateway import LLMGateway
key, cassette, calls, bodies = sys.argv[2], sys.argv[3], int(sys.argv[4]), json.loads(sys.argv[5])
gw = LLMGateway(mode="replay", key=key, cassettes=CassetteStore(cassette))
gw.subscribe(lambda call: None)
scope = {"type": "http", "method": "POST", "path": "/x/bench/v1/chat/completions",
         "headers": [(b"authorization", ("Bearer " + key).encode()), (b"content-type", b"application/json")]}
async def send(message): pass
async def run(payload):
    async def receive(): return {"type": "http.request", "body": payload, "more_body": False}
    for _ in range(calls // 10): await gw.app(scope, receive, send)
    gw.clear()
    cpu = time.process_time()
    for _ in range(calls): await gw.app(scope, receive, send)
    return (time.process_time() - cpu) / calls * 1e6
print(json.dumps({n: asyncio.run(run(orjson.dumps(body))) for n, body in bodies.items()}))
"""


def own_work_cpu(trees: dict[str, Path], cassette: Path, calls: int, rounds: int) -> dict:
    """CPU µs per replayed call in the gateway's ASGI app (no sockets), each tree in its own process,
    the trees alternating for `rounds` rounds: CPU time, so load from elsewhere barely moves it."""
    bodies = json.dumps({n: conversation(n) for n in (2, 40)})
    got: dict[str, dict[str, list[float]]] = {t: {"2": [], "40": []} for t in trees}
    for _ in range(rounds):
        for name, tree in trees.items():
            out = subprocess.run(
                [sys.executable, "-c", OWN_WORK, str(tree), KEY, str(cassette), str(calls), bodies],
                capture_output=True,
                text=True,
                cwd=tree,
                check=True,
            ).stdout
            for n, us in json.loads(out).items():
                got[name][n].append(us)
    return {
        name: {n: statistics.median(v) for n, v in per.items()} | {"rounds": per}
        for name, per in got.items()
    }


WRK_LUA = """
wrk.method = "POST"
wrk.body = os.getenv("WALAB_BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("WALAB_BENCH_KEY")
local bad = 0
response = function(status, headers, body) if status ~= 200 then bad = bad + 1 end end
done = function(summary, latency, requests)
  io.write(string.format('RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"errors":%d,"non2xx":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
"""


def wrk(url: str, body: dict, duration: int, connections: int, lua: Path) -> dict:
    env = dict(os.environ, WALAB_BENCH_BODY=orjson.dumps(body).decode(), WALAB_BENCH_KEY=KEY)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(lua), url],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    m = re.search(r"^RESULT (\{.*\})$", out, re.M)
    if not m:
        raise SystemExit(f"could not parse wrk output:\n{out}")
    r = json.loads(m.group(1))
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    return r


def startup(cassette: Path) -> dict:
    code = f"""
import time, sys, asyncio, orjson
t0 = time.perf_counter()
from lab.llm.cassette import CassetteStore
from lab.llm.gateway import LLMGateway
gw = LLMGateway(mode="replay", key={KEY!r}, cassettes=CassetteStore({str(cassette)!r}))
payload = orjson.dumps({conversation(2)!r})
scope = {{"type": "http", "method": "POST", "path": "/v1/chat/completions", "headers": [(b"authorization", b"Bearer {KEY}")]}}
async def receive(): return {{"type": "http.request", "body": payload}}
st = []
async def send(m):
    if m["type"] == "http.response.start": st.append(m["status"])
asyncio.run(gw.app(scope, receive, send))
print(orjson.dumps({{"ms": (time.perf_counter() - t0) * 1000, "status": st, "openai": "openai" in sys.modules}}).decode())
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    return json.loads(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=int, default=3000)
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--write", type=Path)
    ap.add_argument("--serve", choices=("stub", "gateway"), help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--cassette", help=argparse.SUPPRESS)
    ap.add_argument(
        "--record-calls", type=int, help="only measure record mode's cassette writes for N calls"
    )
    ap.add_argument(
        "--baseline",
        type=Path,
        metavar="TREE",
        help="another checkout of walab (e.g. a `git worktree` of an older commit) whose gateway is "
        "served and measured beside this one's, in the same run, against the same stub",
    )
    args = ap.parse_args()
    if args.record_calls:
        print(json.dumps(record_growth(args.record_calls), indent=2))
        return 0
    if args.serve:
        serve(args.serve, args.port, args.cassette)
        return 0
    load_before = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="walab-bench-gw-"))
    cassette = tmp / "bench.cassette.yaml"
    record_cassette(cassette)
    lua = tmp / "post.lua"
    lua.write_text(WRK_LUA)
    stub_port, gw_port = free_port(), free_port()
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--serve", "stub", "--port", str(stub_port)], cwd=ROOT
        ),
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--serve",
                "gateway",
                "--port",
                str(gw_port),
                "--cassette",
                str(cassette),
            ],
            cwd=ROOT,
        ),
    ]
    base_port = free_port()
    if (
        args.baseline
    ):  # its own copy of this script imports its own tree (ROOT is where the script is)
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    str(args.baseline / "benchmarks" / "bench_gateway.py"),
                    "--serve",
                    "gateway",
                    "--port",
                    str(base_port),
                    "--cassette",
                    str(cassette),
                ],
                cwd=args.baseline,
            )
        )
    try:
        stub_url = f"http://127.0.0.1:{stub_port}/v1/chat/completions"
        gw_url = f"http://127.0.0.1:{gw_port}/llm/x/bench/v1/chat/completions"
        wait_up(f"http://127.0.0.1:{stub_port}/")
        wait_up(f"http://127.0.0.1:{gw_port}/health")
        gateways = {"gw": gw_url}
        if args.baseline:
            gateways["base"] = f"http://127.0.0.1:{base_port}/llm/x/bench/v1/chat/completions"
            wait_up(f"http://127.0.0.1:{base_port}/health")
        res: dict = {"baseline": str(args.baseline) if args.baseline else None}
        for n in (2, 40):
            got = latency_blocks(stub_url, gateways, conversation(n), args.calls)
            res[f"stub_{n}"], res[f"gw_{n}"], res[f"over_{n}"] = (
                got["stub"],
                got["gw"],
                got["over_gw"],
            )
            if args.baseline:
                res[f"base_{n}"], res[f"base_over_{n}"] = got["base"], got["over_base"]
            res[f"inproc_{n}"] = in_process(cassette, args.calls * 3, n)
        has_wrk = shutil.which("wrk") is not None
        if has_wrk:
            res["wrk_stub"] = wrk(stub_url, conversation(2), args.duration, args.connections, lua)
            res["wrk_gw"] = wrk(gw_url, conversation(2), args.duration, args.connections, lua)
            res["wrk_gw_40"] = wrk(gw_url, conversation(40), args.duration, args.connections, lua)
            if args.baseline:
                res["wrk_base"] = wrk(
                    gateways["base"], conversation(2), args.duration, args.connections, lua
                )
        res["startup"] = startup(cassette)
        if args.baseline:
            res["cpu"] = own_work_cpu(
                {"this": ROOT, "base": args.baseline}, cassette, args.calls, rounds=5
            )
        res["load"] = (load_before, os.getloadavg()[0])
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)
    report = render(res, args, has_wrk)
    print(report)
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(report)
    return 0


def render(r: dict, args: argparse.Namespace, has_wrk: bool) -> str:
    over2, over40 = r["over_2"], r["over_40"]
    growth = r["gw_40"]["p50"] / r["gw_2"]["p50"]
    own_growth = r["inproc_40"]["p50"] / r["inproc_2"]["p50"]
    lines = [
        "# LLM gateway: replay overhead and throughput",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_gateway.py --calls {args.calls} --duration {args.duration} "
        f"--connections {args.connections}"
        + (f" --baseline {args.baseline}" if args.baseline else "")
        + "`  ",
        f"Machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        "uvicorn (httptools, uvloop), servers and client in separate processes on 127.0.0.1. "
        f"Load average (1 min) before/after: {r['load'][0]:.1f} / {r['load'][1]:.1f} — other work shared the machine, "
        "so compare the gateway with the stub measured beside it, not across runs.",
        "",
        "## Latency per call (sequential httpx.Client, keep-alive; ms)",
        "",
        "Stub and gateway alternate in blocks of 50 calls; the overhead is the median over blocks of "
        "(gateway block median − stub block median), robust to load from elsewhere on the machine.",
        "",
        "| history | stub p50 (floor) | stub p99 | gateway replay p50 | gateway p99 | overhead p50 | target |",
        "|---|---|---|---|---|---|---|",
        f"| 2 messages | {r['stub_2']['p50']:.3f} | {r['stub_2']['p99']:.3f} | {r['gw_2']['p50']:.3f} | {r['gw_2']['p99']:.3f} | "
        f"{over2:+.3f} | ≤ +0.3 ms {'✓' if over2 <= 0.3 else '✗'} |",
        f"| 40 messages | {r['stub_40']['p50']:.3f} | {r['stub_40']['p99']:.3f} | {r['gw_40']['p50']:.3f} | {r['gw_40']['p99']:.3f} | "
        f"{over40:+.3f} | ≤ +0.3 ms {'✓' if over40 <= 0.3 else '✗'} |",
        "",
    ]
    if r.get("baseline"):
        lines += [
            f"Baseline in the same run: the gateway of `{r['baseline']}` (the tree before the change), served from "
            "its own process on the same cassette, its blocks alternating with the stub's and this tree's.",
            "",
            "| history | baseline replay p50 | baseline overhead p50 | this tree's overhead p50 | change |",
            "|---|---|---|---|---|",
            *(
                f"| {n} messages | {r[f'base_{n}']['p50']:.3f} | {r[f'base_over_{n}']:+.3f} | {r[f'over_{n}']:+.3f} | "
                f"{r[f'over_{n}'] - r[f'base_over_{n}']:+.3f} ms |"
                for n in (2, 40)
            ),
            "",
        ]
    if r.get("cpu"):
        this, base = r["cpu"]["this"], r["cpu"]["base"]
        lines += [
            "CPU time of the gateway's own work per replayed call (its ASGI app called in-process, no sockets; "
            f"each tree in its own process, the two alternating for {len(this['rounds']['2'])} rounds of "
            f"{args.calls:,} calls; median of rounds): CPU time, so it barely moves with load from elsewhere.",
            "",
            "| history | baseline tree µs CPU | this tree µs CPU | change |",
            "|---|---|---|---|",
            *(
                f"| {n} messages | {base[n]:.1f} | {this[n]:.1f} | {this[n] - base[n]:+.1f} µs ({this[n] / base[n]:.2f}×) |"
                for n in ("2", "40")
            ),
            "",
        ]
    lines += [
        "## The gateway's own work per call (ASGI app called in-process, no sockets)",
        "",
        "| history | p50 µs | p99 µs | calls/s (one event loop) |",
        "|---|---|---|---|",
        f"| 2 messages | {r['inproc_2']['p50'] * 1000:.1f} | {r['inproc_2']['p99'] * 1000:.1f} | {r['inproc_2']['rps']:,.0f} |",
        f"| 40 messages | {r['inproc_40']['p50'] * 1000:.1f} | {r['inproc_40']['p99'] * 1000:.1f} | {r['inproc_40']['rps']:,.0f} |",
        "",
        f"Growth 2 → 40 messages of the replayed call's p50: ×{growth:.2f} (target ≤ ×1.5 {'✓' if growth <= 1.5 else '✗'}); "
        f"the stub's own growth ×{r['stub_40']['p50'] / r['stub_2']['p50']:.2f}. The gateway's own work grows "
        f"×{own_growth:.2f} (parsing and hashing a 20× larger body), from {r['inproc_2']['p50'] * 1000:.0f} to "
        f"{r['inproc_40']['p50'] * 1000:.0f} µs.",
        "",
    ]
    if has_wrk:
        ws, wg, wg40 = r["wrk_stub"], r["wrk_gw"], r["wrk_gw_40"]
        lines += [
            f"## Replayed calls per second (wrk -t2 -c{args.connections} -d{args.duration}s, one server process)",
            "",
            "| server | calls/s | p50 ms | p99 ms | errors / non-2xx |",
            "|---|---|---|---|---|",
            f"| stub (baseline) | {ws['rps']:,.0f} | {ws['p50_us'] / 1000:.2f} | {ws['p99_us'] / 1000:.2f} | {ws['errors']} / {ws['non2xx']} |",
            f"| gateway replay, 2 messages | {wg['rps']:,.0f} | {wg['p50_us'] / 1000:.2f} | {wg['p99_us'] / 1000:.2f} | {wg['errors']} / {wg['non2xx']} |",
            f"| gateway replay, 40 messages | {wg40['rps']:,.0f} | {wg40['p50_us'] / 1000:.2f} | {wg40['p99_us'] / 1000:.2f} | {wg40['errors']} / {wg40['non2xx']} |",
            *(
                [
                    f"| baseline gateway replay, 2 messages | {r['wrk_base']['rps']:,.0f} | {r['wrk_base']['p50_us'] / 1000:.2f} | "
                    f"{r['wrk_base']['p99_us'] / 1000:.2f} | {r['wrk_base']['errors']} / {r['wrk_base']['non2xx']} |"
                ]
                if "wrk_base" in r
                else []
            ),
            "",
            f"Gateway vs stub: ×{wg['rps'] / ws['rps']:.2f} of the baseline's calls/s; target ≥ 5,000 replayed calls/s "
            f"{'✓' if wg['rps'] >= 5000 else '✗'} over HTTP (in-process: {r['inproc_2']['rps']:,.0f}/s). "
            "wrk and the server share the 2 cores.",
            "",
        ]
    s = r["startup"]
    lines += [
        "## Replay-mode startup",
        "",
        f"Import + first replayed call (its cost is the one recorded: genai-prices' table is not loaded) "
        "in a fresh process: "
        f"{s['ms']:.0f} ms; openai SDK imported: "
        f"{'yes ✗' if s['openai'] else 'no ✓'}.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
