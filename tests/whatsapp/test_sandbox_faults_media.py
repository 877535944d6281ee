"""Fault injection, media endpoints, the Kestra notification endpoint and the control endpoints."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from .conftest import AUTH, MARIA, SEND, TOKEN
from .test_sandbox import TEXT, error_of


async def test_fail_next_rate_limit_with_headers_then_recovers(graph, sandbox, business):
    sandbox.faults.fail_next(2, 130429)
    for _ in range(2):
        resp = await graph.post(SEND, json=TEXT, headers=AUTH)
        assert resp.status_code == 400
        err = error_of(resp)
        assert (err["code"], err["message"]) == (130429, "(#130429) Rate limit hit")
        assert err["error_data"]["details"] == "Cloud API message throughput has been reached."
        assert resp.headers["retry-after"] == "1"
        usage = json.loads(resp.headers["x-business-use-case-usage"])
        assert usage[business.waba_id][0]["type"] == "whatsapp_business_messaging"
    assert (await graph.post(SEND, json=TEXT, headers=AUTH)).status_code == 200


async def test_fail_next_asynchronous_code_becomes_a_failed_status(graph, sandbox, sink):
    sandbox.faults.fail_next(1, 131026)
    resp = await graph.post(SEND, json=TEXT, headers=AUTH)
    assert resp.status_code == 200
    cap = sandbox.thread(MARIA.wa_id)[-1]
    assert cap.state == "failed" and cap.verdict.code == 131026
    await sandbox.drain()
    assert sink.statuses()[0]["errors"][0]["title"] == "Message undeliverable"


@pytest.mark.parametrize("status,code", [(500, 131000), (503, 2)])
async def test_server_errors(graph, sandbox, status, code):
    sandbox.faults.server_error(1, status)
    resp = await graph.post(SEND, json=TEXT, headers=AUTH)
    assert resp.status_code == status and error_of(resp)["code"] == code
    assert (await graph.post(SEND, json=TEXT, headers=AUTH)).status_code == 200


async def test_duplicate_webhook_delivery(graph, sandbox, sink):
    sandbox.faults.duplicate_next(1)
    await graph.post(SEND, json=TEXT, headers=AUTH)
    await sandbox.drain()
    assert len(sink.posts) == 3 and sink.posts[0][0] == sink.posts[1][0] != sink.posts[2][0]


async def test_delayed_statuses(graph, sandbox, sink):
    sandbox.faults.delay_statuses(0.15)
    await graph.post(SEND, json=TEXT, headers=AUTH)
    cap = sandbox.thread(MARIA.wa_id)[-1]
    assert cap.statuses == []
    await asyncio.sleep(0.3)
    await sandbox.drain()
    assert [s.status for s in cap.statuses] == ["sent", "delivered"] and len(sink.statuses()) == 2


async def test_throughput_limit(graph, sandbox):
    sandbox.faults.throughput(2)
    codes = [(await graph.post(SEND, json=TEXT, headers=AUTH)).status_code for _ in range(3)]
    assert codes == [200, 200, 400]
    sandbox.faults.clear()
    assert (await graph.post(SEND, json=TEXT, headers=AUTH)).status_code == 200


async def test_media_upload_get_download_delete(graph):
    up = await graph.post(
        "/v23.0/106540352242922/media",
        headers=AUTH,
        data={"messaging_product": "whatsapp", "type": "image/jpeg"},
        files={"file": ("conta.jpg", b"\xff\xd8jpeg-bytes", "image/jpeg")},
    )
    assert up.status_code == 200
    media_id = up.json()["id"]
    assert media_id.isdigit()
    info = (await graph.get(f"/v23.0/{media_id}", headers=AUTH)).json()
    import hashlib

    assert info["mime_type"] == "image/jpeg" and info["file_size"] == 12 and info["id"] == media_id
    assert info["sha256"] == hashlib.sha256(b"\xff\xd8jpeg-bytes").hexdigest()
    assert info["messaging_product"] == "whatsapp"
    down = await graph.get(info["url"], headers=AUTH)
    assert down.content == b"\xff\xd8jpeg-bytes" and down.headers["content-type"] == "image/jpeg"
    assert (await graph.get(info["url"])).status_code == 401  # the download needs the bearer token
    wrong = await graph.get(f"/v23.0/{media_id}?phone_number_id=1", headers=AUTH)
    assert (
        error_of(wrong)["message"]
        == "(#100) Param phone_number_id is not a valid whatsapp business phone number id ID"
    )
    assert (await graph.delete(f"/v23.0/{media_id}", headers=AUTH)).json() == {"success": True}
    gone = await graph.get(f"/v23.0/{media_id}", headers=AUTH)
    assert gone.status_code == 400 and error_of(gone)["error_subcode"] == 33
    assert error_of(await graph.delete(f"/v23.0/{media_id}", headers=AUTH))["error_subcode"] == 33


@pytest.mark.parametrize(
    "data,files,code,text",
    [
        (
            {"messaging_product": "whatsapp"},
            {"file": ("a.gif", b"GIF89a", "image/gif")},
            131053,
            "Param file must be a file with one of",
        ),
        (
            {"messaging_product": "whatsapp"},
            {"file": ("big.png", b"x" * (5 * 1024 * 1024 + 1), "image/png")},
            131053,
            "exceeds",
        ),
        (
            {},
            {"file": ("a.png", b"png", "image/png")},
            100,
            "The parameter messaging_product is required.",
        ),
        ({"messaging_product": "whatsapp"}, None, 100, "The parameter file is required."),
    ],
)
async def test_media_upload_errors(graph, data, files, code, text):
    resp = await graph.post(
        "/v23.0/106540352242922/media",
        headers=AUTH,
        data=data,
        files=files or {"other": ("x", b"x")},
    )
    err = error_of(resp)
    assert err["code"] == code and text in (
        err["message"] + err.get("error_data", {}).get("details", "")
    )


async def test_media_upload_needs_multipart(graph):
    resp = await graph.post("/v23.0/106540352242922/media", headers=AUTH, json={"file": "x"})
    assert resp.status_code == 400 and error_of(resp)["code"] == 100


NOTIFY = f"/notify/whatsapp?token={TOKEN}"
KESTRA_PAYLOAD = {  # what WhatsAppIncomingWebhook / WhatsAppExecution render (whatsapp-template.peb)
    "contacts": [
        {"profile": {"name": "Kestra"}, "wa_id": "5511987654321"},
        {"profile": {"name": "Kestra"}, "wa_id": "5521998765432"},
    ],
    "messages": [
        {
            "from": "15550783881",
            "id": "wamid.notification",
            "text": {
                "body": [
                    "Namespace company.whatsapp",
                    "Flow ID lead_qualification",
                    "Execution Status SUCCESS",
                ]
            },
            "type": "text",
        }
    ],
}


async def test_kestra_notification_lands_in_each_addressed_thread(graph, sandbox):
    resp = await graph.post(
        NOTIFY, json=KESTRA_PAYLOAD
    )  # the plugin sends no header: the token is in its url
    assert resp.status_code == 200 and resp.json()["success"] is True
    for wa_id in ("5511987654321", "5521998765432"):
        [cap] = sandbox.thread(wa_id)
        assert (cap.via, cap.type, cap.verdict.ok) == ("notification", "notification", True)
        assert (
            cap.payload["text"]
            == "Namespace company.whatsapp\nFlow ID lead_qualification\nExecution Status SUCCESS"
        )


async def test_kestra_notification_with_a_plain_body_and_recipient_id(graph, sandbox):
    payload = {"messages": [{"text": {"body": "Olá"}, "type": "text"}], "recipient_id": MARIA.wa_id}
    assert (await graph.post(NOTIFY, json=payload)).status_code == 200
    assert sandbox.thread(MARIA.wa_id)[0].payload["text"] == "Olá"


@pytest.mark.parametrize(
    "content,needle",
    [
        (b"not json", "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (json.dumps({"contacts": [{"wa_id": "1"}]}).encode(), "The parameter messages is required"),
        (json.dumps({"messages": [{"text": {"body": "x"}}]}).encode(), "No recipient"),
    ],
)
async def test_kestra_notification_bad_input(graph, content, needle):
    resp = await graph.post(NOTIFY, content=content, headers={"content-type": "application/json"})
    err = error_of(resp)
    assert resp.status_code == 400 and err["code"] == 100
    assert needle in err["message"] + err.get("error_data", {}).get("details", "")


async def test_control_endpoints(make_sandbox, sink, clock):
    sb = make_sandbox()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(sb), base_url="http://g") as graph:
        assert (
            await graph.post("/_lab/inbound", json={"from": MARIA.wa_id, "text": "Oi"})
        ).status_code == 401
        resp = await graph.post(
            "/_lab/inbound",
            json={"from": MARIA.wa_id, "name": "Maria", "text": "Olá 👋"},
            headers=AUTH,
        )
        assert resp.json()["posted"] is True and resp.json()["status_code"] == 200
        body, headers = sink.posts[-1]
        assert b"Ol\\u00e1 \\ud83d\\udc4b" in body and headers["x-hub-signature-256"].startswith(
            "sha256="
        )
        assert sb.window_open(MARIA.wa_id)
        assert (await graph.post(SEND, json=TEXT, headers=AUTH)).status_code == 200
        threads = (await graph.get(f"/_lab/threads/{MARIA.wa_id}", headers=AUTH)).json()
        assert threads[0]["type"] == "text" and threads[0]["statuses"][0]["status"] == "sent"
        assert (
            await graph.post("/_lab/read", json={"wa_id": MARIA.wa_id}, headers=AUTH)
        ).json() == {"read": 1}
        t0 = clock.time()
        await graph.post("/_lab/advance", json={"duration": "25h"}, headers=AUTH)
        assert clock.time() - t0 == 25 * 3600 and not sb.window_open(MARIA.wa_id)
        bad = await graph.post("/_lab/advance", json={"duration": "soon"}, headers=AUTH)
        assert bad.status_code == 400 and "not a duration" in error_of(bad)["error_data"]["details"]
        await graph.post("/_lab/faults", json={"fail_next": 1, "code": 131000}, headers=AUTH)
        assert (await graph.post(SEND, json=TEMPLATE_OK, headers=AUTH)).status_code == 500


TEMPLATE_OK = {
    "messaging_product": "whatsapp",
    "to": MARIA.wa_id,
    "type": "template",
    "template": {"name": "hello_world", "language": {"code": "en_US"}},
}


@pytest.mark.parametrize(
    "client", [("172.17.0.2", 40000), ("127.0.0.1", 40000)]
)  # Kestra in Docker, loopback
async def test_kestra_notification_needs_the_token_from_anywhere(sandbox, client):
    transport = httpx.ASGITransport(sandbox, client=client)
    async with httpx.AsyncClient(transport=transport, base_url="http://lab") as caller:
        assert (await caller.post("/notify/whatsapp", json=KESTRA_PAYLOAD)).status_code == 401
        assert (await caller.post(NOTIFY, json=KESTRA_PAYLOAD)).status_code == 200


async def test_media_a_user_sent_can_be_fetched_by_the_bot(graph, sandbox, business, clock):
    from lab.whatsapp.inbound import InboundBuilder

    item = sandbox.media.put(b"OggS voice", "audio/ogg; codecs=opus")
    hook = InboundBuilder(business, clock).media(
        MARIA, "audio", item.id, item.sha256_b64, mime_type=item.mime_type, voice=True
    )
    assert hook.message["audio"]["sha256"] == item.sha256_b64
    info = (await graph.get(f"/v23.0/{item.id}", headers=AUTH)).json()
    assert info["mime_type"] == "audio/ogg; codecs=opus" and info["sha256"] == item.sha256_hex
    assert (await graph.get(info["url"], headers=AUTH)).content == b"OggS voice"
    # the trap Meta sets: phone_number_id only matches media the business uploaded
    trap = await graph.get(
        f"/v23.0/{item.id}?phone_number_id={business.phone_number_id}", headers=AUTH
    )
    assert trap.status_code == 400
