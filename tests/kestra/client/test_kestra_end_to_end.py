"""A Cloud API webhook through the client to the embedded engine: KV read/write, a branch, an HTTP
call to a loopback Graph API that fails once (retried), and logs."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from kestra_fixture_app import PASSWORD, USER
from loopback import LoopbackServer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lab.kestra.client import KestraClient
from lab.kestra.engine.api import KestraApi
from lab.kestra.engine.engine import Engine

FLOW = (Path(__file__).resolve().parent / "e2e" / "wa_router.yml").read_text()
NS, WA_ID, PHONE_ID = "company.whatsapp", "5511987654321", "106540352242922"


def cloud_api_webhook(text: str | None, kind: str = "text") -> bytes:
    message = {
        "from": WA_ID,
        "id": "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFjNFQjBDMEQ2",
        "timestamp": "1795791782",
        "type": kind,
    }
    if kind == "text":
        message["text"] = {"body": text}
    else:
        message[kind] = {"id": "1234567890", "mime_type": "image/jpeg"}
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_ID},
        "contacts": [{"profile": {"name": "Maria Souza"}, "wa_id": WA_ID}],
        "messages": [message],
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(body, ensure_ascii=True).encode()


class FlakyGraph:
    """A Graph API `/messages` endpoint that answers 500 to the first call, then Meta's success."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.app = Starlette(
            routes=[Route("/v23.0/{phone}/messages", self.messages, methods=["POST"])]
        )

    async def messages(self, request: Request) -> JSONResponse:
        self.calls.append(
            {
                "auth": request.headers.get("authorization"),
                "body": await request.json(),
                "phone": request.path_params["phone"],
            }
        )
        if len(self.calls) == 1:
            return JSONResponse(
                {"error": {"message": "(#131000) Something went wrong", "code": 131000}}, 500
            )
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": WA_ID, "wa_id": WA_ID}],
                "messages": [{"id": f"wamid.reply{len(self.calls)}"}],
            }
        )


async def test_cloud_api_webhook_runs_the_whole_flow_end_to_end():
    graph = FlakyGraph()
    engine = Engine()
    engine.deploy(FLOW)
    with LoopbackServer(graph.app) as graph_server:
        engine.kv.set(NS, "WA_GRAPH_URL", graph_server.url)
        engine.kv.set(NS, "WA_TOKEN", "EAAW-test-token")
        api = KestraApi(engine, username=USER, password=PASSWORD)
        async with KestraClient(
            "http://embedded",
            username=USER,
            password=PASSWORD,
            transport=httpx.ASGITransport(app=api),
        ) as kestra:
            first = await kestra.trigger_webhook(
                NS,
                "wa_router",
                "wa-router-key",
                cloud_api_webhook("Olá"),
                {"Content-Type": "application/json"},
            )
            done = await kestra.wait_terminal(first.execution_id, timeout=10)
            second = await kestra.trigger_webhook(
                NS, "wa_router", "wa-router-key", cloud_api_webhook(None, "image")
            )
            image = await kestra.wait_terminal(second.execution_id, timeout=10)
            logs = await kestra.get_logs(first.execution_id)
            image_logs = await kestra.get_logs(second.execution_id)
            visits = await kestra.kv.get(NS, f"visits_{WA_ID}")
        await engine.aclose()

    assert done.state.current == "SUCCESS"
    assert [t.task_id for t in done.task_runs] == ["visits", "count", "route", "reply", "done"]
    reply = done.task_run("reply")
    assert [a.state.current for a in reply.attempts] == ["FAILED", "SUCCESS"]  # retried once
    assert reply.parent_task_run_id == done.task_run("route").id
    assert json.loads(reply.outputs["body"])["messages"][0]["id"] == "wamid.reply2"
    assert graph.calls[-1] == {
        "auth": "Bearer EAAW-test-token",
        "phone": PHONE_ID,
        "body": {
            "messaging_product": "whatsapp",
            "to": WA_ID,
            "type": "text",
            "text": {"body": "Echo: Olá"},
        },
    }
    assert any(e.message == f"visit 1 of {WA_ID}" and e.level == "INFO" for e in logs)

    assert image.state.current == "SUCCESS" and "reply" not in [t.task_id for t in image.task_runs]
    assert any(
        e.level == "WARN" and e.message == "unsupported message type image" for e in image_logs
    )
    assert any(e.message == f"visit 2 of {WA_ID}" for e in image_logs)
    assert (visits.type, visits.value) == ("NUMBER", 2)
    assert len(graph.calls) == 2
