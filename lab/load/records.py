"""What a load run measured, turn by turn, and how records travel from workers to the report.

A `TurnRecord` is one user message (or two, delivered out of order) and what followed it: the
webhook ack, the first reply the user saw, the end of every execution it started, the replies,
and what went wrong. Workers append records to a `TurnLog`; in a single-process run the log
writes them as JSON lines to the records file (on disk within a second: a crash loses at most
the last second's turns); a
Locust worker on another machine sends them to the master in batches, which writes them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable

import orjson

MESSAGE = "walab_turns"
FLUSH_EVERY = 1.0  # seconds between writes of the records file to disk  # the Locust custom message that carries records to the master


@dataclass(slots=True)
class TurnRecord:
    """One turn of one simulated user."""

    user: str  # the conversation's label: worker/contact
    wa_id: str
    scenario: str
    step: int  # 1-based index of the step in the conversation script
    started: float  # epoch seconds the message was due (open loop: its scheduled time)
    ack_ms: float | None = None
    first_reply_ms: float | None = None
    turn_ms: float | None = None  # until every execution it started ended
    ack_status: int | None = None
    executions: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    deliveries: int = 1  # webhooks posted for it (Meta's redeliveries add to it)
    out_of_order: bool = False  # delivered after the user's next message
    replies: list[str] = field(default_factory=list)  # the visible replies' text, in arrival order
    duplicated: int = 0  # replies identical to an earlier one of the same turn
    late: int = 0  # replies that arrived after the turn had ended
    reordered: int = 0  # replies that answer this message, seen after an answer to a later one
    meta_errors: list[int] = field(default_factory=list)
    outcome: str = "ok"  # ok | check_failed | timeout | ack_failed | stopped
    failures: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        # Not dataclasses.asdict: it deep-copies every list, and a load worker writes a record per turn.
        return {name: getattr(self, name) for name in FIELDS}


FIELDS = tuple(f.name for f in fields(TurnRecord))


class TurnLog:
    """Where a process puts its finished turns.

    Args:
        path: the records file (JSON lines), in the process that writes it; None on a remote worker.
        forward: sends a batch to the master (a Locust worker), used when `path` is None.
    """

    def __init__(
        self, path: Path | None, forward: Callable[[list[dict[str, Any]]], None] | None = None
    ) -> None:
        self._path = path
        self._forward = forward
        self._batch: list[dict[str, Any]] = []
        self.count = 0
        self.recent: list[dict[str, Any]] = []  # what the live progress reads (cleared as it reads)
        self._file = path.open("ab") if path is not None else None
        self._flushed = 0.0

    def add(self, record: TurnRecord | dict[str, Any]) -> None:
        data = record.to_json() if isinstance(record, TurnRecord) else record
        self.count += 1
        if self._file is not None:
            self.recent.append(data)
            self._file.write(
                orjson.dumps(data) + b"\n"
            )  # greenlets never switch inside a file write
            now = time.monotonic()
            if now - self._flushed >= FLUSH_EVERY:  # a crash loses at most this much
                self._file.flush()
                self._flushed = now
        else:
            self._batch.append(data)

    def add_batch(self, records: list[dict[str, Any]]) -> None:
        for data in records:
            self.add(data)

    def flush(self) -> None:
        """Send the batch to the master (workers); nothing to do where the file is written."""
        if self._forward is not None and self._batch:
            batch, self._batch = self._batch, []
            self._forward(batch)

    def take_recent(self) -> list[dict[str, Any]]:
        recent, self.recent = self.recent, []
        return recent

    def close(self) -> None:
        self.flush()
        if self._file is not None:
            self._file.close()
            self._file = None


def read_records(path: Path) -> list[dict[str, Any]]:
    """Every record in a records file (a torn last line, from a crash, is left out)."""
    if not path.exists():
        return []
    out = []
    for line in path.read_bytes().splitlines():
        try:
            out.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            continue
    return out
