"""The KV store of a Kestra namespace: put, get, delete, list keys; the body Kestra reads a value from."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

from lab.kestra import errors
from lab.kestra.connection import KestraConnection
from lab.kestra.shapes import KV_TYPES, KVEntry


class KV:
    """`client.kv`: KV values of a namespace (`/namespaces/{ns}/kv`)."""

    def __init__(self, connection: KestraConnection) -> None:
        self._connection = connection

    def _path(self, namespace: str, key: str) -> str:
        return self._connection.path("namespaces", namespace, "kv", key)

    async def put(
        self,
        namespace: str,
        key: str,
        value: Any,
        *,
        type: str | None = None,
        ttl: str | None = None,
        description: str | None = None,
    ) -> None:
        """Set a KV value; its type follows the value (or `type`: STRING, NUMBER, JSON, ...).

        `ttl` is an ISO-8601 duration (PT5M). The body is what Kestra's ION reader types correctly.
        """
        headers = {"Content-Type": "text/plain"}
        if ttl:
            headers["ttl"] = ttl
        if description:
            headers["description"] = description
        await self._connection.send(
            "PUT",
            self._path(namespace, key),
            content=kv_body(value, type),
            headers=headers,
            what=f"set KV {key!r} in namespace {namespace}",
        )

    async def get(self, namespace: str, key: str) -> KVEntry:
        """A KV value with its type; 404 when absent, 410 when expired."""
        data = await self._connection.json(
            "GET",
            self._path(namespace, key),
            what=f"get KV {key!r} in namespace {namespace}",
            subject=f"KV key {key!r} in namespace {namespace}",
        )
        return KVEntry.from_json(data)

    async def delete(self, namespace: str, key: str) -> bool:
        """Delete a KV value; False when there was none."""
        data = await self._connection.json(
            "DELETE",
            self._path(namespace, key),
            what=f"delete KV {key!r} in namespace {namespace}",
        )
        return bool(data)

    async def keys(self, namespace: str) -> list[str]:
        """The keys of a namespace: 1.3's `GET /namespaces/{ns}/kv`; 2.0 dropped it for `GET /kv` with a
        namespace filter (paged)."""
        what = f"list the KV keys of namespace {namespace}"
        if self._connection.dialect != "2.0":
            data = await self._connection.json(
                "GET", self._connection.path("namespaces", namespace, "kv"), what=what
            )
            return [entry["key"] for entry in data or ()]
        keys: list[str] = []
        page = 1
        while True:
            data = (
                await self._connection.json(
                    "GET",
                    f"{self._connection.api}/kv",
                    what=what,
                    params={"page": page, "size": 100, "filters[namespace][EQUALS]": namespace},
                )
                or {}
            )
            results = data.get("results") or []
            keys += [
                entry["key"] for entry in results if entry.get("namespace", namespace) == namespace
            ]
            if not results or page * 100 >= int(data.get("total") or 0):
                return keys
            page += 1


def kv_body(value: Any, kind: str | None = None) -> bytes:
    """The text/plain body Kestra's KV endpoint reads as `value` of type `kind` (ION/JSON literal)."""
    if kind is not None and kind.upper() not in KV_TYPES:
        raise errors.KestraError(
            f"unknown KV type {kind!r}", fix=f"use one of {', '.join(KV_TYPES)}"
        )
    kind = kind.upper() if kind else None
    if kind == "STRING" or (kind is None and isinstance(value, str)):
        return orjson.dumps(str(value))  # quoted: a bare word would be read as an ION symbol
    if kind in ("DATE", "DATETIME") or (kind is None and isinstance(value, (dt.date, dt.datetime))):
        text = value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)
        return text.replace("+00:00", "Z").encode()  # ION timestamp literal, unquoted
    if kind == "DURATION" or (kind is None and isinstance(value, dt.timedelta)):
        seconds = value.total_seconds() if isinstance(value, dt.timedelta) else None
        return orjson.dumps(f"PT{seconds:g}S" if seconds is not None else str(value))
    if kind == "NUMBER":
        return str(value).encode()
    if kind == "BOOLEAN":
        return b"true" if value in (True, "true", "True", 1) else b"false"
    return orjson.dumps(value)
