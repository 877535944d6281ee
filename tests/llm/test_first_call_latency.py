"""The first live call's latency is the upstream's time, not walab's warm-up (the openai SDK's import,
the price table, the first client build), and that is the latency its cassette entry keeps."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import GATEWAY_KEY, UPSTREAM_KEY

# A fresh process, as `walab send --llm record` starts: nothing imported or built yet.
FIRST_CALL = """
import asyncio, json, sys, time
import httpx
from lab.llm.cassette import CassetteStore
from lab.llm.gateway import LLMGateway

async def main():
    gateway = LLMGateway(mode="record", key=sys.argv[1], upstream_url=sys.argv[2], upstream_key=sys.argv[3],
                         cassettes=CassetteStore(sys.argv[4]))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway.app), base_url="http://lab") as http:
        t0 = time.perf_counter()
        resp = await http.post("/v1/chat/completions", headers={"Authorization": "Bearer " + sys.argv[1]},
                               json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Olá"}]})
        wall = (time.perf_counter() - t0) * 1000
    resp.raise_for_status()
    (call,) = gateway.calls()
    entry = gateway.cassettes.lookup(call.cassette_key)
    print(json.dumps({"latency_ms": call.latency_ms, "recorded_ms": entry.latency_ms, "wall_ms": wall}))

asyncio.run(main())
"""


def test_the_first_live_call_meters_and_records_the_upstreams_time(upstream, tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            FIRST_CALL,
            GATEWAY_KEY,
            upstream.url,
            UPSTREAM_KEY,
            str(tmp_path / "first.cassette.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    # The stub answers at once, in a few ms on loopback; the warm-up takes hundreds (the first call
    # waits for it), and more on a loaded machine, where the stub is slower too: compared, not absolute.
    assert seen["latency_ms"] < seen["wall_ms"] / 4, seen
    assert seen["recorded_ms"] == seen["latency_ms"]
