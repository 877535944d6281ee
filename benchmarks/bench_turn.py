"""Benchmark: the cost of one chat turn, everything but the LLM, and `walab send` from launch.

1. Turn overhead: `Lab.send_text` on whatsapp_agent (embedded engine, in-process lab server, the
   gateway in replay mode from a cassette recorded first against a stub upstream on loopback, so
   the model costs nothing), measured per turn: the signed webhook
   through the Kestra client, the execution (KV dedupe and memory, read mark, LLM call through the
   gateway, reply through the fake Graph API), following it to terminal, gathering replies, LLM
   calls, task runs and logs. Status webhooks (sent/delivered) run as they would, in the background.
   Baseline in the same run: the same flow fired straight at the engine (`engine.webhook` + `wait`),
   without the client, the REST API or the turn engine: what the turn machinery adds on top.
2. Opening a lab (what each replayed scenario pays): first open and the following ones.
3. `walab send "Oi"` from launch to exit (lead_qualification, fresh process), against
   `python -c pass` in the same run.

Writes benchmarks/results/turn.md.
"""

from __future__ import annotations

import asyncio
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TURNS = 200
WARMUP = 20
CLOCK = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


async def _stub_upstream() -> tuple[object, int]:
    """A tiny OpenAI-compatible upstream on loopback, to record the cassette the replay runs from."""
    import socket

    import orjson
    import uvicorn

    body = orjson.dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": 1772452800,
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {
                        "role": "assistant",
                        "content": '{"text": "Claro! Posso ajudar com isso."}',
                    },
                }
            ],
            "usage": {"prompt_tokens": 420, "completion_tokens": 12, "total_tokens": 432},
        }
    )

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    server.install_signal_handlers = lambda: None
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    return (server, task), port


async def _conversation(lab, texts: list[str]) -> list[float]:
    people = [lab.add_contact(f"Pessoa {i}").wa_id for i in range(20)]
    timings = []
    for i, text in enumerate(texts):
        t0 = time.perf_counter()
        turn = await lab.send_text(people[i % len(people)], text)
        timings.append((time.perf_counter() - t0) * 1000)
        assert turn.verdict == "ok" and turn.replies, turn.error
    await lab.sandbox.drain()
    return timings


async def turns() -> dict:
    import tempfile

    from lab.config import load_settings
    from lab.conversation.lab import Lab

    texts = [f"Quanto custa o sistema? {i}" for i in range(WARMUP + TURNS)]
    cassette = Path(tempfile.mkdtemp()) / "bench.cassette.yaml"
    (server, task), port = await _stub_upstream()
    rec = load_settings(
        ROOT,
        env={},
        flow="whatsapp_agent",
        llm_mode="record",
        llm_upstream_url=f"http://127.0.0.1:{port}/v1",
        llm_upstream_key="sk-bench-upstream",
    )
    async with Lab.open(rec, clock_start=CLOCK, cassette=cassette) as lab:
        await _conversation(lab, texts)
    server.should_exit = True
    await task

    settings = load_settings(ROOT, env={}, flow="whatsapp_agent", llm_mode="replay")
    opens = []
    for _ in range(5):
        t0 = time.perf_counter()
        async with Lab.open(settings, clock_start=CLOCK, cassette=cassette):
            opens.append((time.perf_counter() - t0) * 1000)
    async with Lab.open(settings, clock_start=CLOCK, cassette=cassette) as lab:
        per_turn = (await _conversation(lab, texts))[WARMUP:]
        assert all(c.mode == "replay" for c in lab.gateway.calls())
        statuses = len(lab.status_deliveries)
    # Baseline: the same conversation fired straight at the engine of a fresh lab (same bytes, same
    # replayed LLM answers), without the Kestra client, the REST API or the turn engine.
    async with Lab.open(settings, clock_start=CLOCK, cassette=cassette) as lab:
        engine = lab.engine
        people = [lab.add_contact(f"Pessoa {i}").wa_id for i in range(20)]
        engine_only = []
        for i, text in enumerate(texts):
            event = lab.phone.text(people[i % len(people)], text)
            lab.sandbox.note_inbound(event.wa_id, event.time)
            headers = {"Content-Type": "application/json", "X-Hub-Signature-256": event.signature}
            t0 = time.perf_counter()
            execution = await engine.webhook(
                "company.whatsapp",
                "whatsapp_agent",
                "whatsapp-inbound",
                body=event.body,
                headers=headers,
            )
            await engine.wait(execution.id)
            if i >= WARMUP:
                engine_only.append((time.perf_counter() - t0) * 1000)
        assert not [
            c for c in lab.gateway.calls() if c.error
        ], "the baseline must replay every LLM call"
        await lab.sandbox.drain()
    return {"opens": opens, "turn": per_turn, "engine": engine_only, "statuses": statuses}


