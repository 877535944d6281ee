"""Replies, Kestra's error bodies and value parsing for the embedded REST API."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Callable

import orjson

from lab.errors import LabError

_JSON = [(b"content-type", b"application/json")]
_SSE = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]


@dataclass(slots=True)
class Reply:
    """A response: a body, or a stream of SSE chunks."""

    status: int
    body: bytes = b""
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    chunks: AsyncIterator[bytes] | None = None

    @classmethod
    def stream(cls, chunks: AsyncIterator[bytes]) -> Reply:
        return cls(200, headers=list(_SSE), chunks=chunks)

    async def send(self, send: Callable, receive: Callable | None = None) -> None:
        """Send the reply; a stream stops early when the client disconnects (given `receive`)."""
        if self.chunks is None:
            headers = [*self.headers, (b"content-length", str(len(self.body)).encode())]
            await send({"type": "http.response.start", "status": self.status, "headers": headers})
            await send({"type": "http.response.body", "body": self.body})
            return
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        pump = asyncio.ensure_future(self._pump(send))
        if receive is None:
            await pump
            return
        watcher = asyncio.ensure_future(_disconnect(receive))
        try:
            await asyncio.wait({pump, watcher}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (pump, watcher):
                task.cancel()
            await asyncio.gather(pump, watcher, return_exceptions=True)

    async def _pump(self, send: Callable) -> None:
        assert self.chunks is not None
        try:
            async for chunk in self.chunks:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        finally:
            await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _disconnect(receive: Callable) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def replayed_body(body: bytes) -> Callable[[], Awaitable[dict[str, Any]]]:
    """An ASGI `receive` that hands over an already-read body (for Starlette's form parser)."""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


class ApiError(Exception):
    """Abort a handler with this reply."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


def json_reply(data: Any, status: int = 200) -> Reply:
    return Reply(status, orjson.dumps(data), list(_JSON))


def error_reply(
    status: int, message: str, path: str, errors: list[dict[str, str]] | None = None
) -> Reply:
    """Micronaut's JsonError, as Kestra's ErrorController writes it."""
    body: dict[str, Any] = {
        "message": message,
        "_links": {"self": {"href": path, "templated": False}},
    }
    if errors:
        body["_embedded"] = {"errors": errors}
    return json_reply(body, status)


def sse_event(event_id: str, data: Any) -> bytes:
    """One SSE event as Micronaut writes Kestra's: an id, no event name, one JSON data line."""
    return b"id: " + event_id.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


def engine_error(exc: Exception, path: str, dialect: str) -> Reply:
    """The Kestra answer for an engine exception (its `status`, else by its kind)."""
    name = type(exc).__name__
    text = getattr(exc, "what", None) or str(exc) or name
    status = getattr(exc, "status", None)
    if "Skipped" in name or "Condition" in name:
        return Reply(409 if dialect == "1.3" else 204)
    if status == 404 or isinstance(exc, KeyError) or "NotFound" in name:
        return error_reply(404, f"Not Found: {text}", path)
    if status in (400, 413):
        return error_reply(
            status,
            f"Bad Request: {text}" if status == 400 else text,
            path,
            [{"message": text + (f"; {exc.fix}" if getattr(exc, "fix", None) else "")}],
        )
    if status == 409 or "Disabled" in name:
        message = "Cannot execute a disabled flow" if "Disabled" in name else text
        return error_reply(409, f"Illegal state: {message}", path)
    if (
        status == 422 or "Invalid" in name or isinstance(exc, (ValueError, LabError))
    ):  # bad input, not a crash
        problems = getattr(exc, "problems", None) or []
        errors = [
            {
                "message": getattr(p, "message", str(p)),
                **({"path": p.path} if getattr(p, "path", None) else {}),
            }
            for p in problems
        ] or [{"message": text}]
        return error_reply(422, f"Invalid entity: {text}", path, errors)
    raise exc


def webhook_key_trigger(engine: Any, namespace: str, flow_id: str, key: str, path: str) -> Any:
    """The Webhook trigger of the flow whose key matches, or a Kestra 404 / 409 (as Kestra checks)."""
    flow = engine.get_flow(namespace, flow_id)
    if flow is None:
        raise ApiError(error_reply(404, "Not Found: Flow not found", path))
    if flow.disabled:
        raise ApiError(error_reply(409, "Illegal state: Cannot execute a disabled flow", path))
    for trigger in flow.triggers:
        if (
            trigger.is_webhook
            and not trigger.disabled
            and str(trigger.props.get("key", "")).strip() == key
        ):
            return trigger
    for trigger in flow.triggers:  # a templated key is rendered by the engine: let it decide
        if trigger.is_webhook and "{{" in str(trigger.props.get("key", "")):
            return trigger
    raise ApiError(error_reply(404, "Not Found: Webhook not found", path))


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")
_DURATION = re.compile(r"^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")


def kv_parse(body: bytes) -> tuple[Any, str]:
    """A KV PUT body read as Kestra's ION reader types it: (value, KV type)."""
    text = body.decode("utf-8", "replace").strip()
    if _DATE.match(text):
        return date.fromisoformat(text).isoformat(), "DATE"
    if _DATETIME.match(text):
        return datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat().replace(
            "+00:00", "Z"
        ), "DATETIME"
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return text, "STRING"  # unparseable (e.g. 1.2.3) is kept as the raw string
    return value, kv_type(value)


def kv_type(value: Any) -> str:
    """Kestra's KVType of a stored value."""
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, (int, float)):
        return "NUMBER"
    if isinstance(value, (dict, list)):
        return "JSON"
    if isinstance(value, str) and _DURATION.match(value):
        return "DURATION"
    return "STRING"


def _iso(ts: float | None) -> str | None:
    return (
        None
        if ts is None
        else datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    )
