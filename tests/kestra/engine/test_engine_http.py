"""core.http.Request and the WhatsApp webhook tasks against real HTTP: an in-process ASGI app and a
uvicorn server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import socket

import httpx
import pytest
import uvicorn
from engine_helpers import flow, outputs, run
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from lab.kestra.engine import Engine

RECEIVED: list[dict] = []


async def messages(request: Request) -> JSONResponse:
    body = await request.body()
    RECEIVED.append(
        {"path": request.url.path, "headers": dict(request.headers), "body": body.decode()}
    )
    if request.headers.get("x-fail"):
        return JSONResponse({"error": {"message": "rate limited"}}, status_code=429)
    return JSONResponse(
        {"messaging_product": "whatsapp", "messages": [{"id": "wamid.1"}]},
        headers={"x-trace": "t1"},
    )


async def slow(request: Request) -> PlainTextResponse:
    await asyncio.sleep(2)
    return PlainTextResponse("late")


APP = Starlette(
    routes=[
        Route("/v21.0/{phone}/messages", messages, methods=["POST"]),
        Route("/hook", messages, methods=["POST"]),
        Route("/slow", slow),
    ]
)

REPLY = flow("""
    tasks:
      - id: reply
        type: io.kestra.plugin.core.http.Request
        uri: "{{ vars.base }}/v21.0/123/messages"
        method: POST
        headers:
          Authorization: "Bearer {{ vars.token }}"
        body: |
          {"to": {{ vars.to | toJson }}, "text": {"body": "hi"}}
      - id: wamid
        type: io.kestra.plugin.core.debug.Return
        format: "{{ fromJson(outputs.reply.body).messages[0].id }}"
""")


@pytest.fixture
def asgi_engine():
    RECEIVED.clear()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=APP), base_url="http://graph.test")
    return Engine(http=client)


async def test_request_through_an_asgi_app(asgi_engine):
    source = REPLY.replace(
        "tasks:", "variables: {base: 'http://graph.test', token: abc, to: '4917'}\ntasks:", 1
    )
    x = await run(asgi_engine, source)
    assert x.state.current == "SUCCESS", asgi_engine.logs(x.id)
    out = outputs(x, "reply")
    assert out["code"] == 200 and isinstance(out["body"], str)
    assert (
        out["headers"]["x-trace"] == ["t1"] and out["uri"] == "http://graph.test/v21.0/123/messages"
    )
    assert outputs(x, "wamid") == {"value": "wamid.1"}
    sent = RECEIVED[0]
    assert json.loads(sent["body"]) == {"to": "4917", "text": {"body": "hi"}}
    assert sent["headers"]["authorization"] == "Bearer abc"
    assert sent["headers"]["content-type"] == "application/json"


async def test_an_error_status_fails_unless_allowed(asgi_engine):
    failing = flow("""
        tasks:
          - id: reply
            type: io.kestra.plugin.core.http.Request
            uri: http://graph.test/hook
            method: POST
            headers: {x-fail: "1"}
            body: "{}"
    """)
    x = await run(asgi_engine, failing)
    assert x.state.current == "FAILED"
    assert outputs(x, "reply")["code"] == 429
    assert any(
        "Failed http request with response code '429'" in e.message for e in asgi_engine.logs(x.id)
    )
    allowed = failing.replace('body: "{}"', 'body: "{}"\n    options: {allowFailed: true}')
    x = await run(asgi_engine, allowed.replace("id: f", "id: g"))
    assert x.state.current == "SUCCESS" and "rate limited" in outputs(x, "reply")["body"]


async def test_read_timeout_fails_the_request(asgi_engine):
    x = await run(
        asgi_engine,
        flow("""
        tasks:
          - id: slow
            type: io.kestra.plugin.core.http.Request
            uri: http://graph.test/slow
            options:
              timeout: {readIdleTimeout: PT0.1S}
    """),
    )
    assert x.state.current == "FAILED"
    assert any("Timeout" in e.message for e in asgi_engine.logs(x.id))


@pytest.mark.parametrize(
    "kind",
    [
        "io.kestra.plugin.notifications.whatsapp.WhatsAppIncomingWebhook",
        "io.kestra.plugin.meta.whatsapp.WhatsAppExecution",
    ],
)
async def test_whatsapp_tasks_post_the_payload(asgi_engine, kind):
    x = await run(
        asgi_engine,
        flow(f"""
        tasks:
          - id: notify
            type: {kind}
            url: http://graph.test/hook
            profileName: Ana
            whatsAppIds: ["4917"]
            from: "4918"
            messageId: wamid.9
            textBody: "done {{{{ flow.id }}}}"
    """),
    )
    assert x.state.current == "SUCCESS", asgi_engine.logs(x.id)
    body = json.loads(RECEIVED[0]["body"])
    assert body["contacts"] == [{"profile": {"name": "Ana"}, "wa_id": "4917"}]
    assert body["messages"][0] == {
        "from": "4918",
        "id": "wamid.9",
        "text": {"body": "done f"},
        "type": "text",
    }
    assert "authorization" not in RECEIVED[0]["headers"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_request_against_a_real_uvicorn_on_loopback():
    RECEIVED.clear()
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(APP, host="127.0.0.1", port=port, log_level="error", lifespan="off")
    )
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        engine = Engine()
        source = REPLY.replace(
            "tasks:",
            f"variables: {{base: 'http://127.0.0.1:{port}', token: t, to: '1'}}\n" "tasks:",
            1,
        )
        x = await run(engine, source)
        assert x.state.current == "SUCCESS", engine.logs(x.id)
        assert outputs(x, "wamid") == {"value": "wamid.1"}
        assert RECEIVED[0]["path"] == "/v21.0/123/messages"
        await engine.aclose()
    finally:
        server.should_exit = True
        await serving
