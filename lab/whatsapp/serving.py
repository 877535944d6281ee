"""Serving an ASGI app with uvicorn for throughput: httptools, uvloop, no access log, corked writes,
a relaxed young-generation GC threshold.

uvicorn writes a response's head and body with two `transport.write` calls, i.e. two `send()`
system calls per request; under load those syscalls were half of the sandbox's CPU. The corked
transport gathers the writes of one event-loop turn and sends them in one call.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CorkedTransport:
    """Wraps an asyncio transport: writes made in one loop turn leave in a single write."""

    __slots__ = ("_transport", "_loop", "_pending")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def _flush(self) -> None:
        if self._pending:
            data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
            self._pending.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:  # pause_reading, get_extra_info, is_closing...
        return getattr(self._transport, name)


class CorkedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol over a corked transport."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CorkedTransport(transport, self.loop))  # type: ignore[arg-type]


def serve(app: Any, host: str, port: int, *, log_level: str = "warning") -> None:
    """Run app on host:port until interrupted (blocking)."""

    # lazy: start-up, uvicorn is needed only when the lab serves
    import uvicorn

    # A server process allocates a few dozen short-lived objects per request; collecting the young
    # generation every 700 allocations costs throughput for nothing (request objects form no cycles).
    gc.set_threshold(50_000, 50, 100)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        http=CorkedHttpToolsProtocol,
        loop="uvloop",
        access_log=False,
        log_level=log_level,
        lifespan="on",
        proxy_headers=False,
        server_header=False,
    )
    uvicorn.Server(config).run()
