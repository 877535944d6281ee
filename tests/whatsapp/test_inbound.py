"""Inbound webhook builders: Meta's envelope and every message type, exact shapes."""

from __future__ import annotations

import re

import pytest

from lab.config import Contact
from lab.whatsapp import wamids
from lab.whatsapp.errors import ERROR_DOCS
from lab.whatsapp.ids import IdFactory, bsuid, sha256_b64, wamid
from lab.whatsapp.inbound import InboundBuilder, forwarded_context, referral, reply_context

from .conftest import MARIA

BIZ_WAMID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjlCQTUwMjAwMDAwMDAwMDAwMQA="


@pytest.fixture
def build(business, clock) -> InboundBuilder:
    return InboundBuilder(business, clock, IdFactory("test"))


def msg(hook) -> dict:
    return hook.payload["entry"][0]["changes"][0]["value"]["messages"][0]


def test_envelope_is_metas(build, business):
    hook = build.text(MARIA, "Oi")
    p = hook.payload
    assert p["object"] == "whatsapp_business_account"
    entry = p["entry"][0]
    assert entry["id"] == business.waba_id and len(entry["id"]) == 15
    change = entry["changes"][0]
    assert change["field"] == "messages"
    value = change["value"]
    assert value["messaging_product"] == "whatsapp"
    assert value["metadata"] == {
        "display_phone_number": "15550783881",
        "phone_number_id": "106540352242922",
    }
    assert value["contacts"] == [
        {
            "profile": {"name": "Maria Souza"},
            "wa_id": MARIA.wa_id,
            "user_id": bsuid(MARIA.wa_id, business.waba_id),
        }
    ]
    m = value["messages"][0]
    assert list(m) == ["from", "from_user_id", "id", "timestamp", "type", "text"]
    assert m["from"] == MARIA.wa_id and m["text"] == {"body": "Oi"}


def test_timestamp_is_string_seconds_from_virtual_clock(build, clock):
    hook = build.text(MARIA, "Oi")
    assert msg(hook)["timestamp"] == hook.timestamp == str(int(clock.time())) == "1795780800"
    clock.advance(90)
    assert msg(build.text(MARIA, "de novo"))["timestamp"] == "1795780890"


def test_wamid_shape_and_direction():
    w = wamid("16503879439", "3A4A6599AEE03810144F", inbound=True)
    assert (
        w == "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
    )  # Meta's published example
    ids = IdFactory("x")
    inbound, outbound = ids.inbound_wamid(MARIA.wa_id), ids.outbound_wamid(MARIA.wa_id)
    assert wamids.decode(inbound) == (MARIA.wa_id, True)
    assert wamids.decode(outbound) == (MARIA.wa_id, False)
    assert wamids.decode("wamid.xyz") is None and wamids.decode("nope") is None


def test_ids_are_deterministic_per_seed():
    a, b = IdFactory("seed"), IdFactory("seed")
    assert [a.inbound_wamid("5511"), a.media_id(), a.fbtrace_id()] == [
        b.inbound_wamid("5511"),
        b.media_id(),
        b.fbtrace_id(),
    ]
    assert re.fullmatch(r"A[A-Za-z0-9_-]{22}", a.fbtrace_id())
    assert re.fullmatch(r"\d{16}", a.media_id())
    assert re.fullmatch(r"BR\.\d+", bsuid("5511987654321", "102290129340398"))


def test_button_reply_quotes_the_business_message(build):
    m = msg(build.button_reply(MARIA, "yes", "Sim", to_wamid=BIZ_WAMID))
    assert m["context"] == {"from": "15550783881", "id": BIZ_WAMID}
    assert m["type"] == "interactive"
    assert m["interactive"] == {
        "type": "button_reply",
        "button_reply": {"id": "yes", "title": "Sim"},
    }


