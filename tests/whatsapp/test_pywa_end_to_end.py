"""End to end on loopback: a pywa client sends through `walab sandbox`-style serving, the sandbox
posts signed status webhooks to a pywa bot (signature check on), and `walab sandbox --handshake`
verifies that bot's webhook like Meta does."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timezone

import httpx
from loopback import LoopbackServer
from pywa import WhatsApp, handlers
from starlette.applications import Starlette
from waiting import PATIENCE, eventually_sync

from lab.clock import VirtualClock
from lab.config import Business
from lab.whatsapp.sandbox import GraphSandbox

from .conftest import MARIA, ROOT, SECRET, TOKEN, free_port
from .test_pywa_client import ToSandbox

VT = "verify-e2e"


def pywa_bot():
    app = Starlette()
    business = Business()
    bot = WhatsApp(
        phone_id=business.phone_number_id,
        token="unused",
        server=app,
        verify_token=VT,
        app_secret=SECRET,
        waba_id=business.waba_id,
    )
    statuses: list = []
    bot.add_handlers(handlers.MessageStatusHandler(lambda _c, s: statuses.append(s)))
    return app, statuses


class Arrivals:
    """In front of the bot: the (wamid, status) pairs of each webhook POST, in the order they arrive.

    pywa answers 200 at once and runs its handlers in a thread pool, so the order its handlers run
    in is not the order the webhooks came in: the order is read here, at the bot's door."""

    def __init__(self, app) -> None:
        self.app = app
        self.webhooks: list[list[tuple[str, str]]] = []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        messages = [await receive()]
        while messages[-1].get("more_body"):
            messages.append(await receive())
        body = json.loads(b"".join(m.get("body", b"") for m in messages))
        self.webhooks.append(
            [
                (s["id"], s["status"])
                for e in body["entry"]
                for c in e["changes"]
                for s in c["value"].get("statuses", [])
            ]
        )

        async def replay():
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    @property
    def statuses(self) -> list[tuple[str, str]]:
        return [pair for webhook in self.webhooks for pair in webhook]


def test_statuses_reach_a_pywa_bot_in_order(registry):
    app, handled = pywa_bot()
    door = Arrivals(app)
    with LoopbackServer(door) as bot:
        sandbox = GraphSandbox(
            access_token=TOKEN,
            app_secret=SECRET,
            business=Business(),
            templates=registry,
            clock=VirtualClock(datetime(2026, 11, 27, 12, tzinfo=timezone.utc)),
            webhook_url=f"{bot.url}/",
        )
        sandbox.note_inbound(MARIA.wa_id, name=MARIA.name)
        with LoopbackServer(sandbox) as graph:
            wa = WhatsApp(
                phone_id="106540352242922",
                token=TOKEN,
                session=httpx.Client(transport=ToSandbox(graph.port)),
            )
            sent = wa.send_message(MARIA.wa_id, "Sua proposta está pronta ✅")
            eventually_sync(lambda: len(door.statuses) >= 2, "sent and delivered at the bot")
            # Maria opens the chat, through the sandbox's control endpoint (on the sandbox's own loop)
            read = httpx.post(
                f"{graph.url}/_lab/read",
                json={"wa_id": MARIA.wa_id},
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
            assert read.json() == {"read": 1}
            again = wa.send_message(MARIA.wa_id, "Posso ajudar em algo mais?")
            eventually_sync(lambda: len(handled) >= 5, "pywa to handle five statuses")
    assert door.statuses == [
        (sent.id, "sent"),
        (sent.id, "delivered"),
        (sent.id, "read"),
        (again.id, "sent"),
        (again.id, "delivered"),
    ]
    assert [len(webhook) for webhook in door.webhooks] == [
        1
    ] * 5  # at chat pace one status a webhook
    assert sorted((s.id, s.status.value) for s in handled) == sorted(
        door.statuses
    )  # signatures checked, all parsed
    first = next(s for s in handled if s.id == sent.id and s.status.value == "sent")
    assert first.pricing.category.value == "service" and first.pricing.billable is False
    assert first.from_user.wa_id == MARIA.wa_id


def test_walab_sandbox_handshake_against_a_pywa_bot():
    app, _ = pywa_bot()
    with LoopbackServer(app) as bot:
        port = free_port()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lab",
                "sandbox",
                "--port",
                str(port),
                "--webhook-url",
                f"{bot.url}/",
                "--verify-token",
                VT,
                "--app-secret",
                SECRET,
                "--access-token",
                TOKEN,
                "--handshake",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            lines = []
            deadline = time.time() + PATIENCE
            while time.time() < deadline:
                line = proc.stdout.readline()
                lines.append(line)
                if "handshake:" in line or not line:  # the line, or the process ended
                    break
        finally:
            proc.terminate()
            proc.communicate(timeout=10)
    assert any("handshake: ok (HTTP 200)" in line for line in lines), lines
    assert not any(VT in line or SECRET in line or TOKEN in line for line in lines)
