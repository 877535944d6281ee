"""Flows endpoints of the embedded REST API (Kestra 1.3 and 2.0 paths and shapes)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import yaml

from lab import yamlio
from lab.kestra.engine import api_store
from lab.kestra.engine.api_support import ApiError, Reply, error_reply, json_reply

if TYPE_CHECKING:
    from lab.kestra.engine.api import Call, KestraApi


YAML = "application/x-yaml"  # what Kestra's flow endpoints consume


def register(api: KestraApi, add: Callable, base: str) -> None:
    """Add the flows routes (and the KV and files ones, `api_store`) to the app."""
    engine = api.engine

    def flow_json(flow: Any, *, source: bool = True) -> dict[str, Any]:
        """Kestra's `FlowWithSource` (`Flow` without the source): labels as a list of {key, value}."""
        try:
            data = yamlio.parse(flow.source) or {}
        except yaml.YAMLError:
            data = {}
        data = data if isinstance(data, dict) else {}
        labels = data.get("labels")
        if isinstance(labels, dict):
            data["labels"] = [{"key": str(k), "value": str(v)} for k, v in labels.items()]
        data.update(
            id=flow.id,
            namespace=flow.namespace,
            revision=getattr(flow, "revision", 1),
            tenantId="main",
            disabled=bool(flow.disabled),
            deleted=False,
        )
        if api.dialect == "2.0":
            data["draft"] = False
            for trigger in data.get("triggers") or ():
                if isinstance(trigger, dict):
                    trigger.setdefault(
                        "when", "true"
                    )  # 2.0's trigger condition: required, true unless given
        if source:
            data["source"] = flow.source
        return data

    def deploy(source: str, path: str) -> Any:
        try:
            return engine.deploy(source)
        except Exception as exc:
            text = getattr(exc, "what", None) or str(exc)
            problems = getattr(exc, "problems", None) or []
            errors = [
                {"message": _problem_text(p), "path": getattr(p, "path", None) or "flow"}
                for p in problems
            ]
            raise ApiError(
                error_reply(422, f"Invalid entity: {text}", path, errors or [{"message": text}])
            ) from exc

    def key_of(source: str, path: str) -> tuple[str, str]:
        try:
            data = yamlio.parse(source)
        except yamlio.YamlLimitExceeded as exc:
            line, column, problem = yamlio.explain(exc)
            at = f" at line {line}, column {column}" if line else ""
            raise ApiError(
                error_reply(
                    422,
                    f"Invalid entity: YAML refused{at}: {problem}; {exc.fix}",
                    path,
                    [{"message": f"{problem}; {exc.fix}", "path": "flow"}],
                )
            ) from None
        except yaml.YAMLError as exc:
            raise ApiError(error_reply(422, f"Invalid entity: Invalid YAML: {exc}", path)) from exc
        if not isinstance(data, dict) or not data.get("id") or not data.get("namespace"):
            raise ApiError(
                error_reply(422, "Invalid entity: flow must have an id and a namespace", path)
            )
        return str(data["namespace"]), str(data["id"])

    async def create(call: Call) -> Reply:
        source = call.body.decode("utf-8", "replace")
        namespace, flow_id = key_of(source, call.path)
        if engine.get_flow(namespace, flow_id) is not None:
            return error_reply(
                422,
                "Invalid entity: Flow id already exists",
                call.path,
                [{"message": "Flow id already exists", "path": "flow.id"}],
            )
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
            return error_reply(
                422, "Invalid entity: Illegal flow id or namespace update", call.path
            )
        return json_reply(flow_json(deploy(source, call.path)))

    async def namespace_flows(call: Call) -> Reply:
        """`GET /flows/{namespace}`: the namespace's flows (without their source)."""
        return json_reply(
            [flow_json(f, source=False) for f in engine.flows() if f.namespace == call.params["ns"]]
        )

    async def namespace_update(call: Call) -> Reply:
        namespace = call.params["ns"]
        sources = [s for s in _split(call.body.decode("utf-8", "replace")) if s.strip()]
        keys = [key_of(s, call.path) for s in sources]
        ids = [flow_id for _, flow_id in keys]
        if any(ns != namespace for ns, _ in keys):
            return error_reply(
                422, f"Invalid entity: all flows must be in namespace {namespace}", call.path
            )
        if len(set(ids)) != len(ids):
            return error_reply(422, "Invalid entity: duplicate flow ids", call.path)
        for source in sources:  # all or nothing: no flow of the body is kept when one is invalid
            problems = engine.validate(source)
            if problems:
                raise ApiError(
                    error_reply(
                        422,
                        f"Invalid entity: {_problem_text(problems[0])}",
                        call.path,
                        [
                            {
                                "message": _problem_text(p),
                                "path": getattr(p, "path", None) or "flow",
                            }
                            for p in problems
                        ],
                    )
                )
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
            report: dict[str, Any] = {
                "index": index,
                "outdated": False,
                "deprecationPaths": [],
                "warnings": [],
                "infos": [],
            }
            try:
                data = yamlio.parse(source)
            except yaml.YAMLError:
                data = None
            if isinstance(data, dict):
                report.update(namespace=data.get("namespace"), flow=data.get("id"))
            problems = engine.validate(source)
            errors = [p for p in problems if p.severity == "error"]
            if errors:
                report["constraints"] = "\n".join(_problem_text(p) for p in errors)
            report["warnings"] = [_problem_text(p) for p in problems if p.severity != "error"]
            reports.append(report)
        return json_reply(reports)

    async def search(call: Call) -> Reply:
        flows = [flow_json(f) for f in engine.flows()]
        return json_reply({"results": flows, "total": len(flows)})

    add("POST", base + "/flows", create, body=YAML)
    add("GET", base + "/flows/search", search)
    add("POST", base + "/flows/validate", validate, body=YAML)
    add("GET|DELETE", base + "/flows/{ns}/{id}", one)
    add("PUT", base + "/flows/{ns}/{id}", one, body=YAML)
    add("GET", base + "/flows/{ns}", namespace_flows)
    add("POST", base + "/flows/{ns}", namespace_update, body=YAML)
    api_store.register(api, add, base)


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
