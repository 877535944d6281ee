"""Is a WhatsApp flow's webhook key fit for production?

Meta signs every webhook (`X-Hub-Signature-256`, an HMAC of the raw body with the app secret), but
Kestra's Webhook trigger hands a flow the parsed body, never the raw bytes, so no flow can
recompute that HMAC (kestra-io/kestra#18286, open). On a real Kestra the trigger's key is what
keeps forged webhooks out: it must be long, random, and kept out of the flow's text (a secret or
KV expression), so that reading the flow, its revisions or a repository does not give it away.
See flows/README.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from lab import yamlio

WEBHOOK_TYPES = (
    "io.kestra.plugin.core.trigger.Webhook",
    "io.kestra.core.models.triggers.types.Webhook",
)
MIN_KEY_LENGTH = 32
"""Characters a written-out key needs to resist guessing (a 32-character random string: ~190 bits)."""
_FROM_STORE = re.compile(r"\{\{.*\b(secret|kv)\s*\(", re.DOTALL)
_READS_META = re.compile(r"trigger\.body\.entry\b|whatsapp", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class KeyWarning:
    """One reason a WhatsApp webhook key is weak, at the line of the key."""

    line: int | None
    message: str
    hint: str


def key_warnings(source: str) -> list[KeyWarning]:
    """Warnings for each Webhook trigger of a WhatsApp flow (one that reads Meta's payload,
    `trigger.body.entry`, or names WhatsApp) whose key is short or written in the flow in clear."""
    if not _READS_META.search(source):
        return []
    try:
        data = yamlio.parse(source)
    except yaml.YAMLError:
        return []  # the validation reports it
    if not isinstance(data, dict) or not isinstance(data.get("triggers"), list):
        return []
    out = []
    for index, trigger in enumerate(data["triggers"]):
        if not isinstance(trigger, dict) or trigger.get("type") not in WEBHOOK_TYPES:
            continue
        key = str(trigger.get("key") or "")
        if _FROM_STORE.search(key):
            continue
        line = yamlio.line_of(source, ["triggers", index, "key"])
        short = f"only {len(key)} characters, " if len(key) < MIN_KEY_LENGTH else ""
        out.append(
            KeyWarning(
                line,
                (
                    f"the key of WhatsApp webhook trigger {trigger.get('id', index)!r} is {short}written in the flow in "
                    "clear; with no way for a Kestra flow to check Meta's X-Hub-Signature-256 (kestra-io/kestra#18286), "
                    "that key is all that keeps forged webhooks out"
                ),
                (
                    "in production use a long random key kept as a secret: key: \"{{ secret('WA_WEBHOOK_KEY') }}\" "
                    "(at least 32 random characters, rotated), or put a proxy that verifies the signature in front of "
                    "Kestra; see flows/README.md"
                ),
            )
        )
    return out
