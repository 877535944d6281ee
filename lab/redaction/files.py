"""Redaction of the files walab writes whole: cassettes (re-keyed, so a redacted scenario's
requests still find their answers) and free text with the `--no-redact` notice."""

from __future__ import annotations

from pathlib import Path

from lab.llm.canonical import chat_key, embedding_key
from lab.llm.cassette import Cassette, CassetteEntry
from lab.redaction.policy import NOTICE
from lab.redaction.redactor import Redactor


def redacted_entry(entry: CassetteEntry, redactor: Redactor) -> CassetteEntry:
    """The entry with its request, answer and summary redacted and its key and hashes recomputed
    from the redacted request (the request a replay of the redacted scenario sends)."""
    data = redactor.data
    entry.request = data(entry.request)
    entry.summary = data(entry.summary)
    entry.response = data(entry.response) if entry.response is not None else None
    entry.stream = data(entry.stream) if entry.stream is not None else None
    entry.reply = redactor.text(entry.reply) if entry.reply else entry.reply
    key = (
        embedding_key(entry.request)
        if entry.kind == "embeddings"
        else chat_key(entry.request, entry.request)
    )
    entry.key, entry.conversation_hash = key.key, key.conversation_hash
    entry.system_prompt_hash, entry.tools_hash = key.system_hash, key.tools_hash
    entry.wire = {}
    return entry


def redact_cassette(path: Path, redactor: Redactor, *, durable: bool = True) -> None:
    """Rewrite a cassette file redacted, keeping each key's occurrences in order."""
    if not redactor.enabled or not path.exists():
        return
    cassette = Cassette.load(path)
    seen: dict[str, int] = {}
    for entry in cassette.entries:
        redacted_entry(entry, redactor)
        entry.occurrence = seen.get(entry.key, 0)
        seen[entry.key] = entry.occurrence + 1
    cassette.save(durable=durable)


def redacted_text(text: str, redactor: Redactor) -> str:
    """Text to write: redacted, or headed by the personal-data notice when redaction is off."""
    return redactor.text(text) if redactor.enabled else NOTICE + text
