"""One async client for Kestra's REST API: a real Kestra (1.3 LTS or 2.0) or the embedded engine.

    async with KestraClient("http://localhost:8080", username=..., password=...) as kestra:
        info = await kestra.detect()                    # version, edition, dialect, basic auth
        await kestra.flows.deploy(source)               # flows, kv, files, results: resources
        hook = await kestra.trigger_webhook("company.whatsapp", "inbound", "key", body, headers)
        execution = await kestra.wait_terminal(hook.execution_id, timeout=30)

The embedded engine is driven the same way through `transport=httpx.ASGITransport(app)`.
The client runs and watches executions (webhooks, start, follow, resume, kill, logs); what it
deploys and reads besides is grouped by resource in `lab.kestra.resources`: `kestra.flows`,
`kestra.kv`, `kestra.files` (namespace files) and `kestra.results` (outputs, metrics). All of
them send through one `KestraConnection` (one `httpx.AsyncClient`, JSON parsed with orjson, HTTP
failures turned into `lab.kestra.errors.KestraError`s that say what to do).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

import httpx
import orjson

from lab.kestra import errors
from lab.kestra.connection import (
    DEFAULT_TIMEOUT,
    FollowBroken,
    KestraConnection,
    basic_authorization,
    route_missing,
)
from lab.kestra.resources.files import NamespaceFiles
from lab.kestra.resources.flows import Flows
from lab.kestra.resources.kv import KV
from lab.kestra.resources.results import Results
from lab.kestra.shapes import Execution, LogEntry, ServerInfo, WebhookResult

__all__ = ["DEFAULT_TIMEOUT", "KestraClient", "basic_authorization"]

_NO_EXECUTION_KEYS = ("message", "_links")  # a Micronaut JsonError, not a WebhookResponse


class KestraClient:
    """Async client of one Kestra server (tenant `main`), reused for the whole session.

    Args:
        base_url: the server root, e.g. http://localhost:8080 (no /api/v1).
        username, password: basic-auth credentials (Kestra OSS requires them since 0.24).
        tenant: the tenant path segment; OSS always uses "main".
        transport: an httpx transport (httpx.ASGITransport(app) for the embedded engine).
        timeout: per-request timeout (seconds or httpx.Timeout).
        dialect: "1.3" or "2.0" to skip detection; otherwise set by detect().
    """

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        tenant: str = "main",
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        dialect: str | None = None,
    ) -> None:
        self.connection = KestraConnection(
            base_url,
            username=username,
            password=password,
            tenant=tenant,
            transport=transport,
            timeout=timeout,
            dialect=dialect or "1.3",
        )
        self.server: ServerInfo | None = None
        self.flows = Flows(self.connection)
        self.kv = KV(self.connection)
        self.files = NamespaceFiles(self.connection)
        self.results = Results(self.connection)

    @property
    def base_url(self) -> str:
        return self.connection.base_url

    @property
    def tenant(self) -> str:
        return self.connection.tenant

    @property
    def dialect(self) -> str:
        """The server's API dialect, "1.3" or "2.0" (given, or adopted by detect())."""
        return self.connection.dialect

    @dialect.setter
    def dialect(self, value: str) -> None:
        self.connection.dialect = value

    async def __aenter__(self) -> KestraClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.connection.aclose()

    def _ex_path(self, execution_id: str) -> str:
        return self.connection.path("executions", execution_id)

    # -- server -----------------------------------------------------------------------------

    async def detect(self) -> ServerInfo:
        """Ask the server what it is (`GET /api/v1/configs`, no auth needed) and adopt its dialect."""
        data = await self.connection.json(
            "GET", "/api/v1/configs", what="read the server configuration"
        )
        self.server = ServerInfo.from_json(data or {})
        self.dialect = self.server.dialect
        return self.server

    async def check_credentials(self) -> None:
        """Fail now with a clear 401 message rather than at the first deploy (cheap authenticated call)."""
        await self.connection.send(
            "GET", f"{self.connection.api}/flows/search", what="list flows", params={"size": 1}
        )

    # -- webhook ----------------------------------------------------------------------------

    async def trigger_webhook(
        self,
        namespace: str,
        flow_id: str,
        key: str,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        *,
        method: str = "POST",
        params: dict[str, Any] | None = None,
        skipped_ok: bool = False,
    ) -> WebhookResult:
        """Post raw bytes to the flow's Webhook trigger; return the execution it created.

        Handles `wait`/`returnOutputs` flows: a FAILED waited execution (500) or a custom
        `responseCode` still returns the result; a returnOutputs body fills `outputs`.
        Trigger conditions not met (409 without body on 1.3, 204 on 2.0) raise WebhookSkipped,
        or return `started=False` with skipped_ok=True.
        """
        path = self.connection.path("executions", "webhook", namespace, flow_id, key)
        if body and (headers is None or not any(h.lower() == "content-type" for h in headers)):
            headers = {**(headers or {}), "Content-Type": "application/json"}
        try:
            response = await self.connection.http.request(
                method, path, content=body or None, headers=headers, params=params
            )
        except httpx.TimeoutException as exc:
            raise errors.timed_out(
                self.base_url,
                f"answer the webhook of {namespace}.{flow_id}",
                self.connection.timeout_seconds,
            ) from exc
        except (httpx.ConnectError, httpx.RemoteProtocolError, OSError) as exc:
            raise errors.unreachable(self.base_url, exc) from exc
        status, content = response.status_code, response.content
        if status == 204 or (status == 409 and not content.strip()):
            if skipped_ok:
                return WebhookResult(
                    status=status, execution_id=None, execution=None, outputs=None, started=False
                )
            raise errors.WebhookSkipped(
                f"the webhook of flow {namespace}.{flow_id} did not start an execution: its trigger conditions "
                f"(`conditions` on 1.3, `when` on 2.0) are not met for this request ({status})",
                where=f"{self.base_url}{path}",
                fix="check the trigger's conditions against the payload",
                status=status,
            )
        data = _loads_or_none(content)
        execution_like = (
            isinstance(data, dict) and "id" in data and "state" in data and "flowId" in data
        )
        error_like = not content or (
            isinstance(data, dict) and all(k in data for k in _NO_EXECUTION_KEYS)
        )
        if status >= 400 and (error_like or data is None):
            raise errors.error_for(
                status,
                content,
                url=f"{self.base_url}{path}",
                what=f"trigger the webhook of {namespace}.{flow_id}",
                subject=f"flow {namespace}.{flow_id} (or its webhook key)",
            )
        if execution_like:
            execution = Execution.from_json(data)
            return WebhookResult(
                status=status,
                execution_id=execution.id,
                execution=execution,
                outputs=data.get("outputs"),
                raw=data,
            )
        outputs = data if isinstance(data, dict) else {"value": data}
        exec_id = outputs.get("executionId")  # only when the flow puts it in its outputs
        return WebhookResult(
            status=status, execution_id=exec_id, execution=None, outputs=outputs, raw=data
        )

    # -- executions -------------------------------------------------------------------------

    async def get_execution(self, execution_id: str) -> Execution:
        """`GET /executions/{id}`."""
        data = await self.connection.json(
            "GET",
            self._ex_path(execution_id),
            what=f"get execution {execution_id}",
            subject=f"execution {execution_id}",
        )
        if not data:  # Kestra 1.3 answers 404 via its error controller; be tolerant of an empty 200
            raise errors.error_for(
                404,
                b"",
                url=self._ex_path(execution_id),
                what=f"get execution {execution_id}",
                subject=f"execution {execution_id}",
            )
        return Execution.from_json(data)

    async def start_execution(
        self,
        namespace: str,
        flow_id: str,
        inputs: dict[str, Any] | None = None,
        *,
        labels: dict[str, str] | None = None,
        wait: bool = False,
    ) -> Execution:
        """Create an execution (`POST /executions/{ns}/{flowId}`, multipart: one part per input)."""
        files = {
            k: (None, v if isinstance(v, (str, bytes)) else orjson.dumps(v).decode())
            for k, v in (inputs or {}).items()
        } or None
        params: list[tuple[str, str]] = [("labels", f"{k}:{v}") for k, v in (labels or {}).items()]
        if wait:
            params.append(("wait", "true"))
        data = await self.connection.json(
            "POST",
            self.connection.path("executions", namespace, flow_id),
            what=f"start flow {namespace}.{flow_id}",
            subject=f"flow {namespace}.{flow_id}",
            files=files,
            params=params,
        )
        return Execution.from_json(data)

    async def follow_execution(
        self, execution_id: str, *, poll_interval: float = 0.25
    ) -> AsyncIterator[Execution]:
        """Snapshots of the execution until it is terminal (SSE `/follow`, else polling).

        Kestra sends `start` (a placeholder), `progress` on each change, then `end`.
        """
        last: Execution | None = None
        try:
            async with aclosing(
                self.connection.sse(
                    f"{self._ex_path(execution_id)}/follow", what=f"follow execution {execution_id}"
                )
            ) as events:
                async for event_id, data in events:
                    if event_id == "start" or not data:
                        continue
                    last = Execution.from_json(orjson.loads(data))
                    yield last
                    if event_id == "end":
                        return
        except FollowBroken:
            pass  # the stream failed or ended early (proxy, restart): poll the rest
        if last is not None and last.terminated:
            return
        while True:
            last = await self.get_execution(execution_id)
            yield last
            if last.terminated:
                return
            await asyncio.sleep(poll_interval)

    async def wait_terminal(self, execution_id: str, timeout: float | None = 60.0) -> Execution:
        """The execution once terminal; KestraTimeout after `timeout` seconds."""

        async def last_snapshot() -> Execution:
            try:  # only the `end` event is parsed: intermediate snapshots are not needed here
                async with aclosing(
                    self.connection.sse(
                        f"{self._ex_path(execution_id)}/follow",
                        what=f"follow execution {execution_id}",
                    )
                ) as events:
                    async for event_id, data in events:
                        if event_id == "end" and data:
                            return Execution.from_json(orjson.loads(data))
            except FollowBroken:
                pass
            final = None
            async for snapshot in self.follow_execution(execution_id):
                final = snapshot
            assert final is not None
            return final

        try:
            async with asyncio.timeout(timeout):
                return await last_snapshot()
        except TimeoutError as exc:
            raise errors.timed_out(
                self.base_url, f"finish execution {execution_id}", timeout
            ) from exc

    async def resume(self, execution_id: str, inputs: dict[str, Any] | None = None) -> None:
        """Resume a PAUSED execution; `inputs` become the Pause task's `onResume` outputs (multipart, as
        Kestra reads them). 409 (KestraConflict) when it is not paused; 2.0 may serve it under `/actions/resume`."""
        kwargs: dict[str, Any] = {
            "what": f"resume execution {execution_id}",
            "subject": f"execution {execution_id}",
        }
        if inputs:
            kwargs["files"] = {
                name: (None, value if isinstance(value, str) else orjson.dumps(value))
                for name, value in inputs.items()
            }
        else:  # Kestra only accepts multipart here: an empty form
            kwargs["content"] = b"--walab-empty--\r\n"
            kwargs["headers"] = {"Content-Type": "multipart/form-data; boundary=walab-empty"}
        if self.dialect == "2.0":
            response = await self.connection.send(
                "POST", f"{self._ex_path(execution_id)}/actions/resume", ok=(404, 405), **kwargs
            )
            if not route_missing(response):
                self.connection.raise_for(response, kwargs["what"], kwargs["subject"])
                return
        await self.connection.send("POST", f"{self._ex_path(execution_id)}/resume", **kwargs)

    async def kill(self, execution_id: str) -> None:
        """Kill the execution (202 on 1.3; 2.0 moved the action under `/actions/kill` and answers 200)."""
        if self.dialect == "2.0":
            what, subject = f"kill execution {execution_id}", f"execution {execution_id}"
            response = await self.connection.send(
                "DELETE",
                f"{self._ex_path(execution_id)}/actions/kill",
                ok=(404, 405),
                what=what,
                subject=subject,
            )
            if not route_missing(response):
                self.connection.raise_for(response, what, subject)
                return
        await self.connection.send(
            "DELETE",
            f"{self._ex_path(execution_id)}/kill",
            what=f"kill execution {execution_id}",
            subject=f"execution {execution_id}",
        )

    # -- logs -------------------------------------------------------------------------------

    async def get_logs(self, execution_id: str, *, min_level: str | None = None) -> list[LogEntry]:
        """All log lines of the execution so far (not paged)."""
        params = {"minLevel": min_level} if min_level else None
        data = await self.connection.json(
            "GET",
            self.connection.path("logs", execution_id),
            params=params,
            what=f"read the logs of execution {execution_id}",
        )
        return [LogEntry.from_json(d) for d in data or ()]

    async def follow_logs(
        self, execution_id: str, *, min_level: str | None = None
    ) -> AsyncIterator[LogEntry]:
        """Log lines as they come (SSE). Kestra's stream never ends: close it, or use logs_until_terminal."""
        path = self.connection.path("logs", execution_id, "follow")
        if min_level:
            path += f"?minLevel={min_level}"
        try:
            async with aclosing(
                self.connection.sse(path, what=f"follow the logs of execution {execution_id}")
            ) as events:
                async for event_id, data in events:
                    if event_id == "start" or not data:
                        continue
                    entry = orjson.loads(data)
                    if entry.get("message") is None and entry.get("level") is None:
                        continue  # Kestra's empty placeholder entry
                    yield LogEntry.from_json(entry)
        except FollowBroken:
            return

    async def logs_until_terminal(
        self, execution_id: str, *, grace: float = 0.3, timeout: float | None = 60.0
    ) -> AsyncIterator[LogEntry]:
        """Follow the logs and stop `grace` seconds after the execution is terminal (late lines)."""
        queue: asyncio.Queue[Any] = asyncio.Queue()
        done = object()

        async def pump() -> None:
            try:
                async for entry in self.follow_logs(execution_id):
                    queue.put_nowait(entry)
            except asyncio.CancelledError:
                pass
            except Exception as exc:  # surfaced to the consumer below
                queue.put_nowait(exc)
            finally:
                queue.put_nowait(done)

        async def closer() -> None:
            try:
                await self.wait_terminal(execution_id, timeout)
                await asyncio.sleep(grace)
            except Exception as exc:
                queue.put_nowait(exc)
            pumping.cancel()

        pumping = asyncio.create_task(pump())
        closing = asyncio.create_task(closer())
        try:
            while (item := await queue.get()) is not done:
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            for task in (pumping, closing):
                task.cancel()
            await asyncio.gather(pumping, closing, return_exceptions=True)


def _loads_or_none(content: bytes) -> Any:
    try:
        return orjson.loads(content) if content else None
    except orjson.JSONDecodeError:
        return None
