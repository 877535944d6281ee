"""Secrets out of anything written to disk: keys by name, values by shape, and known secret values."""

from __future__ import annotations

import re
from typing import Any, Iterable

REDACTED = "[REDACTED]"

# Field names whose value is a credential, whatever it looks like.
_SECRET_NAMES = re.compile(
    r"^(authorization|proxy-authorization|api[-_]?key|x-api-key|openai[-_]api[-_]key|"
    r"access[-_]?token|refresh[-_]?token|secret|client[-_]?secret|password|cookie|set-cookie)$",
    re.IGNORECASE,
)
# Values that look like credentials: OpenAI/Anthropic-style keys, bearer tokens, Meta tokens,
# AWS access keys, GitHub and Slack tokens, Google API keys, walab's own keys.
_SECRET_VALUES = re.compile(
    r"\bsk-[A-Za-z0-9_\-]{8,}"
    r"|\b[Bb][Ee][Aa][Rr][Ee][Rr]\s+[A-Za-z0-9._~+/\-]+=*"
    r"|\bEAA[A-Za-z0-9]{20,}"
    r"|\bAKIA[0-9A-Z]{16}\b"
    r"|\bgh[pousr]_[A-Za-z0-9]{20,}"
    r"|\bxox[abprs]-[A-Za-z0-9\-]{10,}"
    r"|\bAIza[0-9A-Za-z_\-]{30,}"
    r"|\bwalab-[A-Za-z0-9_\-]{16,}"
)


class Scrubber:
    """Replaces secrets in nested JSON-like data.

    Args:
        secrets: exact values to remove wherever they appear (the gateway key, the upstream key).
    """

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._values = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)
        self._raw_values = [v.encode() for v in self._values]

    def finds(self, raw: bytes, fresh_text: str = "") -> bool:
        """Whether a request holds a secret: one of the known values anywhere in its raw bytes, or
        something shaped like a key in `fresh_text` (the newest message, where a user pastes one).

        Shape-matching a whole 40-message body costs ~0.1-0.4 ms here, more than the replay
        itself; earlier messages were checked when they were new, and cassettes are scrubbed
        entirely when written.
        """
        if any(v in raw for v in self._raw_values):
            return True
        return bool(fresh_text) and _SECRET_VALUES.search(fresh_text) is not None

    def text(self, value: str) -> str:
        """A string with every secret replaced by [REDACTED]."""
        for secret in self._values:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return _SECRET_VALUES.sub(REDACTED, value)

    def data(self, value: Any) -> Any:
        """A copy of nested dicts/lists with secret fields and secret-looking strings redacted."""
        if isinstance(value, dict):
            return {
                k: (
                    REDACTED
                    if isinstance(k, str) and _SECRET_NAMES.match(k) and v
                    else self.data(v)
                )
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.data(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value


def looks_secret(text: str) -> bool:
    """Whether a string contains something shaped like a credential."""
    return bool(_SECRET_VALUES.search(text))


def newest_text(body: dict[str, Any]) -> str:
    """The text of a chat request's newest message, where a user pastes a key (see `Scrubber.finds`)."""
    messages = body.get("messages")
    if isinstance(messages, list) and messages and isinstance(messages[-1], dict):
        content = messages[-1].get("content")
        return content if isinstance(content, str) else ""
    return ""
