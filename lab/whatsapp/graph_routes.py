"""The sandbox's endpoints besides sending: media, phone number, templates, notification plugin.

Served by a Starlette router behind the raw send path; every answer is Meta-shaped, including
errors (unknown paths: code 2500 `Unknown path components`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router

from lab.whatsapp.control import control_routes
from lab.whatsapp.errors import GraphError, invalid_parameter, param_error, unknown_object
from lab.whatsapp.notify import capture_notification
from lab.whatsapp.sandbox import VERSION

if TYPE_CHECKING:
    from lab.whatsapp.sandbox import GraphSandbox


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status, headers=headers, media_type="application/json")


def _graph(sandbox: GraphSandbox, *, auth: bool = True):
    """Decorator: version check, bearer check, GraphError -> Meta's envelope, no 500 on bad input."""

    def wrap(handler):
        async def endpoint(request: Request) -> Response:
            try:
                version = request.path_params.get("version")
                if version is not None and not _is_version(version):
                    raise _unknown_path(request)
                if auth:
                    sandbox.check_token(request.headers.get("authorization", "").encode() or None)
                return await handler(request)
            except GraphError as err:
                return _error(sandbox, err)
            except Exception:  # never a bare 500: Meta's 131000 envelope, and the log says why
                logging.getLogger(__name__).exception("unexpected error on %s", request.url.path)
                return _error(
                    sandbox, GraphError(131000, "The sandbox failed on this request; see its log.")
                )

        return endpoint

    return wrap


def _is_version(v: str) -> bool:
    return VERSION.fullmatch(v) is not None


def _unknown_path(request: Request) -> GraphError:
    return GraphError(
        2500,
        message=f"Unknown path components: {request.url.path}",
        http_status=400,
        whatsapp_data=False,
    )


def _error(sandbox: GraphSandbox, err: GraphError) -> Response:
    headers = {k.decode(): v.decode() for k, v in err.headers}
    return Response(
        err.body(sandbox.ids.fbtrace_id()),
        err.http_status or 400,
        headers=headers,
        media_type="application/json",
    )


def _base_url(request: Request) -> str:
    """The sandbox's own URL as the client reached it (keeps the /graph mount prefix)."""
    root = request.scope.get("root_path", "")
    return f"{request.url.scheme}://{request.url.netloc}{root}"


