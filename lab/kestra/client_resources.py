"""Flows, KV and namespace files of `KestraClient` (mixed into it; shares its `_send`/`_json`)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import orjson
import yaml

from lab import yamlio
from lab.kestra import errors
from lab.kestra.shapes import KV_TYPES, Flow, FlowReport, KVEntry, NamespaceFile

if TYPE_CHECKING:
    import httpx

YAML = {"Content-Type": "application/x-yaml"}


class ResourcesMixin:
    """Deploying what a flow needs: flows, KV values, namespace files."""

    _api: str
    dialect: str

    async def _send(
        self, method: str, path: str, **kwargs: Any
    ) -> httpx.Response: ...  # see KestraClient
    async def _json(self, method: str, path: str, **kwargs: Any) -> Any: ...  # see KestraClient

    # -- flows ------------------------------------------------------------------------------

    def _flow_path(self, namespace: str, flow_id: str) -> str:
        return f"{self._api}/flows/{quote(namespace, safe='')}/{quote(flow_id, safe='')}"

    async def create_flow(self, source: str) -> Flow:
        """Create a flow from its YAML (`POST /flows`); 422 when it exists or is invalid."""
        data = await self._json(
            "POST",
            f"{self._api}/flows",
            content=source.encode(),
            headers=YAML,
            what=f"create flow {_flow_name(source)}",
        )
        return Flow.from_json(data)

    async def update_flow(self, namespace: str, flow_id: str, source: str) -> Flow:
        """Replace a flow with new YAML (`PUT /flows/{ns}/{id}`); 404 when it does not exist."""
        data = await self._json(
            "PUT",
            self._flow_path(namespace, flow_id),
            content=source.encode(),
            headers=YAML,
            what=f"update flow {namespace}.{flow_id}",
            subject=f"flow {namespace}.{flow_id}",
        )
        return Flow.from_json(data)

    async def deploy_flow(self, source: str) -> Flow:
        """Create the flow, or update it when it already exists."""
        namespace, flow_id = _flow_key(source)
        try:
            return await self.create_flow(source)
        except errors.KestraInvalid as exc:
            if "already exists" not in str(exc) or not (namespace and flow_id):
                raise
        return await self.update_flow(namespace, flow_id, source)

    async def get_flow(self, namespace: str, flow_id: str) -> Flow:
        """The flow with its source (`GET /flows/{ns}/{id}?source=true`)."""
        data = await self._json(
            "GET",
            self._flow_path(namespace, flow_id),
            params={"source": "true"},
            what=f"get flow {namespace}.{flow_id}",
            subject=f"flow {namespace}.{flow_id}",
        )
        return Flow.from_json(data)

    async def delete_flow(self, namespace: str, flow_id: str) -> None:
        """Delete a flow (204)."""
        await self._send(
            "DELETE",
            self._flow_path(namespace, flow_id),
            what=f"delete flow {namespace}.{flow_id}",
            subject=f"flow {namespace}.{flow_id}",
        )

    async def sync_namespace(
        self, namespace: str, sources: list[str], *, delete: bool = False
    ) -> list[Flow]:
        """Create or update every flow of `sources` in `namespace` in one call.

        Kestra's endpoint deletes the namespace's other flows by default; here `delete` must be
        asked for explicitly.
        """
        body = "\n---\n".join(s.strip("\n") for s in sources).encode()
        data = await self._json(
            "POST",
            f"{self._api}/flows/{quote(namespace, safe='')}",
            params={"delete": "true" if delete else "false"},
            content=body,
            headers=YAML,
            what=f"update the flows of namespace {namespace}",
        )
        return [Flow.from_json(d) for d in data or ()]

    async def validate_flows(self, sources: str | list[str]) -> list[FlowReport]:
        """Kestra's verdict on each flow (`POST /flows/validate`): valid when `constraints` is None."""
        body = (
            sources if isinstance(sources, str) else "\n---\n".join(s.strip("\n") for s in sources)
        )
        data = await self._json(
            "POST",
            f"{self._api}/flows/validate",
            content=body.encode(),
            headers=YAML,
            what="validate flows",
        )
        return [FlowReport.from_json(d) for d in data or ()]

    # -- KV ---------------------------------------------------------------------------------

    def _kv_path(self, namespace: str, key: str) -> str:
        return f"{self._api}/namespaces/{quote(namespace, safe='')}/kv/{quote(key, safe='')}"

    async def put_kv(
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
        await self._send(
            "PUT",
            self._kv_path(namespace, key),
            content=kv_body(value, type),
            headers=headers,
            what=f"set KV {key!r} in namespace {namespace}",
        )

    async def get_kv(self, namespace: str, key: str) -> KVEntry:
        """A KV value with its type; 404 when absent, 410 when expired."""
        data = await self._json(
            "GET",
            self._kv_path(namespace, key),
            what=f"get KV {key!r} in namespace {namespace}",
            subject=f"KV key {key!r} in namespace {namespace}",
        )
        return KVEntry.from_json(data)

    async def delete_kv(self, namespace: str, key: str) -> bool:
        """Delete a KV value; False when there was none."""
        data = await self._json(
            "DELETE",
            self._kv_path(namespace, key),
            what=f"delete KV {key!r} in namespace {namespace}",
        )
        return bool(data)

    async def list_kv(self, namespace: str) -> list[str]:
        """The keys of a namespace: 1.3's `GET /namespaces/{ns}/kv`; 2.0 dropped it for `GET /kv` with a
        namespace filter (paged)."""
        what = f"list the KV keys of namespace {namespace}"
        if self.dialect != "2.0":
            data = await self._json(
                "GET", f"{self._api}/namespaces/{quote(namespace, safe='')}/kv", what=what
            )
            return [entry["key"] for entry in data or ()]
        keys: list[str] = []
        page = 1
        while True:
            data = (
                await self._json(
                    "GET",
                    f"{self._api}/kv",
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

    # -- namespace files --------------------------------------------------------------------

    def _files_path(self, namespace: str, tail: str = "") -> str:
        return f"{self._api}/namespaces/{quote(namespace, safe='')}/files{tail}"

    async def upload_file(self, namespace: str, path: str, content: bytes) -> None:
        """Upload a namespace file (multipart part `fileContent`), e.g. prompts/system.md."""
        path = "/" + path.lstrip("/")
        await self._send(
            "POST",
            self._files_path(namespace),
            params={"path": path},
            files={"fileContent": (path.rsplit("/", 1)[-1], content)},
            what=f"upload namespace file {path} to {namespace}",
        )

    async def read_file(self, namespace: str, path: str) -> bytes:
        """A namespace file's bytes."""
        path = "/" + path.lstrip("/")
        response = await self._send(
            "GET",
            self._files_path(namespace),
            params={"path": path},
            what=f"read namespace file {path} of {namespace}",
            subject=f"namespace file {path} of {namespace}",
        )
        return response.content

    async def list_files(self, namespace: str, path: str = "/") -> list[NamespaceFile]:
        """The entries of a namespace files directory."""
        data = await self._json(
            "GET",
            self._files_path(namespace, "/directory"),
            params={"path": path},
            what=f"list namespace files {path} of {namespace}",
            subject=f"namespace directory {path} of {namespace}",
        )
        return [NamespaceFile.from_json(d) for d in data or ()]

    async def delete_file(self, namespace: str, path: str) -> None:
        """Delete a namespace file."""
        path = "/" + path.lstrip("/")
        await self._send(
            "DELETE",
            self._files_path(namespace),
            params={"path": path},
            what=f"delete namespace file {path} of {namespace}",
            subject=f"namespace file {path} of {namespace}",
        )


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


def _flow_key(source: str) -> tuple[str | None, str | None]:
    try:
        data = yamlio.parse(source)
    except yaml.YAMLError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    return data.get("namespace"), data.get("id")


def _flow_name(source: str) -> str:
    namespace, flow_id = _flow_key(source)
    return f"{namespace}.{flow_id}" if namespace and flow_id else "from YAML"
