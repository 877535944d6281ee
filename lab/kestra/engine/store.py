"""The engine's KV store (typed values, TTL on the engine clock) and namespace files."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

KV_TYPES = ("STRING", "NUMBER", "BOOLEAN", "DATETIME", "DATE", "DURATION", "JSON")


def kv_type_of(value: Any) -> str:
    """The KVType Kestra would record for a value."""
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, (int, float)):
        return "NUMBER"
    if isinstance(value, datetime):
        return "DATETIME"
    if isinstance(value, date):
        return "DATE"
    if isinstance(value, timedelta):
        return "DURATION"
    if isinstance(value, (dict, list)):
        return "JSON"
    return "STRING"


def as_string(value: Any) -> str:
    """A value as Kestra's STRING type holds it (a KV STRING, a STRING input): text as it is, maps
    and lists as JSON, anything else as its text."""
    if isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def coerce_kv(value: Any, kind: str | None) -> Any:
    """Convert a value to the declared kvType (e.g. a rendered string to a number or JSON)."""
    if kind is None or value is None:
        return value
    kind = kind.upper()
    if kind == "STRING":
        return as_string(value)
    if kind == "NUMBER" and isinstance(value, str):
        number = float(value)
        return int(number) if number.is_integer() and "." not in value else number
    if kind == "BOOLEAN" and isinstance(value, str):
        return value.strip().lower() == "true"
    if kind == "JSON" and isinstance(value, str):
        return json.loads(value)
    return value


@dataclass(slots=True)
class KVEntry:
    """One stored value."""

    value: Any
    type: str
    revision: int
    updated: float
    expires_at: float | None = None
    description: str | None = None
    created: float = 0.0  # when the key was first set (Kestra's creationDate)

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at


class KVExpired(KeyError):
    """The key exists but its TTL has passed (Kestra answers 410)."""


class KVStore:
    """Kestra's KV store, per namespace; `now` is the engine clock (seconds since the epoch)."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._data: dict[str, dict[str, KVEntry]] = {}

    def entry(self, namespace: str, key: str) -> KVEntry:
        """The entry; KeyError when absent, KVExpired when its TTL has passed."""
        entry = self._data.get(namespace, {}).get(key)
        if entry is None:
            raise KeyError(key)
        if entry.expired(self._now()):
            raise KVExpired(key)
        return entry

    def get(self, namespace: str, key: str) -> Any:
        return self.entry(namespace, key).value

    def set(
        self,
        namespace: str,
        key: str,
        value: Any,
        *,
        ttl: float | None = None,
        kind: str | None = None,
        description: str | None = None,
    ) -> None:
        now = self._now()
        ns = self._data.setdefault(namespace, {})
        previous = ns.get(key)
        value = coerce_kv(value, kind)
        ns[key] = KVEntry(
            value=value,
            type=(kind or kv_type_of(value)).upper(),
            revision=(previous.revision + 1) if previous else 1,
            updated=now,
            expires_at=now + ttl if ttl is not None else None,
            description=description,
            created=previous.created if previous else now,
        )

    def delete(self, namespace: str, key: str) -> bool:
        return self._data.get(namespace, {}).pop(key, None) is not None

    def keys(self, namespace: str, prefix: str = "") -> list[str]:
        """Live (not expired) keys of a namespace."""
        now = self._now()
        return [
            k
            for k, e in self._data.get(namespace, {}).items()
            if k.startswith(prefix) and not e.expired(now)
        ]

    def namespaces(self) -> list[str]:
        return sorted(self._data)


class NamespaceFiles:
    """Namespace files (`read('prompts/system.md')`), kept in memory."""

    def __init__(self) -> None:
        self._files: dict[str, dict[str, bytes]] = {}

    @staticmethod
    def _norm(path: str) -> str:
        return "/" + path.strip().lstrip("/")

    def put(self, namespace: str, path: str, data: bytes) -> None:
        self._files.setdefault(namespace, {})[self._norm(path)] = bytes(data)

    def get(self, namespace: str, path: str) -> bytes:
        """The file's bytes; KeyError when absent."""
        return self._files.get(namespace, {})[self._norm(path)]

    def list(self, namespace: str, prefix: str = "") -> list[str]:
        p = self._norm(prefix) if prefix else "/"
        return sorted(k for k in self._files.get(namespace, {}) if k.startswith(p))

    def delete(self, namespace: str, path: str) -> bool:
        return self._files.get(namespace, {}).pop(self._norm(path), None) is not None
