"""A loopback stand-in for a real Kestra that answers with the recorded contract fixtures.

It knows the fixture world: namespace `company.team`, flows `hello` (webhook key `hello-key`),
`boom` (fails), `waiter` (wait + returnOutputs), `dormant` (disabled), `picky` (conditions never met),
basic auth `admin@kestra.io` / `Admin1234!`. Everything else is a Kestra 404.
"""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import orjson
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
USER, PASSWORD = "admin@kestra.io", "Admin1234!"
NS = "company.team"
EX_OK, EX_BAD = "4QjCuH1pG5B2k3Nn7xY9aZ", "6TfUwp0TzGf1b1Xb2l4hQe"
OPEN_PREFIXES = ("/api/v1/configs", "/api/v1/main/executions/webhook/")
SYSTEM_MD = b"You are a helpful agent.\n"


def fixture_app(dialect: str) -> Starlette:
    """The stand-in for Kestra `dialect` ("1.3" or "2.0")."""
    folder = FIXTURES / dialect

    def raw(name: str) -> bytes:
        return (folder / name).read_bytes()

    def js(name: str, status: int = 200) -> Response:
        return Response(raw(name), status_code=status, media_type="application/json")

    def sse(text: bytes, *, keep_open: bool) -> StreamingResponse:
        async def events():
            for block in text.split(b"\n\n"):
                if block.strip():
                    yield block + b"\n\n"
            while keep_open:  # Kestra's log follow never ends: the client must close it
                await asyncio.sleep(3600)

        return StreamingResponse(events(), media_type="text/event-stream")

    async def configs(request: Request) -> Response:
        return js("configs.json")

    async def webhook(request: Request) -> Response:
        flow, key = request.path_params["flow"], request.path_params["key"]
        await request.body()
        if request.path_params["ns"] != NS:
            return js("error-404-flow.json", 404)
        if flow == "hello" and key == "hello-key":
            return js("webhook-hello.json")
        if flow == "boom" and key == "boom-key":
            return js("webhook-boom.json")
        if flow == "waiter" and key == "waiter-key":
            return js("webhook-waiter-outputs.json")
        if flow == "dormant":
            return js("error-409-disabled.json", 409)
        if flow == "picky":
            return Response(status_code=409 if dialect == "1.3" else 204)
        return js("error-404-flow.json", 404)

    def execution_file(execution_id: str) -> str | None:
        return {EX_OK: "execution-hello-success.json", EX_BAD: "execution-boom-failed.json"}.get(
            execution_id
        )

    async def execution(request: Request) -> Response:
        name = execution_file(request.path_params["id"])
        return js(name) if name else js("error-404-execution.json", 404)

    async def follow(request: Request) -> Response:
        execution_id = request.path_params["id"]
        if execution_id == EX_OK:
            return sse(raw("follow-hello.sse"), keep_open=False)
        if execution_id == EX_BAD:
            failed = orjson.dumps(orjson.loads(raw("execution-boom-failed.json")))
            return sse(
                b'id: start\ndata: {"id":"%s"}\n\nid: end\ndata: ' % EX_BAD.encode()
                + failed
                + b"\n\n",
                keep_open=False,
            )
        return js("error-404-execution.json", 404)

    async def kill(request: Request) -> Response:
        legacy = not request.url.path.endswith("/actions/kill")
        if dialect == "2.0" and legacy:
            return js("error-404-execution.json", 404)
        name = execution_file(request.path_params["id"])
        if name is None:
            return js("error-404-execution.json", 404)
        if dialect == "1.3":
            return Response(status_code=202)
        return Response(
            raw("execution-killed.json"), media_type="text/json"
        )  # 2.0: the execution, 200

    async def logs(request: Request) -> Response:
        execution_id = request.path_params["id"]
        name = {EX_OK: "logs-hello.json", EX_BAD: "logs-boom.json"}.get(execution_id)
        entries = orjson.loads(raw(name)) if name else []
        levels = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]
        floor = levels.index(request.query_params.get("minLevel", "TRACE"))
        return Response(
            orjson.dumps([e for e in entries if levels.index(e["level"]) >= floor]),
            media_type="application/json",
        )

    async def logs_follow(request: Request) -> Response:
        if request.path_params["id"] == EX_OK:
            return sse(raw("logs-follow-hello.sse"), keep_open=True)
        return sse(b'id: start\ndata: {"attemptNumber":0}\n\n', keep_open=True)

    def flow_json(source: str) -> bytes:
        data = yaml.safe_load(source)
        flow = orjson.loads(raw("flow-hello.json"))
        flow.update(id=data["id"], namespace=data["namespace"], source=source)
        return orjson.dumps(flow)

    async def flows_create(request: Request) -> Response:
        source = (await request.body()).decode()
        if yaml.safe_load(source).get("id") == "hello":
            return js("error-422-exists.json", 422)
        return Response(flow_json(source), media_type="application/json")

    async def flow_one(request: Request) -> Response:
        flow_id = request.path_params["id"]
        if request.method == "GET":
            return js("flow-hello.json") if flow_id == "hello" else js("error-404-flow.json", 404)
        if flow_id not in ("hello", "created"):
            return js("error-404-flow.json", 404)
        if request.method == "DELETE":
            return Response(status_code=204)
        return Response(flow_json((await request.body()).decode()), media_type="application/json")

    async def flows_namespace(request: Request) -> Response:
        if (
            request.query_params.get("delete") != "false"
        ):  # the client must never rely on the default
            return JSONResponse({"message": "test stand-in: delete must be explicitly false"}, 400)
        sources = (await request.body()).decode().split("\n---\n")
        return Response(
            b"[" + b",".join(flow_json(s) for s in sources) + b"]", media_type="application/json"
        )

    async def search(request: Request) -> Response:
        return Response(
            b'{"results":[' + raw("flow-hello.json") + b'],"total":1}',
            media_type="application/json",
        )

    async def validate(request: Request) -> Response:
        return js("validate.json")

    async def kv(request: Request) -> Response:
        key = request.path_params["key"]
        if request.method == "PUT":
            await request.body()
            return Response(status_code=200)
        if request.method == "DELETE":
            return Response(
                b"true" if key == "greeting" else b"false", media_type="application/json"
            )
        return js("kv-greeting.json") if key == "greeting" else js("error-404-kv.json", 404)

    async def kv_list(request: Request) -> Response:
        return js("kv-list.json") if dialect == "1.3" else js("error-404-execution.json", 404)

    async def files(request: Request) -> Response:
        path = request.query_params.get("path", "")
        if request.method == "POST":
            form = await request.form()
            assert "fileContent" in form
            return Response(status_code=200)
        if request.method == "DELETE":
            return Response(status_code=200)
        if path == "/prompts/system.md":
            return Response(SYSTEM_MD, media_type="application/octet-stream")
        return JSONResponse({"message": f"Not Found: File not found: {path}"}, 404)

    async def directory(request: Request) -> Response:
        return js("files-directory.json")

    async def metrics(request: Request) -> Response:
        return js("metrics.json")

    async def outputs_execution(request: Request) -> Response:
        return (
            js("outputs-execution.json")
            if execution_file(request.path_params["id"])
            else js("error-404-execution.json", 404)
        )

    async def outputs_tasks(request: Request) -> Response:
        return (
            js("outputs-tasks.json")
            if execution_file(request.path_params["id"])
            else js("error-404-execution.json", 404)
        )

    async def outputs_task_run(request: Request) -> Response:
        listed = {t["taskRunId"]: t["taskId"] for t in orjson.loads(raw("outputs-tasks.json"))}
        task = listed.get(request.path_params["taskrun"])
        return js(f"outputs-task-run-{task}.json") if task else js("error-404-execution.json", 404)

    async def kv_all(request: Request) -> Response:
        return js("kv-all.json")

    base = "/api/v1/main"
    app = Starlette(
        routes=[
            Route("/api/v1/configs", configs),
            Route(
                base + "/executions/webhook/{ns}/{flow}/{key}",
                webhook,
                methods=["GET", "POST", "PUT"],
            ),
            Route(base + "/executions/{id}", execution),
            Route(base + "/executions/{id}/follow", follow),
            Route(base + "/executions/{id}/kill", kill, methods=["DELETE"]),
            Route(base + "/executions/{id}/actions/kill", kill, methods=["DELETE"]),
            Route(base + "/logs/{id}", logs),
            Route(base + "/logs/{id}/follow", logs_follow),
            Route(base + "/flows", flows_create, methods=["POST"]),
            Route(base + "/flows/validate", validate, methods=["POST"]),
            Route(base + "/flows/search", search),
            Route(base + "/flows/{ns}/{id}", flow_one, methods=["GET", "PUT", "DELETE"]),
            Route(base + "/flows/{ns}", flows_namespace, methods=["POST"]),
            Route(base + "/namespaces/{ns}/kv/{key}", kv, methods=["GET", "PUT", "DELETE"]),
            Route(base + "/namespaces/{ns}/kv", kv_list),
            Route(base + "/namespaces/{ns}/files", files, methods=["GET", "POST", "DELETE"]),
            Route(base + "/namespaces/{ns}/files/directory", directory),
            Route(base + "/metrics/{id}", metrics),
        ]
        + (
            [
                Route(base + "/outputs/executions/{id}", outputs_execution),
                Route(base + "/outputs/tasks/{id}", outputs_tasks),
                Route(base + "/outputs/tasks/{id}/{taskrun}", outputs_task_run),
                Route(base + "/kv", kv_all),
            ]
            if dialect == "2.0"
            else []
        )
    )
    return _BasicAuth(app)


class _BasicAuth:
    """Kestra's AuthenticationFilter: 401 + `WWW-Authenticate: Basic` outside the open URLs."""

    def __init__(self, app) -> None:
        self.app = app
        self.expected = b"Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode())

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(OPEN_PREFIXES):
            auth = dict(scope["headers"]).get(b"authorization")
            if auth != self.expected:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [(b"www-authenticate", b"Basic"), (b"content-length", b"0")],
                    }
                )
                await send({"type": "http.response.body", "body": b""})
                return
        await self.app(scope, receive, send)
