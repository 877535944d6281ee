"""The lab server: one ASGI app on one loopback port that mounts the lab's HTTP faces.

`/graph/...` the fake Graph API, `/llm/...` the LLM gateway, `/api/v1/...` the embedded Kestra
API. Each mounted app sees `scope["path"]` with its prefix removed and the prefix in
`scope["root_path"]`, so it routes on its own paths whether mounted here or served alone.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class LabServer:
    """Prefix dispatcher: cheaper than a router on the hot path (one dict scan per request).

    Args:
        mounts: prefix -> app; a prefix of "" keeps the full path (used for `/api/v1`).
    """

    def __init__(self, mounts: dict[str, ASGIApp] | None = None) -> None:
        self._mounts: list[tuple[str, ASGIApp, bool]] = []
        for prefix, app in (mounts or {}).items():
            self.mount(prefix, app)

    def mount(self, prefix: str, app: ASGIApp, *, strip: bool = True) -> None:
        """Mount app at prefix (e.g. "/graph"); strip=False passes the path unchanged."""
        self._mounts.append((prefix.rstrip("/"), app, strip))
        self._mounts.sort(key=lambda m: -len(m[0]))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        path: str = scope["path"]
        for prefix, app, strip in self._mounts:
            if path == prefix or path.startswith(prefix + "/"):
                if strip and prefix:
                    scope = dict(scope)
                    scope["root_path"] = scope.get("root_path", "") + prefix
                    scope["path"] = path[len(prefix):] or "/"
                    if "raw_path" in scope:
                        scope["raw_path"] = scope["path"].encode()
                await app(scope, receive, send)
                return
        if path in ("/", "/health"):
            await _json(send, 200, b'{"status":"ok","service":"walab"}')
            return
        await _json(send, 404, b'{"error":{"message":"no such path on the walab server","code":404}}')

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _json(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
