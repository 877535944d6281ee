"""Control endpoints for running the sandbox alone (`walab sandbox`): play the user from curl or CI.

    POST /_lab/inbound   {"from": "5511987654321", "name": "Maria", "text": "Olá"}   -> signed webhook to the bot
    POST /_lab/read      {"wa_id": "5511987654321"}                                  -> read statuses
    POST /_lab/advance   {"duration": "25h"}                                         -> virtual clock
    POST /_lab/faults    {"fail_next": 2, "code": 130429} | {"duplicate_next": 1} | {"delay_statuses": 5} | {"clear": true}
    GET  /_lab/threads/{wa_id}                                                       -> captured sends

All require the sandbox's bearer token, like the Graph API paths.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lab import limits
from lab.config import Contact
from lab.errors import LabError
from lab.whatsapp.errors import invalid_parameter, unsupported_body
from lab.whatsapp.faults import Faults
from lab.whatsapp.inbound import InboundBuilder
from lab.whatsapp.signing import WebhookPoster

if TYPE_CHECKING:
    from lab.whatsapp.sandbox import GraphSandbox


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (Meta's #100) once it passes `limit` bytes: never buffered whole."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise invalid_parameter(
            f"Request body of {length} bytes exceeds the limit of {limit} bytes."
        )
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise invalid_parameter(f"Request body exceeds the limit of {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


async def _json_body(request: Request, limit: int) -> dict[str, Any]:
    refused = unsupported_body(request.headers.get("content-type", "").encode("latin-1") or None)
    if refused is not None:
        raise refused
    try:
        data = orjson.loads(await read_body(request, limit) or b"{}")
    except orjson.JSONDecodeError as exc:
        raise invalid_parameter(f"The request body is not valid JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise invalid_parameter("The request body must be a JSON object.")
    return data


def control_routes(sandbox: GraphSandbox, graph) -> list[Route]:
    """Routes under /_lab, wrapped by the router's `graph` decorator (auth + Meta-shaped errors)."""

    builder = InboundBuilder(sandbox.business, sandbox.clock)

    @graph
    async def inbound(request: Request) -> Response:
        data = await _json_body(request, sandbox.max_body)
        wa_id, text = str(data.get("from") or ""), data.get("text")
        if not wa_id.isdigit() or not isinstance(text, str):
            raise invalid_parameter('Give "from" (digits) and "text".')
        hook = builder.text(Contact(wa_id, str(data.get("name") or wa_id)), text)
        sandbox.note_inbound(wa_id, float(hook.timestamp), name=data.get("name"))
        answer: dict[str, Any] = {"wamid": hook.wamid, "posted": False}
        if sandbox.webhook_url:
            poster = WebhookPoster(
                sandbox.webhook_url,
                client=sandbox.dispatcher.client(),
                duplicates=sandbox.faults.take_duplicate(),
            )
            try:
                d = await poster.post_signed(sandbox.sign(hook.payload))
                answer |= {"posted": True, "status_code": d.status_code}
            except Exception as exc:  # noqa: BLE001 - report the bot being down, don't fail the control call
                answer["error"] = f"{type(exc).__name__}: {exc}"
            finally:
                await poster.aclose()
        return Response(orjson.dumps(answer), media_type="application/json")

    @graph
    async def read(request: Request) -> Response:
        data = await _json_body(request, sandbox.max_body)
        n = sandbox.read(str(data.get("wa_id") or ""))
        return Response(orjson.dumps({"read": n}), media_type="application/json")

    @graph
    async def advance(request: Request) -> Response:
        data = await _json_body(request, sandbox.max_body)
        duration = data.get("duration")
        try:
            sandbox.clock.advance(
                limits.clock_move(
                    duration if isinstance(duration, (int, float)) else str(duration or ""),
                    "duration",
                )
            )
        except LabError as exc:
            raise invalid_parameter(f"{exc.what}. {exc.fix}." if exc.fix else exc.what) from None
        return Response(orjson.dumps({"now": sandbox.clock.time()}), media_type="application/json")

    @graph
    async def faults(request: Request) -> Response:
        data = await _json_body(request, sandbox.max_body)
        try:
            _apply_faults(Faults(), data)  # all or nothing: a refused value arms none of the others
            _apply_faults(sandbox.faults, data)
        except LabError as exc:
            raise invalid_parameter(f"Bad fault script: {exc.what}. {exc.fix}.") from None
        return Response(b'{"success":true}', media_type="application/json")

    def _apply_faults(f: Faults, data: dict[str, Any]) -> None:
        unknown = sorted(
            set(data)
            - {
                "clear",
                "fail_next",
                "code",
                "details",
                "duplicate_next",
                "delay_statuses",
                "throughput",
            }
        )
        if unknown:
            raise LabError(
                f"unknown key {unknown[0]!r}",
                fix="use fail_next (with code and details), duplicate_next, "
                "delay_statuses (seconds), throughput (per second or null), clear",
            )
        if data.get("clear"):
            f.clear()
        if "fail_next" in data:
            f.fail_next(data["fail_next"], data.get("code", 131000), data.get("details"))
        if "duplicate_next" in data:
            f.duplicate_next(data["duplicate_next"])
        if "delay_statuses" in data:
            f.delay_statuses(data["delay_statuses"])
        if "throughput" in data:
            f.throughput(data["throughput"])

    @graph
    async def thread(request: Request) -> Response:
        caps = sandbox.thread(request.path_params["wa_id"])
        return Response(orjson.dumps([c.to_dict() for c in caps]), media_type="application/json")

    return [
        Route("/_lab/inbound", inbound, methods=["POST"]),
        Route("/_lab/read", read, methods=["POST"]),
        Route("/_lab/advance", advance, methods=["POST"]),
        Route("/_lab/faults", faults, methods=["POST"]),
        Route("/_lab/threads/{wa_id}", thread, methods=["GET"]),
    ]
