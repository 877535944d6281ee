"""Scripted replies: answers written in a scenario, to test a flow's plumbing without any model.

Items are taken in order, one per call, except rules (items with `match`), which answer any call
whose last user message matches their regex, first match wins, before the next in-order item:

    ScriptedReplies([
        "Olá! Como posso ajudar?",                                  # text
        {"match": "(?i)preço|valor", "reply": "O plano custa R$ 99"},  # rule
        {"tool_call": {"name": "buscar_plano", "arguments": {"id": 3}}},
        {"json": {"intent": "comprar", "confidence": 0.9}},
        {"error": 429, "message": "Rate limit reached"},            # the upstream fails (429, 500, ...)
    ])

An `error` item answers the call with that HTTP status and an OpenAI-shaped error body, as the
real API would (429 rate_limit_exceeded, 500 server_error, ...), so a scenario can check how the
flow copes with a failing model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from lab import yamlio
from lab.errors import ConfigError


@dataclass(slots=True)
class ScriptedReply:
    """One reply: a text, a tool call, a JSON object (sent as the message content) or an error."""

    text: str | None = None
    tool_call: dict[str, Any] | None = None
    json: Any = None
    match: re.Pattern[str] | None = None
    error: int | None = None  # HTTP status of a scripted upstream failure
    message_text: str | None = None  # its message

    def error_message(self) -> str:
        return self.message_text or _ERRORS.get(self.error or 0, ("", None, "the model failed"))[2]

    def error_type(self) -> str:
        if self.error in _ERRORS:
            return _ERRORS[self.error][0]
        return "server_error" if (self.error or 0) >= 500 else "invalid_request_error"

    def error_code(self) -> str | None:
        return _ERRORS[self.error][1] if self.error in _ERRORS else None

    def message(self, call_id: str) -> tuple[dict[str, Any], str]:
        """The assistant message and finish reason this reply answers with."""
        if self.tool_call is not None:
            args = self.tool_call.get("arguments", {})
            arguments = args if isinstance(args, str) else orjson.dumps(args).decode()
            call = {
                "id": call_id,
                "type": "function",
                "function": {"name": str(self.tool_call.get("name", "")), "arguments": arguments},
            }
            return {"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls"
        if self.json is not None:
            return {"role": "assistant", "content": orjson.dumps(self.json).decode()}, "stop"
        return {"role": "assistant", "content": self.text or ""}, "stop"


# OpenAI's error bodies for the statuses a flow most needs to survive: (type, code, message).
_ERRORS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request"),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided"),
    429: (
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for requests. Please try again later.",
    ),
    500: (
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    502: ("server_error", None, "Bad gateway."),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}


def _parse_error(
    item: dict[str, Any], pattern: re.Pattern[str] | None, where: str
) -> ScriptedReply:
    status = item["error"]
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise ConfigError(
            f"scripted `error` must be an HTTP error status (400-599), not {status!r}",
            where=where,
            fix="e.g. {error: 500, message: 'upstream down'} or {error: 429}",
        )
    extra = set(item) - {"error", "message", "match"}
    if extra:
        raise ConfigError(
            f"a scripted error takes only `message` (and `match`), not {', '.join(sorted(extra))}",
            where=where,
            fix="e.g. {error: 429, message: 'Rate limit reached'}",
        )
    message = item.get("message")
    return ScriptedReply(
        error=status, message_text=None if message is None else str(message), match=pattern
    )


def _parse(item: Any, where: str) -> ScriptedReply:
    if isinstance(item, str):
        return ScriptedReply(text=item)
    if not isinstance(item, dict):
        raise ConfigError(
            "a scripted reply is a text or a mapping with reply, tool_call, json or error",
            where=where,
        )
    pattern = None
    if "match" in item:
        try:
            pattern = re.compile(str(item["match"]))
        except re.error as exc:
            raise ConfigError(
                f"scripted reply `match` is not a valid regex: {exc}",
                where=where,
                fix="write a Python regular expression, e.g. (?i)preço|valor",
            ) from None
    if "error" in item:
        return _parse_error(item, pattern, where)
    if isinstance(item.get("reply"), dict):  # {match: ..., reply: {tool_call: ...}} reads as well
        item = {k: v for k, v in item.items() if k != "reply"} | item["reply"]
    kinds = [k for k in ("reply", "text", "tool_call", "json") if k in item]
    if len(kinds) != 1:
        raise ConfigError(
            "a scripted reply needs exactly one of reply, tool_call, json",
            where=where,
            fix="e.g. {match: '(?i)oi', reply: 'Olá!'} or {tool_call: {name: f, arguments: {}}}",
        )
    kind = kinds[0]
    if kind == "tool_call":
        tc = item["tool_call"]
        if not isinstance(tc, dict) or "name" not in tc:
            raise ConfigError(
                "scripted `tool_call` needs a name (and optional arguments)", where=where
            )
        return ScriptedReply(tool_call=tc, match=pattern)
    if kind == "json":
        return ScriptedReply(json=item["json"], match=pattern)
    return ScriptedReply(text=str(item[kind]), match=pattern)


@dataclass
class ScriptedReplies:
    """The replies of a scripted session: in-order items and regex rules."""

    items: list[Any] = field(default_factory=list)
    source: str = "scenario"

    def __post_init__(self) -> None:
        parsed = [
            _parse(item, f"{self.source}: llm replies[{i}]") for i, item in enumerate(self.items)
        ]
        self.rules = [r for r in parsed if r.match is not None]
        self.queue = [r for r in parsed if r.match is None]
        self.used = 0

    def next(self, last_user: str) -> ScriptedReply | None:
        """The reply to a call whose last user message is `last_user` (None when none is left)."""
        for rule in self.rules:
            if rule.match and rule.match.search(last_user):
                return rule
        if self.used < len(self.queue):
            self.used += 1
            return self.queue[self.used - 1]
        return None


def load_script(path: str | Path) -> ScriptedReplies:
    """Scripted replies from a YAML file, for `walab send --script` (and the chat).

    The file holds what a scenario writes under `llm: scripted:` (a list of replies, or one), as
    the whole document or under a top-level `scripted:`; a scenario file works too (its
    `llm: scripted:` is used).
    """

    path = Path(path)
    fix = (
        "write a YAML list of replies in the format of a scenario's `llm: scripted:`, one per line, e.g. "
        "`- {match: '(?i)preço', reply: 'O plano custa R$ 99'}` or `- Olá!`"
    )
    if not path.is_file():
        raise ConfigError(f"no scripted-replies file {path}", where="--script", fix=fix)
    data = yamlio.load(path)
    if isinstance(data, dict) and isinstance(data.get("llm"), dict):
        data = data["llm"]
    if isinstance(data, dict) and "scripted" in data:
        data = data["scripted"]
    if isinstance(data, dict) and {"match", "reply", "text", "json", "tool_call", "error"} & set(
        data
    ):
        data = [data]  # one reply, as a scenario may write it
    if isinstance(data, str):
        data = [data]
    if not isinstance(data, list) or not data:
        raise ConfigError(
            "the scripted-replies file holds no list of replies", where=str(path), fix=fix
        )
    return ScriptedReplies(data, source=str(path))
