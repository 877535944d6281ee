"""KV and namespace-file endpoints of the embedded REST API (Kestra 1.3 and 2.0 paths and shapes)."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable

from lab.clock import parse_duration
from lab.kestra.engine.api_results import query_filters
from lab.kestra.engine.api_support import (
    Reply,
    error_reply,
    json_reply,
    kv_parse,
    kv_type,
    replayed_body,
)

if TYPE_CHECKING:
    from lab.kestra.engine.api import Call, KestraApi


def register(api: KestraApi, add: Callable, base: str) -> None:
    """Add the KV and files routes to the app."""
    _register_kv(api, add, base)
    _register_files(api, add, base)


def _register_kv(api: KestraApi, add: Callable, base: str) -> None:
    kv = api.engine.kv
    revision = (
        "revision" if api.dialect == "2.0" else "version"
    )  # KVEntry's field was renamed in 2.0

    def kv_entry(namespace: str, key: str) -> dict[str, Any]:
        """Kestra's `KVEntry` (what the listings answer)."""
        stored = kv.entry(namespace, key)
        item: dict[str, Any] = {"namespace": namespace, "key": key, revision: stored.revision}
        if stored.description:
            item["description"] = stored.description
        item.update(creationDate=_iso(stored.created), updateDate=_iso(stored.updated))
        if stored.expires_at is not None:
            item["expirationDate"] = _iso(stored.expires_at)
        return item

    async def entry(call: Call) -> Reply:
        namespace, key = call.params["ns"], call.params["key"]
        if call.method == "PUT":
            value, kind = kv_parse(call.body)
            ttl = call.headers.get("ttl")
            try:
                seconds = parse_duration(ttl).total_seconds() if ttl else None
            except Exception:
                return error_reply(
                    422, f"Invalid entity: ttl {ttl!r} is not an ISO-8601 duration", call.path
                )
            kv.set(
                namespace,
                key,
                value,
                ttl=seconds,
                kind=kind,
                description=call.headers.get("description"),
            )
            return Reply(200)
        if call.method == "DELETE":
            return json_reply(bool(kv.delete(namespace, key)))
        try:
            stored = kv.entry(namespace, key)
        except KeyError as exc:
            if type(exc).__name__ == "KVExpired":
                return error_reply(
                    410, "Resource has expired: The requested value has expired", call.path
                )
            return error_reply(
                404,
                f"Not Found: No value found for key '{key}' in namespace '{namespace}'",
                call.path,
            )
        value = stored.value
        if isinstance(value, (date, timedelta)):  # datetime is a date too
            value = (
                value.isoformat() if isinstance(value, date) else f"PT{value.total_seconds():g}S"
            )
        data = {
            "type": stored.type or kv_type(value),
            "value": value,
            "revision": stored.revision,
            "updated": _iso(stored.updated),
        }
        if stored.expires_at is not None:
            data["expirationDate"] = _iso(stored.expires_at)
        return json_reply(data)

    async def listing(call: Call) -> Reply:
        """1.3's `GET /namespaces/{ns}/kv` (2.0 lists with `GET /kv` and the inheritance listing)."""
        namespace = call.params["ns"]
        return json_reply([kv_entry(namespace, key) for key in sorted(kv.keys(namespace))])

    async def inheritance(call: Call) -> Reply:
        """The keys a flow of the namespace can read: its own, then its parents' (`company` for `company.team`)."""
        parts = call.params["ns"].split(".")
        out = []
        for depth in range(len(parts), 0, -1):
            namespace = ".".join(parts[:depth])
            out += [kv_entry(namespace, key) for key in sorted(kv.keys(namespace))]
        return json_reply(out)

    async def search(call: Call) -> Reply:
        """`GET /kv?filters[namespace][EQUALS|PREFIX]=…&filters[key][…]=…`: every namespace's keys, paged."""
        items = [kv_entry(ns, key) for ns in kv.namespaces() for key in sorted(kv.keys(ns))]
        for field, operation, value in query_filters(call):
            if field in ("namespace", "key"):
                items = [i for i in items if _matches(i[field], operation, value)]
        try:
            page, size = int(call.arg("page", "1") or 1), int(call.arg("size", "10") or 10)
        except ValueError:
            return error_reply(400, "Bad Request: page and size must be integers", call.path)
        return json_reply(
            {"results": items[(max(page, 1) - 1) * size : max(page, 1) * size], "total": len(items)}
        )

    add("GET", base + "/kv", search)
    add("GET", base + "/namespaces/{ns}/kv/inheritance", inheritance)  # before {key}: not a key
    add("GET|PUT|DELETE", base + "/namespaces/{ns}/kv/{key}", entry)
    if api.dialect == "1.3":
        add("GET", base + "/namespaces/{ns}/kv", listing)


