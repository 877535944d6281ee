"""A Kestra that serves stored execution JSON (contract fixtures) through the API paths `walab
import` reads: `/configs`, `/executions/search`, `/executions/{id}`, and on 2.0 the outputs
endpoints (`/outputs/tasks/{id}`, `/outputs/tasks/{id}/{taskRunId}`, `/outputs/executions/{id}`).

The fixtures (`data/whatsapp_agent-<version>.json`) are whatsapp_agent executions as each version
serves them: 1.3 with every task run's outputs inline, 2.0 without them (its outputs apart).
Served through `openapi_contract.ContractRecorder`, every answer is checked against Kestra's
published OpenAPI document of that version.
"""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import orjson

DATA = Path(__file__).parent / "data"


def load_fixture(dialect: str) -> dict[str, Any]:
    return json.loads((DATA / f"whatsapp_agent-{dialect}.json").read_text())


class FixtureKestra:
    """The ASGI app. `data`: {executions: [...], outputs: {execution id: {task run id: outputs}},
    flow_outputs: {execution id: {...}}} (the last two on 2.0)."""

    def __init__(self, data: dict[str, Any], dialect: str, user: str, password: str) -> None:
        self.dialect = dialect
        self.executions = {e["id"]: e for e in data["executions"]}
        self.outputs = data.get("outputs") or {}
        self.flow_outputs = data.get("flow_outputs") or {}
        self.auth = b"Basic " + base64.b64encode(f"{user}:{password}".encode())
        self.requests = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        self.requests += 1
        path = scope["path"]
        query = parse_qs(scope.get("query_string", b"").decode())
        status, body = self.answer(path, query, dict(scope["headers"]).get(b"authorization"))
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": orjson.dumps(body)})

    def answer(self, path: str, query: dict[str, list[str]], auth: bytes | None) -> tuple[int, Any]:
        if path == "/api/v1/configs":
            return 200, {"version": f"{self.dialect}.0", "isBasicAuthInitialized": True}
        if auth != self.auth:
            return 401, {"message": "Unauthorized"}
        base = "/api/v1/main"
        parts = path.removeprefix(base).strip("/").split("/")
        if parts == ["executions", "search"]:
            page, size = int(query.get("page", ["1"])[0]), int(query.get("size", ["10"])[0])
            found = sorted(
                self.executions.values(), key=lambda e: e["state"]["startDate"], reverse=True
            )
            light = [self.light(e) for e in found[(page - 1) * size : page * size]]
            return 200, {"results": light, "total": len(found)}
        if len(parts) == 2 and parts[0] == "executions" and parts[1] in self.executions:
            return 200, self.executions[parts[1]]
        if self.dialect == "2.0" and parts[:2] == ["outputs", "tasks"]:
            by_run = self.outputs.get(parts[2], {})
            if len(parts) == 3:
                execution = self.executions[parts[2]]
                return 200, [
                    {"taskId": r["taskId"], "taskRunId": r["id"], "inline": True}
                    for r in execution["taskRunList"]
                    if r["id"] in by_run
                ]
            return 200, by_run.get(parts[3], {})
        if self.dialect == "2.0" and parts[:2] == ["outputs", "executions"]:
            return 200, self.flow_outputs.get(parts[2], {})
        return 404, {"message": f"Not Found: {path}"}

    def light(self, execution: dict[str, Any]) -> dict[str, Any]:
        """A search result: the whole execution on 1.3, `ApiLightExecution`'s fields on 2.0."""
        if self.dialect == "1.3":
            return execution
        drop = ("taskRunList", "variables", "metadata", "deleted")
        return {k: copy.deepcopy(v) for k, v in execution.items() if k not in drop}
