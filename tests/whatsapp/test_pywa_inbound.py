"""Independent check: pywa (a real WhatsApp bot library) receives every inbound webhook the
builders make, through its own Starlette webhook routes, with its signature check on."""

from __future__ import annotations

import logging

import httpx
import pytest
from pywa import WhatsApp, handlers
from pywa import types as pt
from starlette.applications import Starlette

from lab.whatsapp.inbound import InboundBuilder, forwarded_context, referral
from lab.whatsapp.signing import SignedWebhook, WebhookPoster
from lab.whatsapp.statuses import Pricing, status_object, status_webhook

from .conftest import MARIA, SECRET

VT = "verify-token-123"
BIZ = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjlCQTUwMjAwMDAwMDAwMDAwMQA="


class PywaBot:
    """A pywa bot on a Starlette app, recording every typed update its handlers receive."""

    def __init__(self, business) -> None:
        self.app = Starlette()
        self.wa = WhatsApp(
            phone_id=business.phone_number_id,
            token="unused",
            server=self.app,
            verify_token=VT,
            app_secret=SECRET,
            waba_id=business.waba_id,
        )
        self.updates: list = []
        record = lambda _client, update: self.updates.append(update)  # noqa: E731
        self.wa.add_handlers(
            handlers.MessageHandler(record),
            handlers.CallbackButtonHandler(record),
            handlers.CallbackSelectionHandler(record),
            handlers.MessageStatusHandler(record),
            handlers.PhoneNumberChangeHandler(record),
        )


@pytest.fixture
async def bot(business):
    b = PywaBot(business)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(b.app)) as client:
        b.poster = WebhookPoster("http://bot.test/", client=client)
        yield b


@pytest.fixture
def build(business, clock):
    return InboundBuilder(business, clock)


async def deliver(bot, hook) -> object:
    signed = hook.signed(SECRET) if hasattr(hook, "signed") else hook
    before = len(bot.updates)
    d = await bot.poster.post(signed.body, signed.headers)
    assert d.status_code == 200, d.text
    assert len(bot.updates) == before + 1, "pywa did not parse the update (see its log)"
    return bot.updates[-1]


async def test_handshake(bot):
    good = await bot.poster.verify_handshake(VT, challenge="1158201444")
    assert (good.status_code, good.text) == (200, "1158201444")
    assert (await bot.poster.verify_handshake("wrong")).status_code == 403


async def test_text_with_accents_and_emoji(bot, build):
    m = await deliver(bot, build.text(MARIA, "Olá! Quero energia solar ☀️ pra minha casa, João 🎉"))
    assert isinstance(m, pt.Message) and m.type == pt.MessageType.TEXT
    assert m.text == "Olá! Quero energia solar ☀️ pra minha casa, João 🎉"
    assert m.from_user.wa_id == MARIA.wa_id and m.from_user.name == "Maria Souza"
    assert m.from_user.bsuid.startswith("BR.")


async def test_signature_is_enforced(bot, build):
    hook = build.text(MARIA, "ação").signed(SECRET)
    assert (
        await bot.poster.post(hook.body, {"Content-Type": "application/json"})
    ).status_code == 401
    forged = SignedWebhook.of(build.text(MARIA, "ação").payload, "another-secret")
    assert (await bot.poster.post(forged.body, forged.headers)).status_code == 403
    reserialised = hook.body.decode(
        "unicode_escape"
    ).encode()  # raw UTF-8 instead of the signed ASCII bytes
    assert (await bot.poster.post(reserialised, hook.headers)).status_code == 403


async def test_button_and_list_replies(bot, build):
    b = await deliver(bot, build.button_reply(MARIA, "sim", "Sim, quero", to_wamid=BIZ))
    assert isinstance(b, pt.CallbackButton) and (b.data, b.title) == ("sim", "Sim, quero")
    assert b.reply_to_message.id == BIZ
    s = await deliver(
        bot,
        build.list_reply(
            MARIA, "casa", "Residencial", to_wamid=BIZ, description="Conta até R$ 500"
        ),
    )
    assert isinstance(s, pt.CallbackSelection) and (s.data, s.title, s.description) == (
        "casa",
        "Residencial",
        "Conta até R$ 500",
    )
    q = await deliver(
        bot, build.template_button(MARIA, "Sim, continuar", to_wamid=BIZ, payload="continuar")
    )
    assert isinstance(q, pt.CallbackButton) and (q.data, q.title) == ("continuar", "Sim, continuar")


