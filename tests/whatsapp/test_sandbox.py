"""The fake Graph API over HTTP (in-process ASGI): envelopes, auth, bad input, the 24-hour window,
status webhooks, captures, and the LabServer mount."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest

from lab.server import LabServer

from .conftest import AUTH, MARIA, SEND

TEXT = {
    "messaging_product": "whatsapp",
    "recipient_type": "individual",
    "to": MARIA.wa_id,
    "type": "text",
    "text": {"body": "Olá Maria! ☀️"},
}
TEMPLATE = {
    "messaging_product": "whatsapp",
    "to": MARIA.wa_id,
    "type": "template",
    "template": {
        "name": "prosseguir_com_solicitacao",
        "language": {"code": "pt_BR"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "Maria"},
                    {"type": "text", "text": "energia solar"},
                ],
            }
        ],
    },
}


def error_of(resp: httpx.Response) -> dict:
    err = resp.json()["error"]
    assert err["fbtrace_id"].startswith("A") and len(err["fbtrace_id"]) == 23
    return err


async def test_text_send_answers_metas_envelope_and_is_captured(graph, sandbox):
    resp = await graph.post(SEND, json=TEXT, headers=AUTH)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/json")
    data = resp.json()
    wamid = data["messages"][0]["id"]
    assert data == {
        "messaging_product": "whatsapp",
        "contacts": [{"input": MARIA.wa_id, "wa_id": MARIA.wa_id}],
        "messages": [{"id": wamid}],
    }
    assert wamid.startswith("wamid.")
    [cap] = sandbox.thread(MARIA.wa_id)
    assert (cap.wamid, cap.type, cap.verdict.ok, cap.via) == (wamid, "text", True, "graph")
    assert cap.payload == TEXT and cap.response == data
    assert (cap.pricing_category, cap.billable) == ("service", False)
    assert [s.status for s in cap.statuses] == ["sent", "delivered"]


@pytest.mark.parametrize("version", ["v17.0", "v23.0", "v26.0", "v99.9"])
async def test_any_version_prefix(graph, version):
    resp = await graph.post(f"/{version}/106540352242922/messages", json=TEXT, headers=AUTH)
    assert resp.status_code == 200


async def test_template_answer_has_message_status(graph, sandbox):
    resp = await graph.post(SEND, json=TEMPLATE, headers=AUTH)
    assert resp.json()["messages"][0]["message_status"] == "accepted"
    cap = sandbox.thread(MARIA.wa_id)[-1]
    assert (cap.pricing_category, cap.billable) == (
        "utility",
        False,
    )  # utility inside the window is free


@pytest.mark.parametrize(
    "headers,message",
    [
        ({}, "An active access token must be used to query information about the current user."),
        (
            {"Authorization": "Bearer wrong"},
            "Invalid OAuth access token - Cannot parse access token",
        ),
    ],
)
async def test_bad_token_is_190(graph, headers, message):
    resp = await graph.post(SEND, json=TEXT, headers=headers)
    assert resp.status_code == 401
    err = error_of(resp)
    assert (err["code"], err["type"], err["message"]) == (190, "OAuthException", message)
    assert "error_data" not in err


async def test_unknown_phone_number_id_is_100_subcode_33(graph):
    resp = await graph.post("/v23.0/999999999999999/messages", json=TEXT, headers=AUTH)
    assert resp.status_code == 400
    err = error_of(resp)
    assert (err["code"], err["error_subcode"], err["type"]) == (100, 33, "GraphMethodException")
    assert err["message"].startswith(
        "Unsupported post request. Object with ID '999999999999999' does not exist"
    )


@pytest.mark.parametrize(
    "content,headers,details",
    [
        (b"{not json", {"content-type": "application/json"}, "The request body is not valid JSON"),
        (
            json.dumps(TEXT).encode(),
            {"content-type": "text/plain"},
            "Content-Type must be application/json.",
        ),
        (b"", {"content-type": "application/json"}, "The request body is not valid JSON"),
        (
            b"[1, 2]",
            {"content-type": "application/json"},
            "The request body must be a JSON object.",
        ),
        (
            json.dumps(TEXT | {"colour": "red"}).encode(),
            {"content-type": "application/json"},
            'Unexpected key "colour"',
        ),
        (
            b"x" * (1024 * 1024 + 1),
            {"content-type": "application/json"},
            "exceeds the limit of 1048576 bytes",
        ),
    ],
)
async def test_bad_input_gets_metas_error_and_the_sandbox_keeps_serving(
    graph, content, headers, details
):
    resp = await graph.post(SEND, content=content, headers=AUTH | headers)
    assert resp.status_code == 400
    err = error_of(resp)
    assert err["code"] == 100 and details in err["error_data"]["details"]
    assert (await graph.post(SEND, json=TEXT, headers=AUTH)).status_code == 200


async def test_streamed_huge_body_without_length_is_refused(graph):
    async def chunks():
        for _ in range(20):
            yield b"x" * 100_000

    resp = await graph.post(
        SEND, content=chunks(), headers=AUTH | {"content-type": "application/json"}
    )
    assert (
        resp.status_code == 400 and "exceeds the limit" in error_of(resp)["error_data"]["details"]
    )


async def test_rejected_sends_are_captured_with_their_verdict(graph, sandbox):
    await graph.post(SEND, json=TEXT | {"text": {"body": "x" * 5000}}, headers=AUTH)
    cap = sandbox.thread(MARIA.wa_id)[-1]
    assert cap.state == "rejected" and cap.wamid is None
    assert (cap.verdict.code, cap.verdict.http_status) == (100, 400)
    assert cap.verdict.message == "(#100) Param text['body'] must be at most 4096 characters long."


async def test_window_closed_is_accepted_then_failed_131047(graph, sandbox, sink, clock):
    clock.advance(timedelta(hours=25))
    resp = await graph.post(SEND, json=TEXT, headers=AUTH)
    assert resp.status_code == 200 and resp.json()["messages"][0]["id"]
    cap = sandbox.thread(MARIA.wa_id)[-1]
    assert (cap.verdict.ok, cap.verdict.asynchronous, cap.verdict.code, cap.state) == (
        False,
        True,
        131047,
        "failed",
    )
    await sandbox.drain()
    [status] = sink.statuses()
    assert status["status"] == "failed" and status["errors"][0]["code"] == 131047
    assert status["errors"][0]["title"] == "Re-engagement message"
    body = json.loads(sink.posts[0][0])
    assert (
        "contacts" not in body["entry"][0]["changes"][0]["value"]
    )  # failed statuses carry no contacts


async def test_template_outside_window_is_billable(graph, sandbox, clock):
    clock.advance(timedelta(hours=25))
    assert (await graph.post(SEND, json=TEMPLATE, headers=AUTH)).status_code == 200
    cap = sandbox.thread(MARIA.wa_id)[-1]
    assert cap.verdict.ok and (cap.pricing_category, cap.billable) == ("utility", True)


async def test_strict_window_rejects_synchronously(make_sandbox, clock):
    sb = make_sandbox(strict_window=True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(sb), base_url="http://g") as graph:
        resp = await graph.post(SEND, json=TEXT, headers=AUTH)
        assert resp.status_code == 400
        err = error_of(resp)
        assert (err["code"], err["message"]) == (131047, "(#131047) Re-engagement message")
        assert err["error_data"]["details"].startswith(
            "Message failed to send because more than 24 hours"
        )
        sb.note_inbound(MARIA.wa_id)
        assert (await graph.post(SEND, json=TEXT, headers=AUTH)).status_code == 200


async def test_status_webhooks_one_per_post_at_chat_pace(graph, sandbox, sink):
    for _ in range(3):
        await graph.post(SEND, json=TEXT, headers=AUTH)
    await sandbox.drain()
    statuses = sink.statuses()
    assert [s["status"] for s in statuses] == ["sent", "delivered"] * 3
    assert len(sink.posts) == 6  # bot libraries read only the first status of a webhook
    assert all(
        s["pricing"]
        == {
            "billable": False,
            "pricing_model": "PMP",
            "type": "free_customer_service",
            "category": "service",
        }
        for s in statuses
    )
    body, headers = sink.posts[0]
    assert headers["user-agent"] == "facebookexternalua" and body.isascii()
    value = json.loads(body)["entry"][0]["changes"][0]["value"]
    assert (
        value["contacts"][0]["wa_id"] == MARIA.wa_id
        and value["contacts"][0]["profile"]["name"] == "Maria Souza"
    )


async def test_a_backlog_of_statuses_is_batched(graph, sandbox, sink):
    import asyncio

    await asyncio.gather(*(graph.post(SEND, json=TEXT, headers=AUTH) for _ in range(40)))
    await sandbox.drain()
    statuses = sink.statuses()
    assert len(statuses) == 80 and len(sink.posts) < 80
    assert len({s["id"] for s in statuses}) == 40


async def test_reading_a_long_thread_sends_one_read_receipt_per_webhook(graph, sandbox, sink):
    for _ in range(22):
        await graph.post(SEND, json=TEXT, headers=AUTH)
    await sandbox.drain()
    before = len(sink.posts)
    assert sandbox.read(MARIA.wa_id) == 22
    await sandbox.drain()
    reads = [
        json.loads(body)["entry"][0]["changes"][0]["value"]["statuses"]
        for body, _ in sink.posts[before:]
    ]
    assert [len(statuses) for statuses in reads] == [
        1
    ] * 22  # bot libraries read only the first status
    assert all(statuses[0]["status"] == "read" for statuses in reads)


async def test_read_by_the_user_and_played_voice_notes(graph, sandbox, sink):
    await graph.post(SEND, json=TEXT, headers=AUTH)
    voice = {
        "messaging_product": "whatsapp",
        "to": MARIA.wa_id,
        "type": "audio",
        "audio": {"id": "1", "voice": True},
    }
    await graph.post(SEND, json=voice, headers=AUTH)
    assert sandbox.read(MARIA.wa_id) == 2
    await sandbox.drain()
    kinds = [s["status"] for s in sink.statuses()]
    assert kinds.count("read") == 2 and kinds.count("played") == 1
    read = [s for s in sink.statuses() if s["status"] == "read"][0]
    assert "pricing" not in read
    assert sandbox.read(MARIA.wa_id) == 0  # already read


async def test_reactions_only_get_sent(graph, sandbox):
    w = (await graph.post(SEND, json=TEXT, headers=AUTH)).json()["messages"][0]["id"]
    react = {
        "messaging_product": "whatsapp",
        "to": MARIA.wa_id,
        "type": "reaction",
        "reaction": {"message_id": w, "emoji": "👍"},
    }
    await graph.post(SEND, json=react, headers=AUTH)
    assert [s.status for s in sandbox.thread(MARIA.wa_id)[-1].statuses] == ["sent"]


async def test_mark_as_read_and_typing(graph, sandbox, sink, business, clock):
    from lab.whatsapp.inbound import InboundBuilder

    inbound = InboundBuilder(business, clock).text(MARIA, "Oi").wamid
    for extra in ({}, {"typing_indicator": {"type": "text"}}):
        resp = await graph.post(
            SEND,
            json={"messaging_product": "whatsapp", "status": "read", "message_id": inbound} | extra,
            headers=AUTH,
        )
        assert (resp.status_code, resp.json()) == (200, {"success": True})
    assert [c.type for c in sandbox.thread(MARIA.wa_id)] == ["read", "typing"]
    await sandbox.drain()
    assert sink.posts == []  # the business's read receipts produce no webhook
    ours = (await graph.post(SEND, json=TEXT, headers=AUTH)).json()["messages"][0]["id"]
    resp = await graph.post(
        SEND,
        json={"messaging_product": "whatsapp", "status": "read", "message_id": ours},
        headers=AUTH,
    )
    assert resp.status_code == 400 and error_of(resp)["code"] == 100


async def test_statuses_switched_off(make_sandbox, sink):
    sb = make_sandbox(statuses=False)
    sb.note_inbound(MARIA.wa_id)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(sb), base_url="http://g") as graph:
        await graph.post(SEND, json=TEXT, headers=AUTH)
        await sb.drain()
        assert sink.posts == [] and [s.status for s in sb.thread(MARIA.wa_id)[0].statuses] == [
            "sent",
            "delivered",
        ]
        inbound = await graph.post(
            "/_lab/inbound", json={"from": MARIA.wa_id, "text": "oi"}, headers=AUTH
        )
        assert (
            inbound.json()["posted"] is True and len(sink.posts) == 1
        )  # the bot still gets user messages


async def test_bot_errors_on_status_webhooks_are_retried(make_sandbox, sink, monkeypatch):
    from lab.whatsapp import status_delivery

    monkeypatch.setattr(status_delivery, "RETRY_DELAYS", (0.01, 0.01))
    sink.status = 500
    sb = make_sandbox()
    sb.note_inbound(MARIA.wa_id)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(sb), base_url="http://g") as graph:
        await graph.post(SEND, json=TEXT, headers=AUTH)
    import asyncio

    await asyncio.sleep(0.2)
    assert (
        len(sink.posts) == 6
        and sb.dispatcher.failures == 2
        and sb.dispatcher.last_error == "HTTP 500"
    )


async def test_thread_captured_since_and_subscribe(graph, sandbox):
    events = []
    unsubscribe = sandbox.subscribe(
        lambda cap, status: events.append((cap.seq, status.status if status else "captured"))
    )
    await graph.post(SEND, json=TEXT, headers=AUTH)
    seq = sandbox.last_seq
    await graph.post(SEND, json=TEXT | {"to": "5521998765432"}, headers=AUTH)
    assert events[:3] == [(1, "captured"), (1, "sent"), (1, "delivered")]
    since = sandbox.captured_since(seq)
    assert [c.to for c in since] == ["5521998765432"] and since[
        0
    ].state == "failed"  # no window with João
    unsubscribe()
    await graph.post(SEND, json=TEXT, headers=AUTH)
    assert len(events) == 5  # nothing after unsubscribing
    assert sandbox.thread("nobody") == []


async def test_history_is_bounded(make_sandbox):
    sb = make_sandbox(history=3, webhook_url=None)
    sb.note_inbound(MARIA.wa_id)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(sb), base_url="http://g") as graph:
        for _ in range(5):
            await graph.post(SEND, json=TEXT, headers=AUTH)
    assert [c.seq for c in sb.thread(MARIA.wa_id)] == [3, 4, 5]
    assert [c.seq for c in sb.captured_since(3)] == [4, 5]


async def test_phone_number_and_templates_endpoints(graph):
    resp = await graph.get("/v23.0/106540352242922", headers=AUTH)
    assert (
        resp.json()["id"] == "106540352242922"
        and resp.json()["display_phone_number"] == "15550783881"
    )
    resp = await graph.get("/v23.0/102290129340398/message_templates", headers=AUTH)
    names = {t["name"] for t in resp.json()["data"]}
    assert {"hello_world", "prosseguir_com_solicitacao"} <= names
    assert (await graph.get("/v23.0/106540352242922")).status_code == 401


async def test_unknown_paths_are_2500(graph):
    for method, path in (
        ("GET", "/nope"),
        ("POST", "/v23.0/x/y/z"),
        ("GET", "/23.0/106540352242922"),
    ):
        resp = await graph.request(method, path, headers=AUTH)
        assert resp.status_code == 400
        err = error_of(resp)
        assert err["code"] == 2500 and err["message"].startswith("Unknown path components")


async def test_mounted_in_the_lab_server(sandbox):
    server = LabServer({"/graph": sandbox})
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(server), base_url="http://lab"
    ) as client:
        assert (await client.post("/graph" + SEND, json=TEXT, headers=AUTH)).status_code == 200
        up = await client.post(
            "/graph/v23.0/106540352242922/media",
            headers=AUTH,
            data={"messaging_product": "whatsapp"},
            files={"file": ("a.png", b"png", "image/png")},
        )
        info = await client.get(f"/graph/v23.0/{up.json()['id']}", headers=AUTH)
        assert info.json()["url"].startswith("http://lab/graph/media/download/")
        assert (await client.get(info.json()["url"], headers=AUTH)).content == b"png"


async def test_free_entry_point_window_after_an_ad(graph, sandbox, sink):
    sandbox.note_inbound(MARIA.wa_id, entry_point=True)  # the user came from a click-to-WhatsApp ad
    marketing = {
        "messaging_product": "whatsapp",
        "to": MARIA.wa_id,
        "type": "template",
        "template": {
            "name": "oferta_energia_solar",
            "language": {"code": "pt_BR"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Maria"},
                        {"type": "text", "text": "30"},
                    ],
                },
                {
                    "type": "button",
                    "sub_type": "url",
                    "index": "0",
                    "parameters": [{"type": "text", "text": "m1"}],
                },
            ],
        },
    }
    assert (await graph.post(SEND, json=marketing, headers=AUTH)).status_code == 200
    cap = sandbox.thread(MARIA.wa_id)[-1]
    assert (cap.pricing_category, cap.billable) == ("marketing", False)
    await sandbox.drain()
    sent, delivered = sink.statuses()
    assert sent["pricing"]["type"] == "free_entry_point"
    assert (
        sent["conversation"]["origin"] == {"type": "referral_conversion"}
        and "expiration_timestamp" in sent["conversation"]
    )
    assert "expiration_timestamp" not in delivered["conversation"]
