"""ASGI plumbing of the gateway: reading bodies, JSON and SSE responses, early replies."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

import orjson

from lab.llm import shapes

MAX_BODY = 16 * 1024 * 1024
JSON = b"application/json"
SSE = b"text/event-stream"

Send = Callable[[dict[str, Any]], Awaitable[None]]


class Reply(Exception):
    """Answer the request now with this status and body (errors and short answers)."""

    def __init__(self, status: int, body: bytes) -> None:
        self.status, self.body = status, body


async def read_body(receive: Any) -> bytes:
    """The request body (at most MAX_BODY)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Reply(400, shapes.error_body("the client disconnected before sending its body"))
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise Reply(
                413, shapes.error_body(f"request body larger than {MAX_BODY // 1024 // 1024} MB")
            )
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def parse_json(raw: bytes) -> dict[str, Any]:
    """A JSON object body, or a 400 saying what is wrong with it."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise Reply(400, shapes.error_body(f"the request body is not valid JSON: {exc}")) from None
    if not isinstance(body, dict):
        raise Reply(400, shapes.error_body("the request body must be a JSON object"))
    return body


def headers(
    content_type: bytes, mode: str, key: str | None = None, length: int | None = None
) -> list[tuple[bytes, bytes]]:
    """Response headers; every answer says which mode produced it (scripted replies are labelled)."""
    out = [(b"content-type", content_type), (b"x-walab-llm-mode", mode.encode())]
    if length is not None:
        out.append((b"content-length", str(length).encode()))
    if key:
        out.append((b"x-walab-cassette-key", key.encode()))
    if content_type == SSE:
        out.append((b"cache-control", b"no-cache"))
    return out


async def respond(send: Send, status: int, body: bytes, mode: str, key: str | None = None) -> None:
    """A JSON response."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": headers(JSON, mode, key, len(body)),
        }
    )
    await send({"type": "http.response.body", "body": body})


async def stream(send: Send, events: list[bytes], mode: str, key: str | None = None) -> None:
    """An SSE response, one body message per event (a replayed stream is sent as a stream)."""
    await send({"type": "http.response.start", "status": 200, "headers": headers(SSE, mode, key)})
    last = len(events) - 1
    for i, event in enumerate(events):
        await send({"type": "http.response.body", "body": event, "more_body": i < last})
