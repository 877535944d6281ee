"""Benchmark: voice notes. Both measured beside their baseline in the same run.

1. Synthesise and send a 5-second voice note: espeak-ng + opusenc (uncached), upload to the fake
   Graph API's media store and build the signed webhook, as `Lab.perform(SendVoice(say=…))` does
   before posting it; baseline: the same for a typed text (no synthesis). Target: <= 300 ms.
   (The flow's turn after the webhook is bench_turn.py's.)
2. A replayed transcription's overhead over the HTTP floor: the same multipart POST of that voice
   note, sequential httpx.Client with keep-alive on 127.0.0.1, to a stub that reads the body and
   answers `{"text": …}` (the floor) and to the lab server's gateway in replay mode (cassette
   recorded against the stub first); overhead = gateway p50 - stub p50. Target: <= 0.5 ms.
   Both servers are uvicorn in threads of this process, so they share its GIL alike.

    .venv/bin/python benchmarks/bench_voice.py [--runs 30] [--calls 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conversation.conftest import CLOCK, MARIA, settings  # noqa: E402
from loopback import LoopbackServer as Served  # noqa: E402

from lab.conversation.actions import SendVoice  # noqa: E402
from lab.conversation.lab import Lab  # noqa: E402
from lab.llm.cassette import CassetteStore  # noqa: E402
from lab.llm.gateway import LLMGateway  # noqa: E402
from lab.server import LabServer  # noqa: E402
from lab.voice import synth  # noqa: E402
from lab.voice.ogg import ogg_opus_seconds  # noqa: E402

KEY = "walab-bench-" + "k" * 24
FIVE_SECONDS = (
    "Oi, boa tarde! Quero economizar na conta de luz. Quanto custa instalar placas solares?"
)


async def stub(scope, receive, send):
    """The floor: read the whole body, answer a fixed transcription."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    body = orjson.dumps({"text": FIVE_SECONDS, "usage": {"type": "duration", "seconds": 5}})
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


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def bench_send(runs: int) -> dict:
    async with Lab.open(
        settings(flow="whatsapp_agent", llm_mode="scripted"), clock_start=CLOCK
    ) as lab:
        voice, text, cpu = [], [], []
        for i in range(runs):
            synth.synthesise.cache_clear()
            c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            p0 = time.process_time()
            t0 = time.perf_counter()
            event = lab.user.voice(MARIA, SendVoice(say=FIVE_SECONDS))
            voice.append((time.perf_counter() - t0) * 1000)
            c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            children = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
            cpu.append((children + time.process_time() - p0) * 1000)
            t0 = time.perf_counter()
            lab.phone.text(MARIA, f"{FIVE_SECONDS} {i}")
            text.append((time.perf_counter() - t0) * 1000)
        return {
            "seconds": event.audio_seconds,
            "bytes": len(synth.synthesise(FIVE_SECONDS)),
            "voice_p50": statistics.median(voice),
            "voice_p95": pct(voice, 0.95),
            "text_p50": statistics.median(text),
            "cpu_p50": statistics.median(cpu),
        }


def post_many(url: str, audio: bytes, calls: int, headers: dict) -> list[float]:
    out = []
    with httpx.Client(headers=headers, timeout=120) as client:
        for _ in range(calls):
            t0 = time.perf_counter()
            r = client.post(
                url,
                files={"file": ("voice-note.ogg", audio, "audio/ogg")},
                data={"model": "whisper-1", "language": "pt"},
            )
            out.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, r.text
    return out


def bench_replay(calls: int) -> dict:
    audio = synth.synthesise(FIVE_SECONDS)
    auth = {"Authorization": f"Bearer {KEY}"}
    with tempfile.TemporaryDirectory() as tmp, Served(stub) as floor:
        cassette = Path(tmp) / "voice.cassette.yaml"
        recorder = LLMGateway(
            mode="record",
            key=KEY,
            upstream_url=floor.url + "/v1",
            upstream_key="sk-bench",
            cassettes=CassetteStore(cassette),
        )
        with Served(LabServer({"/llm": recorder.app})) as served:
            post_many(served.url + "/llm/v1/audio/transcriptions", audio, 1, auth)
        player = LLMGateway(mode="replay", key=KEY, cassettes=CassetteStore(cassette))
        with Served(LabServer({"/llm": player.app})) as served:
            gateway_url = served.url + "/llm/x/bench/v1/audio/transcriptions"
            post_many(gateway_url, audio, 200, auth)  # warm-up
            post_many(floor.url + "/v1/audio/transcriptions", audio, 200, auth)
            gateway, floor_ms = [], []
            for _ in range(4):  # interleaved blocks: drift hits both alike
                floor_ms += post_many(
                    floor.url + "/v1/audio/transcriptions", audio, calls // 4, auth
                )
                gateway += post_many(gateway_url, audio, calls // 4, auth)
    return {
        "floor_p50": statistics.median(floor_ms),
        "floor_p99": pct(floor_ms, 0.99),
        "gateway_p50": statistics.median(gateway),
        "gateway_p99": pct(gateway, 0.99),
        "overhead_p50": statistics.median(gateway) - statistics.median(floor_ms),
        "audio_bytes": len(audio),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    synth.check_tools()
    send = asyncio.run(bench_send(args.runs))
    replay = bench_replay(args.calls)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, "
        f"Python {platform.python_version()}"
    )
    print(
        f"1. synthesise + send a {send['seconds']:.1f} s voice note ({send['bytes']} bytes OGG/Opus), {args.runs} runs: "
        f"p50 {send['voice_p50']:.1f} ms, p95 {send['voice_p95']:.1f} ms (target <= 300 ms), "
        f"CPU p50 {send['cpu_p50']:.1f} ms (espeak-ng + opusenc + lab); "
        f"baseline typed text p50 {send['text_p50']:.3f} ms"
    )
    print(
        f"2. transcription of that note ({replay['audio_bytes']} bytes), {args.calls} calls each: "
        f"floor p50 {replay['floor_p50']:.3f} ms (p99 {replay['floor_p99']:.3f}), gateway replay p50 "
        f"{replay['gateway_p50']:.3f} ms (p99 {replay['gateway_p99']:.3f}); overhead p50 "
        f"{replay['overhead_p50']:.3f} ms (target <= 0.5 ms)"
    )
    assert ogg_opus_seconds(synth.synthesise(FIVE_SECONDS)) is not None


if __name__ == "__main__":
    main()