@pytest.mark.parametrize(
    "kind,kw,attr",
    [
        ("image", {"caption": "Minha conta de luz"}, "image"),
        ("audio", {"voice": True}, "audio"),
        ("video", {"caption": "telhado"}, "video"),
        ("document", {"caption": "fatura", "filename": "fatura.pdf"}, "document"),
        ("sticker", {"animated": True}, "sticker"),
    ],
)
async def test_media(bot, build, kind, kw, attr):
    m = await deliver(
        bot,
        build.media(
            MARIA, kind, "1003383421387256", "SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=", **kw
        ),
    )
    media = getattr(m, attr)
    assert (
        media.id == "1003383421387256"
        and media.sha256 == "SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI="
    )
    if "caption" in kw:
        assert m.caption == kw["caption"]
    if kind == "audio":
        assert media.voice is True
    if kind == "sticker":
        assert media.animated is True


async def test_location_contacts_reaction_order(bot, build):
    loc = await deliver(
        bot, build.location(MARIA, -23.5505, -46.6333, name="Casa", address="Rua Augusta, 100")
    )
    assert (loc.location.latitude, loc.location.name) == (-23.5505, "Casa")
    card = {
        "name": {"formatted_name": "Ana Beatriz", "first_name": "Ana"},
        "phones": [{"phone": "+55 11 91234-5678", "wa_id": "5511912345678", "type": "CELL"}],
    }
    c = await deliver(bot, build.contacts(MARIA, [card]))
    assert c.contacts[0].name.formatted_name == "Ana Beatriz"
    r = await deliver(bot, build.reaction(MARIA, BIZ, "😮"))
    assert (r.reaction.emoji, r.reaction.message_id) == ("😮", BIZ)
    removed = await deliver(bot, build.reaction(MARIA, BIZ, None))
    assert removed.reaction.is_removed
    o = await deliver(
        bot,
        build.order(
            MARIA,
            "194836987003835",
            [{"product_retailer_id": "kit", "quantity": 2, "item_price": 30, "currency": "BRL"}],
            "Quero",
        ),
    )
    assert o.order.catalog_id == "194836987003835" and o.order.products[0].quantity == 2


async def test_unsupported_system_welcome(bot, build):
    u = await deliver(bot, build.unsupported(MARIA, "poll_creation"))
    assert u.type == pt.MessageType.UNSUPPORTED and u.error.code == 131051
    change = await deliver(bot, build.number_changed(MARIA, "5511900000000"))
    assert isinstance(change, pt.PhoneNumberChange) and change.new_wa_id == "5511900000000"
    w = await deliver(bot, build.request_welcome(MARIA))
    assert w.type == pt.MessageType.REQUEST_WELCOME


async def test_context_forwarded_and_referral(bot, build):
    f = await deliver(bot, build.text(MARIA, "olha", context=forwarded_context()))
    assert f.forwarded and not f.forwarded_many_times
    ff = await deliver(bot, build.text(MARIA, "olha", context=forwarded_context(frequently=True)))
    assert ff.forwarded_many_times
    ad = await deliver(
        bot,
        build.text(MARIA, "Vi o anúncio", referral=referral(body="Energia solar", headline="Fale")),
    )
    assert ad.referral.source_type == "ad" and ad.referral.body == "Energia solar"


@pytest.mark.parametrize("status", ["sent", "delivered", "read", "played"])
async def test_statuses(bot, business, status):
    pricing = None if status in ("read", "played") else Pricing("utility", "regular", True)
    hook = status_webhook(
        business,
        [status_object(BIZ, status, MARIA.wa_id, "1795780800", pricing=pricing)],
        [(MARIA.wa_id, MARIA.name)],
    )
    s = await deliver(bot, SignedWebhook.of(hook, SECRET))
    assert isinstance(s, pt.MessageStatus) and s.status.value == status and s.id == BIZ
    if pricing:
        assert s.pricing.billable is True and s.pricing.category.value == "utility"


async def test_failed_status(bot, business, caplog):
    from lab.whatsapp.errors import status_error

    obj = status_object(BIZ, "failed", MARIA.wa_id, "1795780800", errors=[status_error(131047)])
    # pywa 4.5 reads contacts[0] even for failed statuses, which Meta sends without contacts[]:
    # the faithful payload makes pywa log a construction error (a pywa bug, reference §11) ...
    with caplog.at_level(logging.ERROR, logger="pywa"):
        hook = SignedWebhook.of(status_webhook(business, [obj], []), SECRET)
        assert (await bot.poster.post(hook.body, hook.headers)).status_code == 200
    assert "KeyError: 'contacts'" in caplog.text
    # ... and with contacts added, pywa parses the typed error.
    s = await deliver(
        bot, SignedWebhook.of(status_webhook(business, [obj], [(MARIA.wa_id, MARIA.name)]), SECRET)
    )
    assert s.status.value == "failed" and s.error.code == 131047
    from pywa.errors import ReEngagementMessage

    assert isinstance(s.error, ReEngagementMessage)
