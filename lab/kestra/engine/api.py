"""Kestra's REST API over the embedded engine: the same paths and JSON shapes as Kestra 1.3 / 2.0.

A raw ASGI app (no framework on the hot webhook path: one regex match, one engine call, one
orjson dump). Mount it in the lab server with `strip=False` (paths start with `/api/v1`), or
drive it in-process with `httpx.ASGITransport(app)` through `KestraClient`.

Deliberate difference from Kestra: the log follow stream ends once the execution is terminal
(Kestra's never ends), because an in-process ASGI transport buffers a response until it ends.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hmac
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

from lab.kestra.engine import api_flows, api_results, render
from lab.kestra.engine.api_support import (
    ApiError,
    Reply,
    engine_error,
    error_reply,
    json_reply,
    replayed_body,
    sse_event,
    webhook_key_trigger,
)
from lab.request_guard import simple_body_type, unsupported_body_message

Handler = Callable[["Call"], Awaitable[Reply]]
OPEN_PATHS = ("/api/v1/configs", "/api/v1/main/executions/webhook/")
MAX_REQUEST_BYTES = 10 * 1024 * 1024
"""Every request body, webhooks included: Micronaut's default `max-request-size` (Kestra raises it
to 10 GB for file uploads, which the lab, holding everything in memory, does not)."""
WEBHOOK_KEYS = (
    "tenantId",
    "id",
    "namespace",
    "flowId",
    "flowRevision",
    "trigger",
    "outputs",
    "labels",
    "state",
    "url",
)


@dataclass(slots=True)
class Call:
    """One request as the handlers see it."""

    method: str
    path: str
    params: dict[str, str]
    query: dict[str, list[str]]
    body: bytes
    scope: dict[str, Any] = field(repr=False)
    _headers: dict[str, str] | None = field(default=None, repr=False)

    @property
    def headers(self) -> dict[str, str]:
        """Request headers by lower-case name (ASGI servers lower-case them), built on first use."""
        if self._headers is None:
            self._headers = {
                k.decode("latin-1"): v.decode("latin-1") for k, v in self.scope["headers"]
            }
        return self._headers

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


class KestraApi:
    """The ASGI app. `dialect` picks the JSON shapes ("1.3" or "2.0"); credentials enable basic auth.

    Args:
        engine: the embedded engine (`lab.kestra.engine.engine.Engine`).
        dialect: which Kestra API variant to speak (default: the engine's `version`).
        username, password: when set, every non-open path needs `Authorization: Basic`.
        public_url: the base of the `url` field of executions (Kestra's `kestra.url`).
    """

    def __init__(
        self,
        engine: Any,
        *,
        dialect: str | None = None,
        username: str | None = None,
        password: str | None = None,
        public_url: str = "http://127.0.0.1:8765",
    ) -> None:
        self.engine = engine
        self.dialect = dialect or getattr(engine, "version", "1.3")
        self.public_url = public_url.rstrip("/")
        self._auth = (
            (b"Basic " + base64.b64encode(f"{username}:{password or ''}".encode()))
            if username
            else None
        )
        self._routes: list[tuple[str, re.Pattern[str], Handler, str | None]] = []
        self.route_table: list[tuple[str, str]] = []  # (method, path template) of every route
        base = "/api/v1/main"
        add = self._add
        add("GET", "/api/v1/configs", self.configs)
        add("GET|POST|PUT", base + "/executions/webhook/{ns}/{flow}/{key}", self.webhook)
        add(
            "GET|POST|PUT",
            base + "/executions/webhook/{ns}/{flow}/{key}/{rest:.*}",
            self.webhook_extra_path,
        )
        api_results.register(
            self, add, base
        )  # before /executions/{id}: `search` is not an execution id
        add("GET", base + "/executions/{id}", self.get_execution)
        add("GET", base + "/executions/{id}/follow", self.follow)
        actions = (
            "/actions" if self.dialect == "2.0" else ""
        )  # 2.0 moved the actions (kestra.md §10.6)
        add("DELETE", base + "/executions/{id}" + actions + "/kill", self.kill)
        add("POST", base + "/executions/{id}" + actions + "/resume", self.resume)
        add("POST", base + "/executions/{ns}/{flow}", self.create_execution)
        api_flows.register(self, add, base)

    def _add(
        self, methods: str, template: str, handler: Handler, *, body: str | None = None
    ) -> None:
        """Route `methods` ("GET|PUT") on `template` to handler; `body`: the media type the route
        takes (e.g. application/x-yaml), when a text/plain or form body must be answered 415."""
        pattern = _route_pattern(template)
        for method in methods.split("|"):
            self._routes.append((method, pattern, handler, body))
            self.route_table.append((method, template))

    # -- ASGI -------------------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                await send({"type": message["type"] + ".complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if path.startswith("/api/v1/") and not path.startswith(
            ("/api/v1/main/", "/api/v1/configs")
        ):
            path = "/api/v1/main/" + path[len("/api/v1/") :]  # Kestra's TenantAliasingRooter
        try:
            reply = await self._dispatch(scope, receive, path)
        except ApiError as exc:
            reply = exc.reply
        except Exception as exc:  # never a traceback to the caller: Kestra's 500 JsonError shape
            reply = error_reply(500, f"Internal Server Error: {type(exc).__name__}: {exc}", path)
        await reply.send(send, receive)

    async def _dispatch(self, scope: dict[str, Any], receive: Callable, path: str) -> Reply:
        method = scope["method"]
        if self._auth is not None and not path.startswith(
            OPEN_PATHS
        ):  # Kestra: every path but the open ones
            given = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
            if not hmac.compare_digest(given, self._auth):
                return _unauthorized(path)
        allowed = False
        for route_method, pattern, handler, takes in self._routes:
            match = pattern.match(path)
            if match is None:
                continue
            allowed = True
            if route_method != method:
                continue
            if takes is not None:
                media = simple_body_type(
                    next((v for k, v in scope["headers"] if k == b"content-type"), None)
                )
                if media is not None:
                    return error_reply(415, unsupported_body_message(media, takes), path)
            body = await _read_body(scope, receive, path)
            query = parse_qs(
                scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True
            )
            params = {k: unquote(v) for k, v in match.groupdict().items()}
            return await handler(Call(method, path, params, query, body, scope))
        if allowed:
            return error_reply(405, "Method Not Allowed", path)
        return error_reply(404, "Not Found: Page Not Found", path)

    # -- server -----------------------------------------------------------------------------

    async def configs(self, call: Call) -> Reply:
        return json_reply(
            {
                "uuid": "00000000-0000-0000-0000-000000000000",
                "version": f"{self.dialect}.0-embedded",
                "edition": "OSS",
                "url": self.public_url + "/",
                "systemNamespace": "system",
                "isBasicAuthInitialized": self._auth is not None,
                "isTaskRunEnabled": False,
                "isAnonymousUsageEnabled": False,
                "isUiAnonymousUsageEnabled": False,
                "isTemplateEnabled": self.dialect == "1.3",
                "hiddenLabelsPrefixes": [],
                "isAiEnabled": False,
                "engine": "walab-embedded",
            }
        )

    # -- executions -------------------------------------------------------------------------

    def execution_json(
        self, execution: Any, shape: str = "full", *, url: bool = False
    ) -> dict[str, Any]:
        """The execution in the dialect's JSON (`shape`: see `Execution.to_json`), with its UI `url`."""
        data = execution.to_json(self.dialect, shape)
        if url:
            data["url"] = (
                f"{self.public_url}/ui/main/executions/{execution.namespace}/{execution.flow_id}/{execution.id}"
            )
        return data

    def _execution(self, execution_id: str, path: str) -> Any:
        execution = self.engine.execution(execution_id)
        if execution is None:
            raise ApiError(error_reply(404, "Not Found", path))
        return execution

    async def webhook(self, call: Call) -> Reply:
        ns, flow_id, key = call.params["ns"], call.params["flow"], call.params["key"]
        trigger = webhook_key_trigger(self.engine, ns, flow_id, key, call.path)
        try:
            execution = await self.engine.webhook(
                ns,
                flow_id,
                key,
                method=call.method,
                body=call.body,
                headers=call.headers,
                query=call.query,
            )
        except Exception as exc:
            if self.dialect == "1.3" and "webhook inputs" in str(
                exc
            ):  # 1.3 answers 409 without a body
                return Reply(409)
            raise ApiError(engine_error(exc, call.path, self.dialect)) from exc
        if execution is None:  # trigger conditions not met
            return Reply(409 if self.dialect == "1.3" else 204, b"")
        props = trigger.props if trigger is not None else {}
        status = 200
        if props.get("wait"):
            execution = await self.engine.wait(execution.id, None)
            status = self._response_code(props, execution, call.path)
            if props.get("returnOutputs"):
                reply = json_reply(execution.outputs or {}, status)
                if str(props.get("responseContentType", "")).startswith("text/plain"):
                    reply.headers = [
                        (b"content-type", b"text/plain")
                    ]  # still the outputs map as JSON, as Kestra
                return reply
        data = self.execution_json(execution, url=True)
        return json_reply({k: data[k] for k in WEBHOOK_KEYS if k in data}, status)

    def _response_code(self, props: dict[str, Any], execution: Any, path: str) -> int:
        """The waited webhook's status: `responseCode` rendered after the run, else 500 on FAILED, else 200."""
        if props.get("responseCode") is None:
            return 500 if execution.state.current == "FAILED" else 200

        try:
            return int(
                render.render_str(
                    str(props["responseCode"]), self.engine.context(execution.id)
                ).strip()
            )
        except Exception as exc:
            raise ApiError(
                error_reply(
                    500, f"Internal Server Error: responseCode: {getattr(exc, 'what', exc)}", path
                )
            ) from exc

    async def webhook_extra_path(self, call: Call) -> Reply:
        """The core Webhook rejects extra path segments and a trailing slash: 404, empty body."""
        return Reply(404)

    async def get_execution(self, call: Call) -> Reply:
        return json_reply(self.execution_json(self._execution(call.params["id"], call.path), "api"))

    async def follow(self, call: Call) -> Reply:
        execution = self._execution(call.params["id"], call.path)

        async def events() -> AsyncIterator[bytes]:
            start = (
                {"id": execution.id, "deleted": False}
                if self.dialect == "1.3"
                else {"id": execution.id}
            )
            yield sse_event("start", start)
            last = None
            async for snapshot in self.engine.watch(execution.id):
                last = snapshot
                if not snapshot.terminated:
                    yield sse_event("progress", self.execution_json(snapshot))
            # Kestra's last change event and its `end` carry the same execution: send it once, as `end`
            yield sse_event(
                "end",
                self.execution_json(
                    last if last is not None else self.engine.execution(execution.id)
                ),
            )

        return Reply.stream(events())

    async def kill(self, call: Call) -> Reply:
        execution = self._execution(call.params["id"], call.path)
        if execution.terminated:
            if call.arg("isOnKillCascade", "true") == "false":
                return error_reply(409, "Illegal state: Execution is already finished", call.path)
        else:
            await self.engine.kill(execution.id)
        if self.dialect == "1.3":
            return Reply(202, b"")
        reply = json_reply(
            self.execution_json(execution)
        )  # 2.0: 200 with the execution, as `text/json`
        reply.headers = [(b"content-type", b"text/json")]
        return reply

    async def resume(self, call: Call) -> Reply:
        """Resume a PAUSED execution with the multipart `onResume` inputs: 204 on 1.3, the execution on 2.0."""
        execution = self._execution(call.params["id"], call.path)
        inputs = await _form_inputs(call)
        try:
            resumed = self.engine.resume(execution.id, inputs)
        except Exception as exc:
            raise ApiError(engine_error(exc, call.path, self.dialect)) from exc
        if not resumed:
            return error_reply(
                409,
                f"Illegal state: Execution '{execution.id}' is not paused, can't resume it",
                call.path,
            )
        if self.dialect == "1.3":
            return Reply(204, b"")
        await asyncio.sleep(
            0
        )  # let the Pause task take the resumption (the execution goes RUNNING)
        return json_reply(self.execution_json(execution))

    async def create_execution(self, call: Call) -> Reply:
        inputs = await _form_inputs(call)
        labels = dict(lb.split(":", 1) for lb in call.query.get("labels", []) if ":" in lb)
        try:
            execution = await self.engine.start(
                call.params["ns"], call.params["flow"], inputs=inputs, labels=labels
            )
        except Exception as exc:
            raise ApiError(engine_error(exc, call.path, self.dialect)) from exc
        if call.arg("wait") == "true":
            execution = await self.engine.wait(execution.id, None)
        return json_reply(self.execution_json(execution, url=True))


def _unauthorized(path: str) -> Reply:
    """Kestra's answer without valid credentials: 401 with a Basic challenge."""
    reply = error_reply(
        401,
        "Unauthorized: the Kestra API wants HTTP basic auth (KESTRA_USER / KESTRA_PASSWORD)",
        path,
    )
    reply.headers = [*reply.headers, (b"www-authenticate", b'Basic realm="Kestra"')]
    return reply


async def _form_inputs(call: Call) -> dict[str, Any]:
    """The fields of a multipart/form-data body (files read as text); {} without one."""
    from starlette.requests import Request  # multipart parsing only here, off the hot path

    inputs: dict[str, Any] = {}
    if call.body and "multipart/form-data" in call.headers.get("content-type", ""):
        try:
            form = await Request(call.scope, replayed_body(call.body)).form()
        except Exception as exc:  # noqa: BLE001 - a malformed body is the caller's mistake: 400, not 500
            raise ApiError(
                error_reply(
                    400, f"Bad Request: the multipart body could not be read ({exc})", call.path
                )
            ) from None
        for name, value in form.multi_items():
            inputs[name] = (
                value if isinstance(value, str) else (await value.read()).decode("utf-8", "replace")
            )
    return inputs


async def _read_body(scope: dict[str, Any], receive: Callable, path: str) -> bytes:
    """The request body, refused with 413 once it passes MAX_REQUEST_BYTES (never buffered past it)."""
    length = next((v for k, v in scope["headers"] if k.lower() == b"content-length"), b"")
    if length.isdigit() and int(length) > MAX_REQUEST_BYTES:
        raise ApiError(_too_large(int(length), path))
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_REQUEST_BYTES:
            raise ApiError(_too_large(size, path))
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _too_large(size: int, path: str) -> Reply:
    """Micronaut's answer to a body past `max-request-size`."""
    return error_reply(
        413,
        f"Request Entity Too Large: The content length [{size}] exceeds the maximum allowed "
        f"content length [{MAX_REQUEST_BYTES}]",
        path,
    )


@functools.cache
def _route_pattern(template: str) -> re.Pattern[str]:
    """A path template's regex ({name} one segment, {name:regex} as given), compiled once per process."""
    pattern = re.sub(r"\{(\w+):([^}]+)\}", r"(?P<\1>\2)", template)
    pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
    return re.compile(f"^{pattern}$")
