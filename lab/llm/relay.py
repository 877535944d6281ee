"""Live forwarding to the upstream: the streaming relay, the missing-key refusal, upstream error text."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import orjson

from lab.llm import shapes
from lab.llm.asgi import SSE, Reply, Send, headers
from lab.llm.prices import StatedCost
from lab.llm.upstream import Upstream, UpstreamError


def check_upstream(upstream: Upstream, mode: str) -> None:
    """Refuse (503) to forward to OpenAI without a key; a local server (Ollama, vLLM) may not need one."""
    if not upstream.has_key and "api.openai.com" in upstream.url:
        raise Reply(
            503,
            shapes.error_body(
                f"{mode} mode forwards to {upstream.url} but the lab has no OPENAI_API_KEY; set it "
                "(and OPENAI_BASE_URL for another OpenAI-compatible server), or use --llm replay / scripted",
                type_="upstream_not_configured",
                code="missing_upstream_key",
            ),
        )


class StreamFailed(UpstreamError):
    """The upstream answered 200, then an error event in the stream (`data: {"error": ...}`)."""


@dataclass(slots=True)
class RelayedStream:
    """What a relayed stream added up to: the completion, its chunks, the cost the upstream
    stated, and the upstream's time from the request to its last event."""

    completion: dict[str, Any]
    chunks: list[dict[str, Any]]
    stated_cost: StatedCost | None
    latency_ms: float


async def relay_stream(
    upstream: Upstream, body: dict[str, Any], send: Send, include_usage: bool, mode: str
) -> RelayedStream:
    """Relay an upstream SSE stream to the client as it comes.

    The closing `[DONE]` event is left to the caller, which meters the call first. An error event
    in the stream ends it: the client gets the event, the caller a `StreamFailed` (not a reply).
    """
    # Ask the upstream for usage even when the client did not, for exact metering; the
    # usage-only chunk is then kept from the client, which did not ask for it.
    upstream_body = {
        **body,
        "stream_options": {**(body.get("stream_options") or {}), "include_usage": True},
    }
    chunks: list[dict[str, Any]] = []
    answered = False
    try:
        async with upstream.chat_stream(upstream_body) as stream:
            await send(
                {"type": "http.response.start", "status": 200, "headers": headers(SSE, mode)}
            )
            answered = True
            async for payload in stream.payloads:
                if payload == "[DONE]":
                    break
                chunk = loads(payload.encode())
                if not isinstance(chunk, dict):
                    continue
                error = shapes.stream_error(chunk)
                if error is not None:
                    raise StreamFailed(shapes.error_status(error) or 502, payload.encode())
                chunks.append(chunk)
                if not include_usage and shapes.is_usage_only(chunk):
                    continue
                await send(
                    {
                        "type": "http.response.body",
                        "body": b"data: " + payload.encode() + b"\n\n",
                        "more_body": True,
                    }
                )
            latency_ms = (time.perf_counter() - stream.sent_at) * 1000
    except UpstreamError as exc:
        if answered:
            # The status line is gone; end the stream with an error event the client can read.
            await send(
                {
                    "type": "http.response.body",
                    "body": b"data: " + exc.body + b"\n\n",
                    "more_body": False,
                }
            )
            exc.answered = True
        raise
    return RelayedStream(
        shapes.completion_from_chunks(chunks), chunks, stream.stated_cost, latency_ms
    )


def loads(data: bytes) -> Any:
    """Parsed JSON, or None where the upstream sent something else."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return None


def error_message(body: bytes) -> str:
    """The message of an OpenAI-shaped error body, or of a `{"message": ...}` one (other servers
    answer so); its first 300 bytes otherwise."""
    data = loads(body)
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return str(data["error"].get("message"))
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return data["message"]
    return body[:300].decode("utf-8", "replace")
