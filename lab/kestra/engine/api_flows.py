"""Flows, KV and namespace-file endpoints of the embedded REST API (Kestra 1.3 paths and shapes)."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable

import yaml

from lab import yamlio
from lab.clock import parse_duration
from lab.kestra.engine.api_support import ApiError, Reply, error_reply, json_reply, kv_parse, kv_type

if TYPE_CHECKING:
    from lab.kestra.engine.api import Call, KestraApi


def register(api: KestraApi, add: Callable, base: str) -> None:
    """Add the flows, KV and files routes to the app."""
    engine = api.engine

    def flow_json(flow: Any) -> dict[str, Any]:
        try:
            data = yamlio.parse(flow.source) or {}
        except yaml.YAMLError:
            data = {}
        data = data if isinstance(data, dict) else {}
        data.update(id=flow.id, namespace=flow.namespace, revision=getattr(flow, "revision", 1), tenantId="main",
                    disabled=bool(flow.disabled), deleted=False, source=flow.source)
        return data

    def deploy(source: str, path: str) -> Any:
        try:
            return engine.deploy(source)
        except Exception as exc:
            text = getattr(exc, "what", None) or str(exc)
            problems = getattr(exc, "problems", None) or []
            errors = [{"message": _problem_text(p), "path": getattr(p, "path", None) or "flow"} for p in problems]
            raise ApiError(error_reply(422, f"Invalid entity: {text}", path, errors or [{"message": text}])) from exc

    def key_of(source: str, path: str) -> tuple[str, str]:
        try:
            data = yamlio.parse(source)
        except yamlio.YamlLimitExceeded as exc:
            line, column, problem = yamlio.explain(exc)
            at = f" at line {line}, column {column}" if line else ""
            raise ApiError(error_reply(422, f"Invalid entity: YAML refused{at}: {problem}; {exc.fix}", path,
                                       [{"message": f"{problem}; {exc.fix}", "path": "flow"}])) from None
        except yaml.YAMLError as exc:
            raise ApiError(error_reply(422, f"Invalid entity: Invalid YAML: {exc}", path)) from exc
        if not isinstance(data, dict) or not data.get("id") or not data.get("namespace"):
            raise ApiError(error_reply(422, "Invalid entity: flow must have an id and a namespace", path))
        return str(data["namespace"]), str(data["id"])

    async def create(call: Call) -> Reply:
        source = call.body.decode("utf-8", "replace")
        namespace, flow_id = key_of(source, call.path)
        if engine.get_flow(namespace, flow_id) is not None:
            return error_reply(422, "Invalid entity: Flow id already exists", call.path,
                               [{"message": "Flow id already exists", "path": "flow.id"}])
        return json_reply(flow_json(deploy(source, call.path)))

    async def one(call: Call) -> Reply:
        namespace, flow_id = call.params["ns"], call.params["id"]
        flow = engine.get_flow(namespace, flow_id)
        if flow is None:
            return error_reply(404, "Not Found: Flow not found", call.path)
        if call.method == "GET":
            return json_reply(flow_json(flow))
        if call.method == "DELETE":
            engine.delete_flow(namespace, flow_id)
            return Reply(204)
        source = call.body.decode("utf-8", "replace")
        if key_of(source, call.path) != (namespace, flow_id):
            return error_reply(422, "Invalid entity: Illegal flow id or namespace update", call.path)
        return json_reply(flow_json(deploy(source, call.path)))

    async def namespace_update(call: Call) -> Reply:
        namespace = call.params["ns"]
        sources = [s for s in _split(call.body.decode("utf-8", "replace")) if s.strip()]
        keys = [key_of(s, call.path) for s in sources]
        ids = [flow_id for _, flow_id in keys]
        if any(ns != namespace for ns, _ in keys):
            return error_reply(422, f"Invalid entity: all flows must be in namespace {namespace}", call.path)
        if len(set(ids)) != len(ids):
            return error_reply(422, "Invalid entity: duplicate flow ids", call.path)
        for source in sources:  # all or nothing: no flow of the body is kept when one is invalid
            problems = engine.validate(source)
            if problems:
                raise ApiError(error_reply(422, f"Invalid entity: {_problem_text(problems[0])}", call.path,
                                           [{"message": _problem_text(p), "path": getattr(p, "path", None) or "flow"}
                                            for p in problems]))
        deployed = [flow_json(deploy(s, call.path)) for s in sources]
        if call.arg("delete", "true") == "true":  # Kestra's default: flows missing from the body go
            for flow in list(engine.flows()):
                if flow.namespace == namespace and flow.id not in ids:
                    engine.delete_flow(namespace, flow.id)
                    deployed.append({**flow_json(flow), "deleted": True})
        return json_reply(deployed)

    async def validate(call: Call) -> Reply:
        reports = []
        for index, source in enumerate(_split(call.body.decode("utf-8", "replace"))):
            report: dict[str, Any] = {"index": index, "outdated": False, "deprecationPaths": [], "warnings": [], "infos": []}
            try:
                data = yamlio.parse(source)
            except yaml.YAMLError:
                data = None
            if isinstance(data, dict):
                report.update(namespace=data.get("namespace"), flow=data.get("id"))
            problems = engine.validate(source)
            if problems:
                report["constraints"] = "\n".join(_problem_text(p) for p in problems)
            reports.append(report)
        return json_reply(reports)

    async def search(call: Call) -> Reply:
        flows = [flow_json(f) for f in engine.flows()]
        return json_reply({"results": flows, "total": len(flows)})

    add("POST", base + "/flows", create)
    add("GET", base + "/flows/search", search)
    add("POST", base + "/flows/validate", validate)
    add("GET|PUT|DELETE", base + "/flows/{ns}/{id}", one)
    add("POST", base + "/flows/{ns}", namespace_update)
    _register_kv(api, add, base)
    _register_files(api, add, base)


def _register_kv(api: KestraApi, add: Callable, base: str) -> None:
    kv = api.engine.kv

    async def entry(call: Call) -> Reply:
        namespace, key = call.params["ns"], call.params["key"]
        if call.method == "PUT":
            value, kind = kv_parse(call.body)
            ttl = call.headers.get("ttl")
            try:
                seconds = parse_duration(ttl).total_seconds() if ttl else None
            except Exception:
                return error_reply(422, f"Invalid entity: ttl {ttl!r} is not an ISO-8601 duration", call.path)
            kv.set(namespace, key, value, ttl=seconds, kind=kind, description=call.headers.get("description"))
            return Reply(200)
        if call.method == "DELETE":
            return json_reply(bool(kv.delete(namespace, key)))
        try:
            stored = kv.entry(namespace, key)
        except KeyError as exc:
            if type(exc).__name__ == "KVExpired":
                return error_reply(410, "Resource has expired: The requested value has expired", call.path)
            return error_reply(404, f"Not Found: No value found for key '{key}' in namespace '{namespace}'", call.path)
        value = stored.value
        if isinstance(value, (date, timedelta)):  # datetime is a date too
            value = value.isoformat() if isinstance(value, date) else f"PT{value.total_seconds():g}S"
        data = {"type": stored.type or kv_type(value), "value": value, "revision": stored.revision,
                "updated": _iso(stored.updated)}
        if stored.expires_at is not None:
            data["expirationDate"] = _iso(stored.expires_at)
        return json_reply(data)

    async def listing(call: Call) -> Reply:
        if api.dialect == "2.0":
            return error_reply(404, "Not Found: Page Not Found", call.path)
        namespace = call.params["ns"]
        out = []
        for key in sorted(kv.keys(namespace)):
            stored = kv.entry(namespace, key)
            item = {"key": key, "updateDate": _iso(stored.updated)}
            if stored.description:
                item["description"] = stored.description
            if stored.expires_at is not None:
                item["expirationDate"] = _iso(stored.expires_at)
            out.append(item)
        return json_reply(out)

    add("GET|PUT|DELETE", base + "/namespaces/{ns}/kv/{key}", entry)
    add("GET", base + "/namespaces/{ns}/kv", listing)


def _register_files(api: KestraApi, add: Callable, base: str) -> None:
    files = api.engine.files

    async def file(call: Call) -> Reply:
        from starlette.requests import Request

        from lab.kestra.engine.api import _replay

        namespace, path = call.params["ns"], call.arg("path") or ""
        if not path:
            return error_reply(422, "Invalid entity: path is required", call.path)
        if call.method == "POST":
            form = await Request(call.scope, _replay(call.body)).form()
            upload = form.get("fileContent")
            if upload is None or isinstance(upload, str):
                return error_reply(422, "Invalid entity: multipart part 'fileContent' is required", call.path)
            files.put(namespace, path, await upload.read())
            return Reply(200)
        if call.method == "DELETE":
            files.delete(namespace, path)
            return Reply(204)
        try:
            data = files.get(namespace, path)
        except (KeyError, FileNotFoundError):
            return error_reply(404, f"Not Found: File not found: {path}", call.path)
        return Reply(200, data, [(b"content-type", b"application/octet-stream")])

    async def directory(call: Call) -> Reply:
        namespace, path = call.params["ns"], "/" + (call.arg("path") or "/").strip("/")
        now = int(time.time() * 1000)
        prefix = path.rstrip("/") + "/"
        entries: dict[str, dict[str, Any]] = {}
        for name in files.list(namespace):
            full = "/" + str(name).lstrip("/")
            if not full.startswith(prefix):
                continue
            head, _, rest = full[len(prefix):].partition("/")
            if rest:
                entries.setdefault(head, {"fileName": head, "lastModifiedTime": now, "creationTime": now,
                                          "type": "Directory", "size": 0, "metadata": {}})
            else:
                size = len(files.get(namespace, full))
                entries[head] = {"fileName": head, "lastModifiedTime": now, "creationTime": now, "type": "File",
                                 "size": size, "metadata": {}}
        return json_reply(sorted(entries.values(), key=lambda e: e["fileName"]))

    add("GET|POST|DELETE", base + "/namespaces/{ns}/files", file)
    add("GET", base + "/namespaces/{ns}/files/directory", directory)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _split(text: str) -> list[str]:
    """Flows separated by `---` lines, as Kestra splits a multi-flow YAML body."""
    parts, current = [], []
    for line in text.splitlines(keepends=True):
        if line.rstrip() == "---":
            parts.append("".join(current))
            current = []
        else:
            current.append(line)
    parts.append("".join(current))
    return [p for p in parts if p.strip()] or [text]


def _problem_text(problem: Any) -> str:
    """A validation problem as one constraint line."""
    if isinstance(problem, str):
        return problem
    message = getattr(problem, "message", None) or str(problem)
    where = getattr(problem, "path", None)
    return f"{where}: {message}" if where and where not in message else message
