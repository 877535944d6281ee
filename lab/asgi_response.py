"""What the lab's small hand-written ASGI apps (the lab server's own paths, the LLM gateway, the
status relay, the load hub, the fault injector) send back over raw ASGI: a whole response (a status,
a body, its type and length), and the lifespan protocol's acknowledgements."""

from __future__ import annotations

from typing import Any

JSON = b"application/json"


async def send_response(send: Any, status: int, body: bytes, content_type: bytes = JSON) -> None:
    """Send `body` with `status`, `content-type` and `content-length`, in one piece."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def answer_lifespan(receive: Any, send: Any) -> None:
    """Acknowledge the server's lifespan startup and shutdown, for an app with nothing to start or
    stop; returns at shutdown."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
