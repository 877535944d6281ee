"""io.kestra.plugin.core.http.Request: a real HTTP call through the engine's httpx client."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from lab.kestra.engine.flow import CORE, seconds
from lab.kestra.engine.tasks.base import Prop, RunnableTask, TaskFailed, register


def _headers(response: httpx.Response) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in response.headers.multi_items():
        out.setdefault(name.lower(), []).append(value)
    return out


def _part(ctx: Any, name: str, value: Any) -> tuple[str | None, bytes | str]:
    """One multipart part, as Kestra sends it: a `kestra://` URI is that file from internal storage,
    `{name, content}` the file at `content` named `name`, anything else its text (JSON for the rest)."""
    if isinstance(value, dict) and "name" in value and "content" in value:
        return str(value["name"]), _stored(ctx, str(value["content"]), name)
    if isinstance(value, str) and value.startswith("kestra://"):
        return value.rsplit("/", 1)[-1], _stored(ctx, value, name)
    return None, value if isinstance(value, str) else json.dumps(value)


def _stored(ctx: Any, uri: str, name: str) -> bytes:
    try:
        data = ctx.read_file(uri)
    except (OSError, KeyError, ValueError) as exc:
        raise TaskFailed(
            f"formData {name}: cannot read {uri} from internal storage: {exc}"
        ) from None
    return data if isinstance(data, bytes) else str(data).encode()


@register
class HttpRequest(RunnableTask):
    """Send a request; outputs `uri`, `code`, `headers` (lists) and `body` as a string."""

    TYPE = CORE + "http.Request"
    ALIASES = ("io.kestra.plugin.fs.http.Request",)
    PROPERTIES = {
        "uri": Prop("string", required=True),
        "method": Prop("string"),
        "body": Prop("any"),
        "formData": Prop("map"),
        "params": Prop("map"),
        "contentType": Prop("string"),
        "headers": Prop("map"),
        "options": Prop("map"),
        "allowFailed": Prop("bool"),
        "encryptBody": Prop("bool"),
    }

    async def run(self, ctx: Any, props: dict[str, Any]) -> dict[str, Any]:
        uri = ctx.render_str(props.get("uri"))
        method = ctx.render_str(props.get("method") or "GET").upper()
        content_type = ctx.render_str(props.get("contentType") or "application/json")
        headers = {str(k): ctx.render_str(v) for k, v in (props.get("headers") or {}).items()}
        options = ctx.render(props.get("options") or {})
        allow_failed = bool(options.get("allowFailed", props.get("allowFailed", False)))
        allowed_codes = options.get("allowedResponseCodes")
        timeout = options.get("timeout") or {}
        read_timeout = (
            seconds(timeout.get("readIdleTimeout")) if isinstance(timeout, dict) else None
        )
        connect_timeout = (
            seconds(timeout.get("connectTimeout")) if isinstance(timeout, dict) else None
        )
        auth = options.get("auth") or {}
        request: dict[str, Any] = {"headers": headers}
        if props.get("params"):
            request["params"] = {
                k: v if isinstance(v, (list, str)) else json.dumps(v)
                for k, v in ctx.render(props["params"]).items()
            }
        if props.get("formData") is not None:
            form = ctx.render(props["formData"])
            if content_type.startswith("multipart/"):
                request["files"] = {str(k): _part(ctx, str(k), v) for k, v in form.items()}
            else:
                request["data"] = {
                    k: v if isinstance(v, str) else json.dumps(v) for k, v in form.items()
                }
        elif props.get("body") is not None:
            body = props["body"]
            rendered = (
                ctx.render_str(body) if isinstance(body, str) else json.dumps(ctx.render(body))
            )
            request["content"] = rendered.encode("utf-8")
            headers.setdefault("Content-Type", content_type)
        if str(auth.get("type", "")).upper() == "BASIC":
            request["auth"] = (str(auth.get("username", "")), str(auth.get("password", "")))
        elif str(auth.get("type", "")).upper() == "BEARER":
            headers["Authorization"] = f"Bearer {auth.get('token', '')}"
        if options.get("basicAuthUser"):
            request["auth"] = (
                str(options["basicAuthUser"]),
                str(options.get("basicAuthPassword", "")),
            )
        if read_timeout or connect_timeout:
            request["timeout"] = httpx.Timeout(
                read_timeout or 300.0, connect=connect_timeout or read_timeout
            )
        request["follow_redirects"] = bool(options.get("followRedirects", True))
        limit = (read_timeout or 0) + (connect_timeout or 0) or None
        try:
            # wait_for as well: in-process (ASGI) transports have no socket timeouts
            response = await asyncio.wait_for(ctx.http.request(method, uri, **request), limit)
        except (httpx.TimeoutException, TimeoutError) as exc:
            raise TaskFailed(f"Timeout on {method} {uri}: {exc.__class__.__name__}") from None
        except httpx.HTTPError as exc:
            raise TaskFailed(f"{method} {uri} failed: {exc.__class__.__name__}: {exc}") from None
        outputs = {
            "uri": str(response.url),
            "code": response.status_code,
            "headers": _headers(response),
            "body": response.text if response.content else None,
        }
        if outputs["body"] is None:
            del outputs["body"]
        code = response.status_code
        if allowed_codes:
            ok = code in [int(c) for c in allowed_codes]
        else:
            ok = code < 400 or allow_failed
        if not ok:
            raise TaskFailed(f"Failed http request with response code '{code}'", outputs)
        return outputs
