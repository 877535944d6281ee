"""io.kestra.plugin.core.http.Download: fetch a URL into the execution's internal storage."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlparse

import httpx

from lab.kestra.engine.flow import CORE
from lab.kestra.engine.tasks.base import Prop, RunnableTask, TaskFailed, register

_DISPOSITION = re.compile(r"filename\*?=(?:UTF-8'')?\"?([^\";]+)\"?", re.I)


@register
class HttpDownload(RunnableTask):
    """Download a file; outputs `uri` (kestra:// internal storage), `code`, `length`, `headers` (lists)."""

    TYPE = CORE + "http.Download"
    ALIASES = ("io.kestra.plugin.fs.http.Download",)
    PROPERTIES = {
        "uri": Prop("string", required=True),
        "method": Prop("string"),
        "headers": Prop("map"),
        "body": Prop("any"),
        "contentType": Prop("string"),
        "formData": Prop("map"),
        "options": Prop("map"),
        "failOnEmptyResponse": Prop("bool"),
        "saveAs": Prop("string"),
    }

    async def run(self, ctx: Any, props: dict[str, Any]) -> dict[str, Any]:
        uri = ctx.render_str(props.get("uri"))
        method = ctx.render_str(props.get("method") or "GET").upper()
        headers = {str(k): ctx.render_str(v) for k, v in (props.get("headers") or {}).items()}
        content = None
        if props.get("body") is not None:
            content = ctx.render_str(props["body"]).encode("utf-8")
            headers.setdefault(
                "Content-Type", ctx.render_str(props.get("contentType") or "application/json")
            )
        try:
            response = await ctx.http.request(
                method, uri, headers=headers, content=content, follow_redirects=True
            )
        except httpx.HTTPError as exc:
            raise TaskFailed(f"{method} {uri} failed: {exc.__class__.__name__}: {exc}") from None
        code = response.status_code
        out_headers: dict[str, list[str]] = {}
        for name, value in response.headers.multi_items():
            out_headers.setdefault(name.lower(), []).append(value)
        if code >= 400:
            raise TaskFailed(
                f"Failed http request with response code '{code}'",
                {"code": code, "headers": out_headers},
            )
        data = response.content
        fail_empty = props.get("failOnEmptyResponse", True)
        if not data and (
            fail_empty if isinstance(fail_empty, bool) else ctx.render_str(fail_empty) != "false"
        ):
            raise TaskFailed(f"No response from server {uri}")
        name = ctx.render_str(props["saveAs"]) if props.get("saveAs") else _file_name(uri, response)
        return {
            "uri": ctx.store_file(name, data),
            "code": code,
            "length": len(data),
            "headers": out_headers,
        }


def _file_name(uri: str, response: httpx.Response) -> str:
    match = _DISPOSITION.search(response.headers.get("content-disposition", ""))
    if match:
        return match.group(1).strip().replace("/", "_") or "download"
    name = unquote(urlparse(uri).path.rsplit("/", 1)[-1])
    return name.replace("/", "_") or "download"