def _matches(actual: str, operation: str, value: str) -> bool:
    if operation == "PREFIX":
        return actual == value or actual.startswith(value + ".")
    if operation == "STARTS_WITH":
        return actual.startswith(value)
    if operation == "CONTAINS":
        return value in actual
    if operation in ("IN", "EQUALS"):
        return actual in value.split(",")
    if operation in ("NOT_IN", "NOT_EQUALS"):
        return actual not in value.split(",")
    return True


def _register_files(api: KestraApi, add: Callable, base: str) -> None:
    files = api.engine.files

    async def file(call: Call) -> Reply:
        namespace, path = call.params["ns"], call.arg("path") or ""
        if not path:
            return error_reply(422, "Invalid entity: path is required", call.path)
        if call.method == "POST":
            # lazy: start-up (starlette's request and form parsing cost ~25 ms of CPU to import;
            # only a namespace file upload through the API parses a multipart form)
            from starlette.requests import Request

            form = await Request(call.scope, replayed_body(call.body)).form()
            upload = form.get("fileContent")
            if upload is None or isinstance(upload, str):
                return error_reply(
                    422, "Invalid entity: multipart part 'fileContent' is required", call.path
                )
            files.put(namespace, path, await upload.read())
            return Reply(200)
        if call.method == "DELETE":
            files.delete(namespace, path)
            return Reply(200)
        try:
            data = files.get(namespace, path)
        except (KeyError, FileNotFoundError):
            return error_reply(404, f"Not Found: File not found: {path}", call.path)
        return Reply(200, data, [(b"content-type", b"application/octet-stream")])

    def entries(namespace: str, path: str) -> dict[str, dict[str, Any]]:
        """The `FileAttributes` of the entries directly under `path` (directories implied by file paths)."""
        now = int(time.time() * 1000)
        prefix = path.rstrip("/") + "/"
        found: dict[str, dict[str, Any]] = {}
        for name in files.list(namespace):
            full = "/" + str(name).lstrip("/")
            if not full.startswith(prefix):
                continue
            head, _, rest = full[len(prefix) :].partition("/")
            if rest:
                found.setdefault(
                    head,
                    {
                        "fileName": head,
                        "lastModifiedTime": now,
                        "creationTime": now,
                        "type": "Directory",
                        "size": 0,
                        "metadata": {},
                    },
                )
            else:
                found[head] = {
                    "fileName": head,
                    "lastModifiedTime": now,
                    "creationTime": now,
                    "type": "File",
                    "size": len(files.get(namespace, full)),
                    "metadata": {},
                }
        return found

    async def directory(call: Call) -> Reply:
        path = "/" + (call.arg("path") or "/").strip("/")
        return json_reply(
            sorted(entries(call.params["ns"], path).values(), key=lambda e: e["fileName"])
        )

    async def stats(call: Call) -> Reply:
        """`GET /files/stats?path=`: the `FileAttributes` of one file or directory (404 when neither)."""
        path = "/" + (call.arg("path") or "/").strip("/")
        if path == "/":
            now = int(time.time() * 1000)
            return json_reply(
                {
                    "fileName": "",
                    "lastModifiedTime": now,
                    "creationTime": now,
                    "type": "Directory",
                    "size": 0,
                    "metadata": {},
                }
            )
        parent, _, name = path.rpartition("/")
        found = entries(call.params["ns"], parent or "/").get(name)
        if found is None:
            return error_reply(404, f"Not Found: File not found: {path}", call.path)
        return json_reply(found)

    add("GET|POST|DELETE", base + "/namespaces/{ns}/files", file)
    add("GET", base + "/namespaces/{ns}/files/directory", directory)
    add("GET", base + "/namespaces/{ns}/files/stats", stats)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
