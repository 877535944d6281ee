"""Requests reduced to what decides the answer, and the stable keys cassettes are indexed by.

Two requests with the same model, messages, tools and sampling settings get the same key, whatever
the key order, the client, `stream` or `user`. Besides the key, each request yields hashes of its
system prompt, its tool schema and its conversation (the messages without the system prompt), so a
replay miss can say "the system prompt changed" instead of a bare "not found".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

# The sampling settings: they change what the model answers without being the conversation.
SAMPLING_FIELDS = (
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "seed",
    "stop",
    "n",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "reasoning_effort",
)
# Everything that changes what the model answers. `stream`, `stream_options` and `user` do not:
# a streamed recording also serves a non-streamed request, and the reverse.
CHAT_FIELDS = (
    "model",
    "messages",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "functions",
    "function_call",
    "response_format",
    *SAMPLING_FIELDS,
    "logprobs",
    "top_logprobs",
    "modalities",
    "prediction",
    "service_tier",
)
EMBEDDING_FIELDS = ("model", "input", "dimensions", "encoding_format")
_FLOATS = {"temperature", "top_p", "presence_penalty", "frequency_penalty"}
SYSTEM_ROLES = ("system", "developer")


def _hash(data: Any, length: int = 16) -> str:
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()[:length]


def _clean_message(message: Any) -> Any:
    # Clients differ in sending `"name": null` or leaving it out; both mean the same. Requests
    # without any null are used as they are (no copy on the replay hot path).
    if isinstance(message, dict) and None in message.values():
        return {k: v for k, v in message.items() if v is not None}
    return message


def canonical_chat(body: dict[str, Any], *, may_have_nulls: bool = True) -> dict[str, Any]:
    """The fields of a chat request that decide its answer, normalised.

    `may_have_nulls=False` (the raw body has no `null`) skips looking for null fields.
    """
    canon: dict[str, Any] = {}
    for name in CHAT_FIELDS:
        value = body.get(name)
        if value is None:
            continue
        if name == "messages" and isinstance(value, list):
            if may_have_nulls and any([None in m.values() for m in value if type(m) is dict]):  # noqa: C419 - a list is faster here
                value = [_clean_message(m) for m in value]
        elif name in _FLOATS and isinstance(value, int | float) and not isinstance(value, bool):
            value = float(value)
        canon[name] = value
    return canon


def canonical_embedding(body: dict[str, Any]) -> dict[str, Any]:
    """The fields of an embeddings request that decide its answer."""
    return {k: body[k] for k in EMBEDDING_FIELDS if body.get(k) is not None}


@dataclass(frozen=True, slots=True)
class RequestKey:
    """A request's cassette key and the hashes that explain a miss."""

    key: str
    model: str
    system_hash: str | None
    tools_hash: str | None
    conversation_hash: str
    sampling_hash: str


def request_key(canon: dict[str, Any]) -> str:
    """The cassette key of a canonical request: 16 hex digits of the sha256 of its sorted JSON."""
    return _hash(canon)


def chat_key(body: dict[str, Any], canon: dict[str, Any] | None = None) -> RequestKey:
    """Key and diagnostic hashes of a chat completion request (the hashes serve misses and recording)."""
    canon = canonical_chat(body) if canon is None else canon
    messages = canon.get("messages") or []
    system = [
        m.get("content") for m in messages if isinstance(m, dict) and m.get("role") in SYSTEM_ROLES
    ]
    rest = [m for m in messages if not (isinstance(m, dict) and m.get("role") in SYSTEM_ROLES)]
    tools = {
        k: canon[k]
        for k in ("tools", "functions", "tool_choice", "function_call", "response_format")
        if k in canon
    }
    return RequestKey(
        key=_hash(canon),
        model=str(canon.get("model", "")),
        system_hash=_hash(system, 12) if system else None,
        tools_hash=_hash(tools, 12) if tools else None,
        conversation_hash=_hash(rest, 12),
        sampling_hash=_hash({k: canon[k] for k in SAMPLING_FIELDS if k in canon}, 12),
    )


def embedding_key(body: dict[str, Any]) -> RequestKey:
    """Key of an embeddings request (its input is its 'conversation')."""
    canon = canonical_embedding(body)
    return RequestKey(
        key=_hash(canon),
        model=str(canon.get("model", "")),
        system_hash=None,
        tools_hash=None,
        conversation_hash=_hash(canon.get("input"), 12),
        sampling_hash=_hash(canon.get("dimensions"), 12),
    )


def last_user_text(body: dict[str, Any]) -> str:
    """The text of the last user message ('' when there is none)."""
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
            return str(content or "")
    return ""


def summarize(body: dict[str, Any], kind: str = "chat") -> dict[str, Any]:
    """A short, readable description of a request for cassettes and error messages."""
    if kind == "embeddings":
        inp = body.get("input")
        first = inp[0] if isinstance(inp, list) and inp else inp
        return {
            "model": body.get("model"),
            "input": _clip(str(first or "")),
            "inputs": len(inp) if isinstance(inp, list) else 1,
        }
    summary: dict[str, Any] = {
        "model": body.get("model"),
        "messages": len(body.get("messages") or []),
        "last_user": _clip(last_user_text(body)),
    }
    tools = body.get("tools") or []
    if tools:
        summary["tools"] = [
            (t.get("function") or {}).get("name") for t in tools if isinstance(t, dict)
        ]
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") not in (None, "text"):
        summary["response_format"] = fmt.get("type")
    return summary


def describe(summary: dict[str, Any], key: str) -> str:
    """One line naming a request: model, last user message, key."""
    if "last_user" in summary:
        return (
            f"model {summary.get('model')}, {summary.get('messages')} messages, last user message "
            f"{summary.get('last_user')!r} (key {key})"
        )
    return f"embeddings, model {summary.get('model')}, input {summary.get('input')!r} (key {key})"


def _clip(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
