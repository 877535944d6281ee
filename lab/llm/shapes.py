"""OpenAI wire shapes: completions, stream chunks, SSE framing and error bodies."""

from __future__ import annotations

from typing import Any

import orjson


def error_body(
    message: str,
    *,
    type_: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
) -> bytes:
    """An error in OpenAI's shape: {"error": {"message", "type", "param", "code"}}."""
    return orjson.dumps(
        {"error": {"message": message, "type": type_, "param": param, "code": code}}
    )


def error_status(error: Any) -> int | None:
    """The HTTP status an error object stands for: its `code` when that is a status, as a number or
    as a string (LiteLLM's proxy sends `"code": "429"`), or OpenAI's word for one; None otherwise."""
    if not isinstance(error, dict):
        return None
    code = error.get("code")
    if isinstance(code, str) and code.strip().isdigit():
        code = int(code)
    if isinstance(code, int) and not isinstance(code, bool) and 400 <= code <= 599:
        return code
    return _STATUS_OF_CODE.get(str(code)) or _STATUS_OF_TYPE.get(str(error.get("type")))


_STATUS_OF_CODE = {
    "rate_limit_exceeded": 429,
    "insufficient_quota": 429,
    "invalid_api_key": 401,
    "model_not_found": 404,
    "context_length_exceeded": 400,
}
_STATUS_OF_TYPE = {"server_error": 500, "rate_limit_error": 429, "authentication_error": 401}


def stream_error(chunk: dict[str, Any]) -> dict[str, Any] | None:
    """The error an event of a 200 stream carries (`data: {"error": {...}}`), or None: servers
    that fail after the status line went out (LiteLLM's proxy, vLLM) say so in the stream."""
    error = chunk.get("error")
    if error is None or chunk.get("choices"):
        return None
    return (
        error
        if isinstance(error, dict)
        else {"message": str(error), "type": "server_error", "code": None}
    )


def is_usage_only(chunk: dict[str, Any]) -> bool:
    """A stream chunk that only carries `usage`: `choices` empty (OpenAI, vLLM, Ollama), or one choice
    with an empty delta and no finish_reason (LiteLLM's proxy)."""
    if not chunk.get("usage"):
        return False
    for choice in chunk.get("choices") or []:
        if choice.get("finish_reason") is not None or any((choice.get("delta") or {}).values()):
            return False
    return True


def has_reply(comp: dict[str, Any] | None) -> bool:
    """Whether a completion says something: text or a tool call in its first choice."""
    message = (((comp or {}).get("choices") or [{}])[0] or {}).get("message") or {}
    return bool(message.get("content") or message.get("tool_calls"))


def completion(
    *,
    model: str,
    message: dict[str, Any],
    finish_reason: str,
    id_: str,
    created: int,
    usage: dict[str, Any] | None = None,
    fingerprint: str | None = None,
) -> dict[str, Any]:
    """A chat.completion object with one choice."""
    out: dict[str, Any] = {
        "id": id_,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}
        ],
    }
    if usage is not None:
        out["usage"] = usage
    if fingerprint:
        out["system_fingerprint"] = fingerprint
    return out


def chunks_from_completion(
    comp: dict[str, Any], include_usage: bool = True
) -> list[dict[str, Any]]:
    """The stream chunks an upstream would have sent for a completion (role, content, tool calls, finish)."""
    base = {
        "id": comp.get("id"),
        "object": "chat.completion.chunk",
        "created": comp.get("created"),
        "model": comp.get("model"),
    }
    if comp.get("system_fingerprint"):
        base["system_fingerprint"] = comp["system_fingerprint"]
    choice = (comp.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    chunks = [
        {
            **base,
            "choices": [
                {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
            ],
        }
    ]
    content = message.get("content")
    if content:
        for i in range(0, len(content), 24):  # a few words per chunk, like a model streams
            chunks.append(
                {
                    **base,
                    "choices": [
                        {
                            "index": 0,
                            "delta": {"content": content[i : i + 24]},
                            "finish_reason": None,
                        }
                    ],
                }
            )
    for idx, call in enumerate(message.get("tool_calls") or []):
        delta = {
            "tool_calls": [
                {
                    "index": idx,
                    "id": call.get("id"),
                    "type": "function",
                    "function": {
                        "name": (call.get("function") or {}).get("name"),
                        "arguments": (call.get("function") or {}).get("arguments", ""),
                    },
                }
            ]
        }
        chunks.append({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
    chunks.append(
        {
            **base,
            "choices": [{"index": 0, "delta": {}, "finish_reason": choice.get("finish_reason")}],
        }
    )
    if include_usage and comp.get("usage"):
        chunks.append({**base, "choices": [], "usage": comp["usage"]})
    return chunks


def completion_from_chunks(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """Assemble stream chunks into the chat.completion they add up to."""
    first = chunks[0] if chunks else {}
    text: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    finish = None
    usage = None
    role = "assistant"
    for chunk in chunks:
        if chunk.get("usage"):
            usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            role = delta.get("role") or role
            if delta.get("content"):
                text.append(delta["content"])
            for tc in delta.get("tool_calls") or []:
                slot = calls.setdefault(
                    tc.get("index", 0),
                    {"id": None, "type": "function", "function": {"name": "", "arguments": ""}},
                )
                if tc.get("id"):
                    slot["id"] = tc["id"]
                fn = tc.get("function") or {}
                slot["function"]["name"] += fn.get("name") or ""
                slot["function"]["arguments"] += fn.get("arguments") or ""
            finish = choice.get("finish_reason") or finish
    message: dict[str, Any] = {
        "role": role,
        "content": "".join(text) if text or not calls else None,
    }
    if calls:
        message["tool_calls"] = [calls[i] for i in sorted(calls)]
    return completion(
        model=first.get("model", ""),
        message=message,
        finish_reason=finish or "stop",
        id_=first.get("id", ""),
        created=first.get("created", 0),
        usage=usage,
        fingerprint=first.get("system_fingerprint"),
    )


def sse(chunks: list[dict[str, Any]]) -> list[bytes]:
    """SSE events for chunks, ending with `data: [DONE]`."""
    return [b"data: " + orjson.dumps(c) + b"\n\n" for c in chunks] + [b"data: [DONE]\n\n"]


def reply_text(comp: dict[str, Any]) -> str:
    """A one-line view of a completion's reply, for cassette review."""
    choice = (comp.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    if message.get("tool_calls"):
        return "; ".join(
            f"tool_call {c['function']['name']}({c['function'].get('arguments', '')})"
            for c in message["tool_calls"]
            if c.get("function")
        )
    return str(message.get("content") or "")
