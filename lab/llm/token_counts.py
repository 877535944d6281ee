"""Token counts kept between runs, so a replay does not build tiktoken's encoder to count again.

Building the encoder (tiktoken's `CoreBPE` over 200,000 ranks) costs ~0.2 s of CPU in every
process, more than the rest of a one-scenario replay's LLM work, and a replayed or scripted
conversation counts the same texts on every run (the system prompt, the history, the replies).
A count depends only on the encoding and the text, so each distinct text is counted once and
kept in a small file beside the encoding's cache: one line `<BLAKE2b-128 of the text> <count>`,
appended as texts are first counted (appends of one short line are atomic, so parallel workers
share the file). The file's name carries the encoding's identity (the blob's sha256 and the
file defining its pattern and special tokens), so another tiktoken starts another file. It holds
digests of the texts, never the texts, and is readable by its owner only (a digest still lets
someone who guesses a text confirm it was counted).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

# A file this large (about 400,000 texts) is dropped and started again: loading it would cost
# more than building the encoder.
MAX_FILE_BYTES = 16 * 1024 * 1024


class TokenCountFile:
    """The counts of one encoding: read on first use, then one appended line per new text."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._counts: dict[str, int] | None = None

    def get(self, text: str) -> int | None:
        """The count kept for text, or None when it was never counted with this encoding."""
        if self._counts is None:
            self._counts = self._load()
        return self._counts.get(_digest(text))

    def add(self, text: str, count: int) -> None:
        """Keep text's count, in memory and in the file (a read-only cache only loses the file)."""
        digest = _digest(text)
        if self._counts is None:
            self._counts = self._load()
        if self._counts.get(digest) == count:
            return
        self._counts[digest] = count
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, f"{digest} {count}\n".encode("ascii"))
            finally:
                os.close(fd)
        except OSError:
            pass

    def _load(self) -> dict[str, int]:
        try:
            if self.path.stat().st_size > MAX_FILE_BYTES:
                self.path.unlink()
                return {}
            data = self.path.read_bytes()
        except OSError:
            return {}
        counts: dict[str, int] = {}
        # The last piece has no newline when a write was cut short (a crash): it is left out, as
        # is any line that is not ours.
        for line in data.split(b"\n")[:-1]:
            digest, _, count = line.decode("ascii", "replace").partition(" ")
            if len(digest) == 32 and count.isdigit():
                counts[digest] = int(count)
        return counts


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