def build_router(sandbox: GraphSandbox) -> Router:
    """The router for every path except POST .../messages."""
    business = sandbox.business

    @_graph(sandbox)
    async def get_object(request: Request) -> Response:
        oid = request.path_params["object_id"]
        if oid == business.phone_number_id:
            return _json(
                {
                    "verified_name": business.verified_name,
                    "code_verification_status": "VERIFIED",
                    "display_phone_number": business.display_phone_number,
                    "quality_rating": "GREEN",
                    "platform_type": "CLOUD_API",
                    "throughput": {"level": "STANDARD"},
                    "id": business.phone_number_id,
                }
            )
        item = sandbox.media.get(oid)
        if item is None:
            raise unknown_object(oid, "get")
        pnid = request.query_params.get("phone_number_id")
        if pnid is not None and pnid != item.phone_number_id:
            raise param_error(
                "Param phone_number_id is not a valid whatsapp business phone number id ID"
            )
        url = f"{_base_url(request)}{item.download_path}"
        return _json(
            {
                "messaging_product": "whatsapp",
                "url": url,
                "mime_type": item.mime_type,
                "sha256": item.sha256_hex,
                "file_size": len(item.data),
                "id": item.id,
            }
        )

    @_graph(sandbox)
    async def delete_object(request: Request) -> Response:
        oid = request.path_params["object_id"]
        if not sandbox.media.delete(oid):
            raise unknown_object(oid, "delete")
        return _json({"success": True})

    @_graph(sandbox)
    async def upload(request: Request) -> Response:
        if request.path_params["object_id"] != business.phone_number_id:
            raise unknown_object(request.path_params["object_id"])
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise invalid_parameter("Media uploads must be multipart/form-data.")
        try:
            form = await request.form(max_part_size=100 * 1024 * 1024)
        except Exception as exc:  # noqa: BLE001 - any parse failure is the client's malformed body
            raise invalid_parameter(f"The multipart body could not be parsed: {exc}") from None
        if form.get("messaging_product") != "whatsapp":
            raise param_error("The parameter messaging_product is required.")
        file = form.get("file")
        if file is None or isinstance(file, str):
            raise param_error("The parameter file is required.")
        data = await file.read()
        mime = str(form.get("type") or file.content_type or "")
        item = sandbox.media.upload(data, mime, business.phone_number_id, file.filename)
        return _json({"id": item.id})

    @_graph(sandbox)
    async def download(request: Request) -> Response:
        item = sandbox.media.get(request.path_params["media_id"])
        if item is None:
            return Response(b"", 404)
        return Response(
            item.data,
            200,
            media_type=item.mime_type.split(";")[0],
            headers={"Content-Disposition": f"attachment; filename={item.filename or item.id}"},
        )

    @_graph(sandbox)
    async def templates(request: Request) -> Response:
        if request.path_params["object_id"] != business.waba_id:
            raise unknown_object(request.path_params["object_id"], "get")
        data = [_template_json(t) for t in sandbox.templates.templates.values()]
        return _json({"data": data, "paging": {"cursors": {"before": "MAA", "after": "MjQZD"}}})

    @_graph(sandbox, auth=False)
    async def notify(request: Request) -> Response:
        # Kestra's notification tasks send no Authorization header: the token rides in the URL
        # (.../notify/whatsapp?token=...). A loopback caller is no exception: a web page open in
        # the developer's browser posts from loopback too.
        token = request.query_params.get("token")
        sandbox.check_token(
            request.headers.get("authorization", "").encode()
            or (b"Bearer " + token.encode() if token else None)
        )
        return _json(await capture_notification(sandbox, request))

    @_graph(sandbox)
    async def root(request: Request) -> Response:
        return _json(
            {
                "service": "walab fake WhatsApp Graph API",
                "phone_number_id": business.phone_number_id,
                "waba_id": business.waba_id,
                "captured": sandbox.last_seq,
            }
        )

    @_graph(sandbox, auth=False)
    async def fallback(request: Request) -> Response:
        raise _unknown_path(request)

    methods = ["GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS"]
    return Router(
        routes=[
            *control_routes(sandbox, _graph(sandbox)),
            Route("/", root, methods=["GET"]),
            Route("/notify/whatsapp", notify, methods=["POST"]),
            Route("/media/download/{media_id}", download, methods=["GET"]),
            Route("/{version}/{object_id}/media", upload, methods=["POST"]),
            Route("/{version}/{object_id}/message_templates", templates, methods=["GET"]),
            Route("/{version}/{object_id}", get_object, methods=["GET"]),
            Route("/{version}/{object_id}", delete_object, methods=["DELETE"]),
            Route("/{path:path}", fallback, methods=methods),
        ]
    )


def _template_json(t) -> dict[str, Any]:
    comps: list[dict[str, Any]] = []
    if t.header:
        comps.append({"type": "HEADER", "format": "TEXT", "text": t.header})
    comps.append({"type": "BODY", "text": t.body})
    if t.footer:
        comps.append({"type": "FOOTER", "text": t.footer})
    if t.buttons:
        comps.append(
            {
                "type": "BUTTONS",
                "buttons": [
                    {"type": b.type.upper(), "text": b.text, **({"url": b.url} if b.url else {})}
                    for b in t.buttons
                ],
            }
        )
    return {
        "name": t.name,
        "language": t.language,
        "status": t.status,
        "category": t.category.upper(),
        "parameter_format": "NAMED" if t.named else "POSITIONAL",
        "components": comps,
    }
