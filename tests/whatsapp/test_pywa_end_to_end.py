"""End to end on loopback: a pywa client sends through `walab sandbox`-style serving, the sandbox
posts signed status webhooks to a pywa bot (signature check on), and `walab sandbox --handshake`
verifies that bot's webhook like Meta does."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime, timezone

import httpx
from pywa import WhatsApp, handlers
from starlette.applications import Starlette

from lab.clock import VirtualClock
from lab.config import Business
from lab.whatsapp.sandbox import GraphSandbox

from .conftest import MARIA, ROOT, SECRET, TOKEN, LiveServer, free_port
from .test_pywa_client import ToSandbox

VT = "verify-e2e"


def pywa_bot():
    app = Starlette()
    business = Business()
    bot = WhatsApp(phone_id=business.phone_number_id, token="unused", server=app, verify_token=VT,
                   app_secret=SECRET, waba_id=business.waba_id)
    statuses: list = []
    bot.add_handlers(handlers.MessageStatusHandler(lambda _c, s: statuses.append(s)))
    return app, statuses


def test_statuses_reach_a_pywa_bot_in_order(registry):
    app, statuses = pywa_bot()
    with LiveServer(app) as bot:
        sandbox = GraphSandbox(access_token=TOKEN, app_secret=SECRET, business=Business(), templates=registry,
                               clock=VirtualClock(datetime(2026, 11, 27, 12, tzinfo=timezone.utc)),
                               webhook_url=f"{bot.url}/")
        sandbox.note_inbound(MARIA.wa_id, name=MARIA.name)
        with LiveServer(sandbox) as graph:
            wa = WhatsApp(phone_id="106540352242922", token=TOKEN, session=httpx.Client(transport=ToSandbox(graph.port)))
            sent = wa.send_message(MARIA.wa_id, "Sua proposta está pronta ✅")
            deadline = time.time() + 10
            while len(statuses) < 2 and time.time() < deadline:
                time.sleep(0.02)
            sandbox.read(MARIA.wa_id)  # from this thread: the read status waits for the next post
            wa.send_message(MARIA.wa_id, "Posso ajudar em algo mais?")
            while len(statuses) < 5 and time.time() < deadline:
                time.sleep(0.02)
    first = [s for s in statuses if s.id == sent.id]
    assert [s.status.value for s in first] == ["sent", "delivered", "read"]
    assert first[0].pricing.category.value == "service" and first[0].pricing.billable is False
    assert first[0].from_user.wa_id == MARIA.wa_id


def test_walab_sandbox_handshake_against_a_pywa_bot():
    app, _ = pywa_bot()
    with LiveServer(app) as bot:
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "lab", "sandbox", "--port", str(port), "--webhook-url", f"{bot.url}/",
                                 "--verify-token", VT, "--app-secret", SECRET, "--access-token", TOKEN, "--handshake"],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            lines = []
            deadline = time.time() + 15
            while time.time() < deadline:
                line = proc.stdout.readline()
                lines.append(line)
                if "handshake:" in line:
                    break
        finally:
            proc.terminate()
            proc.communicate(timeout=10)
    assert any("handshake: ok (HTTP 200)" in line for line in lines), lines
    assert not any(VT in line or SECRET in line or TOKEN in line for line in lines)
