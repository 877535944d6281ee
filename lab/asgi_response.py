"""A whole response sent over raw ASGI, for the lab's small hand-written apps (the lab server's own
paths, the status relay, the load hub, the fault injector): a status, a body, its type and length."""

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
