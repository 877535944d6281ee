"""Signing: one ASCII-escaped serialisation, HMAC-SHA256 over those bytes, posted unchanged."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
import pytest

from lab.whatsapp.inbound import InboundBuilder
from lab.whatsapp.signing import SignedWebhook, WebhookPoster, headers, serialize, signature, verify

from .conftest import MARIA, SECRET, Sink


def test_serialisation_escapes_non_ascii_with_lowercase_hex():
    body = serialize({"text": {"body": "Olá, ação 🎉"}})
    assert body == b'{"text":{"body":"Ol\\u00e1, a\\u00e7\\u00e3o \\ud83c\\udf89"}}'
    assert body.isascii()
    assert (
        body
        == json.dumps(
            {"text": {"body": "Olá, ação 🎉"}}, ensure_ascii=True, separators=(",", ":")
        ).encode()
    )


@pytest.mark.parametrize(
    "value",
    ["plain", "del\x7fchar", "ctrl\x01\n\t", 'quote"back\\slash', "ção", "😮", 1.5, None, True],
)
def test_serialisation_equals_json_dumps_ensure_ascii(value):
    payload = {"a": value, "b": [value, {"c": value}]}
    assert (
        serialize(payload) == json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode()
    )


def test_signature_is_lowercase_hex_hmac_of_the_exact_bytes():
    body = serialize({"x": "ção"})
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert signature(body, SECRET) == expected
    assert expected == expected.lower()
    assert verify(body, expected, SECRET)
    assert not verify(body + b" ", expected, SECRET)
    assert not verify(body, None, SECRET)
    assert not verify(body, expected.upper(), SECRET)


def test_headers_are_metas():
    body = b"{}"
    assert headers(body, SECRET) == {
        "Content-Type": "application/json",
        "User-Agent": "facebookexternalua",
        "X-Hub-Signature-256": signature(body, SECRET),
    }


async def test_poster_posts_bytes_unchanged_with_duplicates(business, clock):
    sink = Sink()
    hook = InboundBuilder(business, clock).text(MARIA, "Olá 👋").signed(SECRET)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(sink)) as client:
        poster = WebhookPoster("http://bot.test/webhook", client=client, duplicates=1)
        delivery = await poster.post_signed(hook)
    assert delivery.status_code == 200 and delivery.attempt == 1
    assert [b for b, _ in sink.posts] == [hook.body, hook.body]
    sent_headers = sink.posts[0][1]
    assert sent_headers["x-hub-signature-256"] == hook.headers["X-Hub-Signature-256"]
    assert sent_headers["user-agent"] == "facebookexternalua"
    assert sent_headers["content-type"] == "application/json"
    assert verify(sink.posts[0][0], sent_headers["x-hub-signature-256"], SECRET)


async def test_handshake_client_call():
    async def bot(scope, receive, send):
        from urllib.parse import parse_qs

        q = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
        ok = q.get("hub.mode") == "subscribe" and q.get("hub.verify_token") == "vt"
        body = q["hub.challenge"].encode() if ok else b"Forbidden"
        await send({"type": "http.response.start", "status": 200 if ok else 403, "headers": []})
        await send({"type": "http.response.body", "body": body})

    async with httpx.AsyncClient(transport=httpx.ASGITransport(bot)) as client:
        poster = WebhookPoster("http://bot.test/webhook", client=client)
        good = await poster.verify_handshake("vt", challenge="42")
        bad = await poster.verify_handshake("wrong")
    assert (good.status_code, good.text) == (200, "42")
    assert bad.status_code == 403


def test_signed_webhook_of_payload():
    hook = SignedWebhook.of({"a": "é"}, SECRET)
    assert hook.body == b'{"a":"\\u00e9"}' and verify(
        hook.body, hook.headers["X-Hub-Signature-256"], SECRET
    )
