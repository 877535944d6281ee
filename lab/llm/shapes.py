"""OpenAI wire shapes: completions, stream chunks, SSE framing and error bodies."""

from __future__ import annotations

from typing import Any

import orjson


def error_body(message: str, *, type_: str = "invalid_request_error", code: str | None = None,
               param: str | None = None) -> bytes:
    """An error in OpenAI's shape: {"error": {"message", "type", "param", "code"}}."""
    return orjson.dumps({"error": {"message": message, "type": type_, "param": param, "code": code}})


def completion(*, model: str, message: dict[str, Any], finish_reason: str, id_: str, created: int,
               usage: dict[str, Any] | None = None, fingerprint: str | None = None) -> dict[str, Any]:
    """A chat.completion object with one choice."""
    out: dict[str, Any] = {
        "id": id_, "object": "chat.completion", "created": created, "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
    }
    if usage is not None:
        out["usage"] = usage
    if fingerprint:
        out["system_fingerprint"] = fingerprint
    return out


def chunks_from_completion(comp: dict[str, Any], include_usage: bool = True) -> list[dict[str, Any]]:
    """The stream chunks an upstream would have sent for a completion (role, content, tool calls, finish)."""
    base = {"id": comp.get("id"), "object": "chat.completion.chunk", "created": comp.get("created"),
            "model": comp.get("model")}
    if comp.get("system_fingerprint"):
        base["system_fingerprint"] = comp["system_fingerprint"]
    choice = (comp.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    chunks = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}]
    content = message.get("content")
    if content:
        for i in range(0, len(content), 24):  # a few words per chunk, like a model streams
            chunks.append({**base, "choices": [{"index": 0, "delta": {"content": content[i:i + 24]},
                                                "finish_reason": None}]})
    for idx, call in enumerate(message.get("tool_calls") or []):
        delta = {"tool_calls": [{"index": idx, "id": call.get("id"), "type": "function",
                                 "function": {"name": (call.get("function") or {}).get("name"),
                                              "arguments": (call.get("function") or {}).get("arguments", "")}}]}
        chunks.append({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": choice.get("finish_reason")}]})
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
                slot = calls.setdefault(tc.get("index", 0), {"id": None, "type": "function",
                                                             "function": {"name": "", "arguments": ""}})
                if tc.get("id"):
                    slot["id"] = tc["id"]
                fn = tc.get("function") or {}
                slot["function"]["name"] += fn.get("name") or ""
                slot["function"]["arguments"] += fn.get("arguments") or ""
            finish = choice.get("finish_reason") or finish
    message: dict[str, Any] = {"role": role, "content": "".join(text) if text or not calls else None}
    if calls:
        message["tool_calls"] = [calls[i] for i in sorted(calls)]
    return completion(model=first.get("model", ""), message=message, finish_reason=finish or "stop",
                      id_=first.get("id", ""), created=first.get("created", 0), usage=usage,
                      fingerprint=first.get("system_fingerprint"))


def sse(chunks: list[dict[str, Any]]) -> list[bytes]:
    """SSE events for chunks, ending with `data: [DONE]`."""
    return [b"data: " + orjson.dumps(c) + b"\n\n" for c in chunks] + [b"data: [DONE]\n\n"]


def reply_text(comp: dict[str, Any]) -> str:
    """A one-line view of a completion's reply, for cassette review."""
    choice = (comp.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    if message.get("tool_calls"):
        return "; ".join(f"tool_call {c['function']['name']}({c['function'].get('arguments', '')})"
                         for c in message["tool_calls"] if c.get("function"))
    return str(message.get("content") or "")
