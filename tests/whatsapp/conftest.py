"""Fixtures for the WhatsApp Cloud API tests: a frozen clock, the business, a sandbox in-process
(httpx ASGITransport) with a recording webhook sink, and a sandbox on a real loopback port."""

from __future__ import annotations

import socket
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest

from lab.clock import VirtualClock
from lab.config import Business, Contact
from lab.whatsapp.sandbox import GraphSandbox
from lab.whatsapp.signing import verify
from lab.whatsapp.templates import TemplateRegistry

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "EAAWtest-token-0123456789"
SECRET = "app-secret-0123456789abcdef"
MARIA = Contact("5511987654321", "Maria Souza")
SEND = "/v23.0/106540352242922/messages"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def business() -> Business:
    return Business()


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc))


@pytest.fixture(scope="session")
def registry() -> TemplateRegistry:
    return TemplateRegistry.load(ROOT)


class Sink:
    """A bot's webhook endpoint that records what it receives (and checks the signature)."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.posts: list[tuple[bytes, dict[str, str]]] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        body, more = b"", True
        while more:
            msg = await receive()
            body += msg.get("body", b"")
            more = msg.get("more_body", False)
        self.posts.append((body, {k.decode(): v.decode() for k, v in scope["headers"]}))
        await send({"type": "http.response.start", "status": self.status, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    def statuses(self) -> list[dict]:
        import json

        out = []
        for body, headers in self.posts:
            assert verify(body, headers["x-hub-signature-256"], SECRET)
            for entry in json.loads(body)["entry"]:
                for change in entry["changes"]:
                    out.extend(change["value"].get("statuses", []))
        return out


@pytest.fixture
def sink() -> Sink:
    return Sink()


@pytest.fixture
def make_sandbox(business, clock, registry, sink):
    made = []

    def make(**kw) -> GraphSandbox:
        kw.setdefault("webhook_url", "http://bot.test/webhook")
        kw.setdefault("http", httpx.AsyncClient(transport=httpx.ASGITransport(sink)))
        sb = GraphSandbox(
            access_token=TOKEN,
            app_secret=SECRET,
            business=business,
            clock=clock,
            templates=registry,
            **kw,
        )
        made.append(sb)
        return sb

    return make


@pytest.fixture
def sandbox(make_sandbox) -> GraphSandbox:
    sb = make_sandbox()
    sb.note_inbound(MARIA.wa_id, name=MARIA.name)
    return sb


@pytest.fixture
async def graph(sandbox):
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(sandbox), base_url="http://graph.test"
    ) as client:
        yield client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