def send_wall(runs: int = 7) -> dict:
    def once(cmd: list[str]) -> float:
        t0 = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return (time.perf_counter() - t0) * 1000

    py = sys.executable
    once([py, "-m", "lab", "send", "Oi"])  # warm the bytecode caches
    send = [once([py, "-m", "lab", "send", "Oi"]) for _ in range(runs)]
    bare = [once([py, "-c", "pass"]) for _ in range(runs)]
    return {"send": send, "bare": bare}


def main() -> None:
    result = asyncio.run(turns())
    wall = send_wall()
    t, e = result["turn"], result["engine"]
    p50, p50e = statistics.median(t), statistics.median(e)
    send_p50, bare_p50 = statistics.median(wall["send"]), statistics.median(wall["bare"])
    machine = f"{platform.processor() or platform.machine()}, {__import__('os').cpu_count()} cores, Python {platform.python_version()}"
    lines = [
        "# Turn overhead and `walab send` start-up",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_turn.py` — machine: {machine}.",
        "",
        f"## One chat turn, whatsapp_agent, embedded engine, gateway in replay ({TURNS} turns after {WARMUP} warm-up, 20 contacts)",
        "",
        "| measure | p50 ms | p90 ms | p99 ms |",
        "|---|---|---|---|",
        f"| `lab.send_text` → Turn (webhook to the engine's REST endpoint in-process, wait, replies, LLM calls, task runs, logs) | {p50:.2f} | {pct(t, 90):.2f} | {pct(t, 99):.2f} |",
        f"| baseline: same flow straight on the engine (`engine.webhook` + `wait`) | {p50e:.2f} | {pct(e, 90):.2f} | {pct(e, 99):.2f} |",
        "",
        f"Turn machinery on top of the engine: {p50 - p50e:.2f} ms at p50 (ratio {p50 / p50e:.2f}×). "
        f"Target p50 ≤ 4 ms per turn: **{'met' if p50 <= 4 else 'not met'}**. "
        f"{result['statuses']} status webhooks were relayed to the flow in the background during the run "
        "(each starts its own short execution). The cassette is recorded first; that pass is not measured.",
        "",
        "## Opening a lab (each replayed scenario opens one)",
        "",
        f"First open in this process {result['opens'][0]:.1f} ms (after the recording session); "
        f"following opens p50 {statistics.median(result['opens'][1:]):.1f} ms (flows reused parsed).",
        "",
        '## `walab send "Oi"` from launch to exit (lead_qualification, embedded, fresh process)',
        "",
        "| measure | p50 ms | min ms | max ms |",
        "|---|---|---|---|",
        f"| `python -m lab send \"Oi\"` | {send_p50:.0f} | {min(wall['send']):.0f} | {max(wall['send']):.0f} |",
        f"| baseline: `python -c pass` | {bare_p50:.0f} | {min(wall['bare']):.0f} | {max(wall['bare']):.0f} |",
        "",
        f"Target: within 1 s of launch: **{'met' if send_p50 <= 1000 else 'not met'}** "
        f"(ratio {send_p50 / bare_p50:.1f}× a bare interpreter start).",
        "",
        f"Load average at the end of the run: {' '.join(f'{x:.2f}' for x in __import__('os').getloadavg())} "
        "(the machine is shared; figures taken under load run up to several times slower).",
        "",
    ]
    out = ROOT / "benchmarks" / "results" / "turn.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
