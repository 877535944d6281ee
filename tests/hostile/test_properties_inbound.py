"""Property: every inbound webhook the builders make round-trips through the parsers that read it:
the signature verifies over the exact bytes, the embedded engine's Webhook trigger hands the flow
the values the user sent (read with the Pebble paths the bundled flows use), and pywa, an
independent WhatsApp library, reads the same text and sender."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import httpx
from hypothesis import given
from hypothesis import strategies as st
from pywa import WhatsApp, handlers
from pywa import types as pt
from starlette.applications import Starlette

from lab.clock import VirtualClock
from lab.config import Business, Contact
from lab.kestra.engine import render
from lab.kestra.engine.webhooks import trigger_variables
from lab.whatsapp.inbound import InboundBuilder
from lab.whatsapp.signing import WebhookPoster, verify

from .strategies import BOUNDED, TEXT

SECRET = "app-secret-0123456789abcdef"
BUSINESS = Business()
BUILD = InboundBuilder(BUSINESS, VirtualClock(datetime(2026, 3, 2, 12, tzinfo=timezone.utc)))
WA_ID = st.from_regex(r"[1-9][0-9]{9,14}", fullmatch=True)
NAME = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=30)
MESSAGE = "trigger.body.entry[0].changes[0].value.messages[0]"


def _flow_sees(signed, template: str) -> str:
    variables = trigger_variables(signed.body, signed.headers, {})
    return render.render_str(template, {"trigger": variables})


@BOUNDED
@given(wa_id=WA_ID, name=NAME, text=TEXT.filter(bool))
def test_text_round_trips_through_the_signature_and_the_flow(wa_id, name, text):
    signed = BUILD.text(Contact(wa_id, name), text).signed(SECRET)
    assert signed.body.isascii()  # serialised once, ensure_ascii, as Meta does
    assert verify(signed.body, signed.headers["X-Hub-Signature-256"], SECRET)
    variables = trigger_variables(signed.body, signed.headers, {})
    value = variables["body"]["entry"][0]["changes"][0]["value"]
    assert value["messages"][0]["text"]["body"] == text and value["messages"][0]["from"] == wa_id
    assert value["contacts"][0]["profile"]["name"] == name
    assert _flow_sees(signed, "{{ " + MESSAGE + ".from }}") == wa_id


@BOUNDED
@given(reply_id=TEXT.filter(bool), title=TEXT.filter(bool), row=st.booleans())
def test_button_and_list_replies_round_trip(reply_id, title, row):
    contact = Contact("5511987654321", "Maria Souza")
    to = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjlCQTUwMjAwMDAwMDAwMDAwMQA="
    hook = (
        BUILD.list_reply(contact, reply_id, title, to_wamid=to)
        if row
        else BUILD.button_reply(contact, reply_id, title, to_wamid=to)
    )
    interactive = trigger_variables(hook.signed(SECRET).body, {}, {})["body"]["entry"][0][
        "changes"
    ][0]["value"]["messages"][0]["interactive"]
    chosen = interactive["list_reply" if row else "button_reply"]
    assert (chosen["id"], chosen["title"]) == (reply_id, title)


@BOUNDED
@given(lat=st.floats(-90, 90), lon=st.floats(-180, 180), name=st.none() | TEXT)
def test_locations_round_trip(lat, lon, name):
    hook = BUILD.location(Contact("5511987654321", "Maria"), lat, lon, name=name)
    location = trigger_variables(hook.signed(SECRET).body, {}, {})["body"]["entry"][0]["changes"][
        0
    ]["value"]["messages"][0]["location"]
    assert (location["latitude"], location["longitude"], location.get("name")) == (lat, lon, name)


class _PywaBot:
    def __init__(self) -> None:
        self.app = Starlette()
        self.wa = WhatsApp(
            phone_id=BUSINESS.phone_number_id,
            token="unused",
            server=self.app,
            verify_token="verify-token-123",
            app_secret=SECRET,
            waba_id=BUSINESS.waba_id,
        )
        self.updates: list = []
        self.wa.add_handlers(
            handlers.MessageHandler(lambda _client, update: self.updates.append(update))
        )


BOT = _PywaBot()


@BOUNDED
@given(wa_id=WA_ID, name=NAME, text=TEXT.filter(lambda t: t.strip()))
def test_pywa_reads_the_text_and_sender_the_builder_wrote(wa_id, name, text):
    signed = BUILD.text(Contact(wa_id, name), text).signed(SECRET)

    async def deliver() -> object:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(BOT.app)) as client:
            return await WebhookPoster("http://bot.test/", client=client).post(
                signed.body, signed.headers
            )

    before = len(BOT.updates)
    assert asyncio.run(deliver()).status_code == 200
    message = BOT.updates[before]
    assert isinstance(message, pt.Message) and message.text == text
    assert (message.from_user.wa_id, message.from_user.name) == (wa_id, name)