def test_list_reply_with_and_without_description(build):
    m = msg(build.list_reply(MARIA, "r1", "Residencial", to_wamid=BIZ_WAMID, description="Casa"))
    assert m["interactive"] == {
        "type": "list_reply",
        "list_reply": {"id": "r1", "title": "Residencial", "description": "Casa"},
    }
    m = msg(build.list_reply(MARIA, "r2", "Empresa", to_wamid=BIZ_WAMID))
    assert m["interactive"]["list_reply"] == {"id": "r2", "title": "Empresa"}


def test_template_quick_reply_is_type_button(build):
    m = msg(build.template_button(MARIA, "Sim, continuar", to_wamid=BIZ_WAMID, payload="continuar"))
    assert m["type"] == "button" and m["button"] == {
        "payload": "continuar",
        "text": "Sim, continuar",
    }
    assert (
        msg(build.template_button(MARIA, "Agora não", to_wamid=BIZ_WAMID))["button"]["payload"]
        == "Agora não"
    )


@pytest.mark.parametrize(
    "kind,kw,expected",
    [
        (
            "image",
            {"caption": "Conta de luz"},
            {"caption": "Conta de luz", "mime_type": "image/jpeg"},
        ),
        ("audio", {"voice": True}, {"mime_type": "audio/ogg; codecs=opus", "voice": True}),
        ("audio", {}, {"mime_type": "audio/ogg; codecs=opus", "voice": False}),
        ("video", {"caption": "telhado"}, {"caption": "telhado", "mime_type": "video/mp4"}),
        (
            "document",
            {"caption": "fatura", "filename": "fatura.pdf"},
            {"caption": "fatura", "filename": "fatura.pdf", "mime_type": "application/pdf"},
        ),
        ("sticker", {"animated": True}, {"mime_type": "image/webp", "animated": True}),
        ("sticker", {}, {"mime_type": "image/webp", "animated": False}),
    ],
)
def test_media_messages(build, kind, kw, expected):
    digest = sha256_b64(b"bytes")
    m = msg(build.media(MARIA, kind, "1003383421387256", digest, **kw))
    assert m["type"] == kind
    assert m[kind] == {**expected, "sha256": digest, "id": "1003383421387256"} | {
        k: v for k, v in expected.items()
    }
    assert len(digest) == 44 and digest.endswith("=")  # base64 of 32 bytes, not hex


def test_media_caption_only_where_meta_allows(build):
    m = msg(build.media(MARIA, "audio", "1", "x=", caption="ignored"))
    assert "caption" not in m["audio"]
    with pytest.raises(ValueError):
        build.media(MARIA, "gif", "1", "x=")


def test_media_url_when_given(build):
    url = "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1"
    assert msg(build.media(MARIA, "image", "1", "x=", url=url))["image"]["url"] == url


def test_location_full_and_current(build):
    m = msg(
        build.location(
            MARIA, -23.55, -46.63, name="Casa", address="Rua A, 1", url="https://maps.example"
        )
    )
    assert m["location"] == {
        "address": "Rua A, 1",
        "latitude": -23.55,
        "longitude": -46.63,
        "name": "Casa",
        "url": "https://maps.example",
    }
    assert msg(build.location(MARIA, 1.5, 2.5))["location"] == {"latitude": 1.5, "longitude": 2.5}


def test_contacts(build):
    card = {
        "name": {"formatted_name": "Ana B", "first_name": "Ana"},
        "phones": [{"phone": "+55 11 91234-5678", "wa_id": "5511912345678", "type": "CELL"}],
    }
    assert msg(build.contacts(MARIA, [card]))["contacts"] == [card]


def test_reaction_and_its_removal(build):
    assert msg(build.reaction(MARIA, BIZ_WAMID, "👍"))["reaction"] == {
        "message_id": BIZ_WAMID,
        "emoji": "👍",
    }
    assert msg(build.reaction(MARIA, BIZ_WAMID, None))["reaction"] == {"message_id": BIZ_WAMID}
    assert msg(build.reaction(MARIA, BIZ_WAMID, None, empty_on_removal=True))["reaction"] == {
        "message_id": BIZ_WAMID,
        "emoji": "",
    }


