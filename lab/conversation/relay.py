"""Two small faces of the lab server: the status-webhook relay and the fixture files.

`/hooks/whatsapp`: the sandbox posts its status webhooks (sent, delivered, read, failed) here;
the relay forwards the same bytes and signature to the flow's webhook on the target and records
the execution each one started, so status executions are known to the session but never mixed
into a turn. A status webhook the trigger's conditions skip (409 on 1.3, 204 on 2.0: a flow that
ignores statuses with `conditions` / `when`) is a normal delivery that started no execution.

`/files/<key>/...`: the bundled fixture files (flows/files: plans.json, the knowledge base),
read-only, so a flow can look its plans up over HTTP as it would call a real catalogue API. The
key in the path is the credential (the flows get the whole URL from KV `PLANS_URL`).

Both require their credential: a status webhook is relayed only when its `X-Hub-Signature-256`
is the app secret's (the sandbox signs it, as Meta does); a file only under the session's key.
"""

from __future__ import annotations

import hmac
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson

from lab.asgi_response import send_response
from lab.errors import LabError
from lab.kestra import errors
from lab.server import asgi_post
from lab.whatsapp.signing import verify


async def _read(receive: Any, limit: int = 4 * 1024 * 1024) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            return None
        chunk = msg.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not msg.get("more_body"):
            return b"".join(chunks)


class StatusRelay:
    """ASGI app: forwards status webhooks to the session's flow and records what they started."""

    def __init__(self, parts: Any) -> None:
        self.parts = parts
        self.flow_id: str | None = None  # the flow the session talks to (set by the Lab)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] != "POST":
            await send_response(send, 405, b'{"error":"POST only"}')
            return
        body = await _read(receive)
        if body is None:
            await send_response(send, 413, b'{"error":"body too large"}')
            return
        # cycle: lab.conversation.assembly imports this module
        from lab.conversation.assembly import StatusDelivery, status_summary

        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers") or ()}
        if not verify(body, headers.get("x-hub-signature-256"), self.parts.settings.app_secret):
            await send_response(
                send,
                401,
                b'{"error":"X-Hub-Signature-256 is missing or not signed with the app secret"}',
            )
            return
        forward = {
            k: v
            for k, v in headers.items()
            if k.lower() in ("content-type", "x-hub-signature-256", "user-agent")
        }
        wamids, statuses = status_summary(body)
        plan = self.parts.plan
        flow_id = self.flow_id or self.parts.settings.flow
        if plan is None:  # still deploying: Meta would retry; so does the sandbox's dispatcher
            await send_response(send, 503, b'{"error":"the lab is deploying"}')
            return
        try:
            src = plan.flow(flow_id)
            if self.parts.engine is not None:
                code, execution_id = await trigger_in_process(
                    self.parts.server,
                    self.parts.client.base_url,
                    plan.namespace,
                    flow_id,
                    src.webhook_key or "",
                    body,
                    forward,
                    skipped_ok=True,
                )
            else:
                result = await self.parts.client.trigger_webhook(
                    plan.namespace, flow_id, src.webhook_key or "", body, forward, skipped_ok=True
                )
                code, execution_id = result.status, result.execution_id
            delivery = StatusDelivery(wamids, statuses, code, execution_id)
            status = 200
        except LabError as exc:
            delivery = StatusDelivery(wamids, statuses, 502, None)
            status = 502
            if self.parts.on_error is not None:
                self.parts.on_error(
                    f"a status webhook ({', '.join(statuses)}) could not reach the flow: {exc.what}",
                    exc.where,
                    exc.fix,
                )
        self.parts.status_deliveries.append(delivery)
        await send_response(send, status, b"{}")


async def trigger_in_process(
    server: Any,
    base_url: str,
    namespace: str,
    flow_id: str,
    key: str,
    body: bytes,
    headers: dict[str, str],
    *,
    skipped_ok: bool = False,
) -> tuple[int, str | None]:
    """The embedded engine's webhook endpoint, called as an ASGI app (no HTTP client on the way).

    Same endpoint, bytes and headers as `KestraClient.trigger_webhook`, and the same errors for
    its answers; only httpx's request and response objects are skipped (the turn's webhook and
    its status webhooks are three of every turn's requests). Returns (status, execution id);
    trigger conditions not met raise WebhookSkipped, or give (status, None) with skipped_ok=True.
    """

    path = (
        f"/api/v1/main/executions/webhook/{quote(namespace, safe='')}/{quote(flow_id, safe='')}"
        f"/{quote(key, safe='')}"
    )
    if body and not any(h.lower() == "content-type" for h in headers):
        headers = {**headers, "Content-Type": "application/json"}
    status, content = await asgi_post(server, path, body, headers)
    where = f"{base_url}{path}"
    if status == 204 or (status == 409 and not content.strip()):
        if skipped_ok:
            return status, None
        raise errors.WebhookSkipped(
            f"the webhook of flow {namespace}.{flow_id} did not start an execution: its trigger conditions "
            f"(`conditions` on 1.3, `when` on 2.0) are not met for this request ({status})",
            where=where,
            fix="check the trigger's conditions against the payload",
            status=status,
        )
    try:
        data = orjson.loads(content) if content else None
    except orjson.JSONDecodeError:
        data = None
    execution_like = (
        isinstance(data, dict) and "id" in data and "state" in data and "flowId" in data
    )
    error_like = not content or (
        isinstance(data, dict) and all(k in data for k in ("message", "_links"))
    )
    if status >= 400 and (error_like or data is None):
        raise errors.error_for(
            status,
            content,
            url=where,
            what=f"trigger the webhook of {namespace}.{flow_id}",
            subject=f"flow {namespace}.{flow_id} (or its webhook key)",
        )
    if execution_like:
        return status, data["id"]
    outputs = data if isinstance(data, dict) else {"value": data}
    return status, outputs.get("executionId")  # only when the flow puts it in its outputs


class FilesApp:
    """ASGI app serving the files of one folder read-only (no listing, no escaping the folder)."""

    def __init__(self, root: Path, *, key: str) -> None:
        self.root = root.resolve()
        self._prefix = f"/{key}/"

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] not in ("GET", "HEAD"):
            await send_response(send, 405, b'{"error":"read-only"}')
            return
        path: str = scope["path"]
        if not hmac.compare_digest(path[: len(self._prefix)].encode(), self._prefix.encode()):
            await send_response(
                send,
                401,
                b'{"error":"files are served under the session key: use the URL in KV PLANS_URL"}',
            )
            return
        rel = path[len(self._prefix) :].lstrip("/")
        target = (self.root / rel).resolve()
        if not rel or self.root not in target.parents or not target.is_file():
            await send_response(send, 404, b'{"error":"no such file"}')
            return
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype == "application/json":
            ctype += "; charset=utf-8"
        data = target.read_bytes()
        await send_response(send, 200, b"" if scope["method"] == "HEAD" else data, ctype.encode())
