"""The warm-up of a live or record gateway: the price table and the openai SDK load in background
threads from the start (about a second each), and the first call waits for them, off the event
loop, before its clock starts, so its latency is the upstream's alone."""

from __future__ import annotations

import asyncio

from lab.llm import prices
from lab.llm.upstream import Upstream, preload_sdk, wait_preloaded


def start() -> None:
    """Start loading the price table and the SDK (once per process)."""
    prices.warm_up()
    preload_sdk()


async def finish(upstream: Upstream) -> None:
    """Wait for what `start` loads, then build the upstream's SDK client."""
    await asyncio.to_thread(_join)
    await upstream.ready()


def _join() -> None:
    prices.wait_warmed()
    wait_preloaded()