def test_order(build):
    items = [
        {"product_retailer_id": "kit-5kwp", "quantity": 1, "item_price": 18990, "currency": "BRL"}
    ]
    m = msg(build.order(MARIA, "194836987003835", items, "Quero este"))
    assert m["order"] == {
        "catalog_id": "194836987003835",
        "text": "Quero este",
        "product_items": items,
    }


def test_unsupported_carries_errors(build):
    m = msg(build.unsupported(MARIA, "edit"))
    assert m["type"] == "unsupported" and m["unsupported"] == {"type": "edit"}
    assert m["errors"][0]["code"] == 131051 and m["errors"][0]["message"] == m["errors"][0]["title"]


def test_value_level_errors_have_neither_messages_nor_statuses(build, business):
    hook = build.value_errors(
        131051, title="Message type unknown", details="Message type is currently not supported."
    )
    value = hook.payload["entry"][0]["changes"][0]["value"]
    assert list(value) == ["messaging_product", "metadata", "errors"]
    assert value["metadata"]["phone_number_id"] == business.phone_number_id
    assert value["errors"] == [
        {
            "code": 131051,
            "title": "Message type unknown",
            "message": "Message type unknown",
            "error_data": {"details": "Message type is currently not supported."},
            "href": ERROR_DOCS,
        }
    ]
    assert hook.message is None and hook.wamid is None
    throttled = build.value_errors(130429).payload
    error = throttled["entry"][0]["changes"][0]["value"]["errors"][0]
    assert (error["title"], error["message"]) == ("Rate limit hit", "Rate limit hit") and error[
        "error_data"
    ]["details"]
    assert hook.signed("secret").headers["X-Hub-Signature-256"].startswith("sha256=")


def test_system_number_change_has_no_contacts(build):
    hook = build.number_changed(MARIA, "5511900000000")
    value = hook.payload["entry"][0]["changes"][0]["value"]
    assert "contacts" not in value
    assert msg(hook)["system"] == {
        "body": "User Maria Souza changed from 5511987654321 to 5511900000000",
        "wa_id": "5511900000000",
        "type": "user_changed_number",
    }


def test_request_welcome_has_no_body_node(build):
    m = msg(build.request_welcome(MARIA))
    assert m["type"] == "request_welcome" and "request_welcome" not in m


def test_context_riders(build, business):
    assert reply_context(business, BIZ_WAMID, forwarded=True) == {
        "from": "15550783881",
        "id": BIZ_WAMID,
        "forwarded": True,
    }
    assert forwarded_context() == {"forwarded": True}
    assert forwarded_context(frequently=True) == {"frequently_forwarded": True}
    m = msg(build.text(MARIA, "olha isso", context=forwarded_context()))
    assert list(m)[0] == "context" and m["context"] == {"forwarded": True}


def test_referral(build):
    ref = referral(body="Energia solar", headline="Fale conosco", welcome_text="Olá!")
    m = msg(build.text(MARIA, "Quero saber mais", referral=ref))
    assert m["referral"]["source_type"] == "ad" and m["referral"]["welcome_message"] == {
        "text": "Olá!"
    }
    assert "image_url" in m["referral"] and "ctwa_clid" in m["referral"]
    video = referral(media_type="video", ctwa_clid=None)
    assert "image_url" not in video and "ctwa_clid" not in video


def test_without_user_ids(business, clock):
    b = InboundBuilder(business, clock, with_user_ids=False)
    hook = b.text(Contact("5511", "X"), "oi")
    value = hook.payload["entry"][0]["changes"][0]["value"]
    assert "user_id" not in value["contacts"][0] and "from_user_id" not in value["messages"][0]
