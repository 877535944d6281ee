"""The load hub routes each capture and each ended execution to the worker that owns the contact."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest

from lab.load.hub import LoadHub
from lab.server import LabServer
from lab.whatsapp.model import CapturedSend, StatusEvent, Verdict

TOKEN = "hub-token"


def _hub() -> tuple[LoadHub, list[tuple[str, str]]]:
    noted: list[tuple[str, str]] = []
    hub = LoadHub(
        token=TOKEN,
        plan={"version": 1},
        note_inbound=lambda wa_id, name: noted.append((wa_id, name)),
    )
    return hub, noted


def _client(hub: LoadHub) -> httpx.AsyncClient:
    """The hub as the lab server mounts it."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=LabServer({"/_load": hub})),
        base_url="http://lab/_load",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )


def _text(seq: int, to: str, body: str, verdict: Verdict | None = None) -> CapturedSend:
    return CapturedSend(
        seq,
        f"wamid.{seq}",
        to,
        "1065",
        "text",
        {"type": "text", "text": {"body": body}},
        verdict or Verdict(True),
        {},
        0.0,
    )


def _ended(execution_id: str, wa_id: str | None, state: str = "SUCCESS") -> SimpleNamespace:
    body = {
        "entry": [
            {
                "changes": [
                    {"value": {"messages": [{"from": wa_id, "id": f"wamid.in.{execution_id}"}]}}
                ]
            }
        ]
    }
    trigger = (
        {"variables": {"body": body}}
        if wa_id
        else {"variables": {"body": {"entry": [{"changes": [{"value": {"statuses": [{}]}}]}]}}}
    )
    execution = SimpleNamespace(
        id=execution_id, parent_id=None, state=SimpleNamespace(current=state), trigger=trigger
    )
    return SimpleNamespace(kind="execution", execution=execution)


async def test_each_worker_gets_only_its_contacts_replies_and_executions():
    hub, noted = _hub()
    async with _client(hub) as http:
        for owner, wa_id in (("w1", "5500100000001"), ("w2", "5500200000001")):
            r = await http.post(
                "/contacts", json={"owner": owner, "contacts": [{"wa_id": wa_id, "name": "Ana"}]}
            )
            assert r.status_code == 200
        assert noted == [
            ("5500100000001", "Ana"),
            ("5500200000001", "Ana"),
        ]  # 24-hour windows opened
        hub.on_capture(_text(1, "5500100000001", "Olá, w1"), None)
        hub.on_capture(_text(2, "5500200000001", "Olá, w2"), None)
        hub.on_capture(_text(3, "5599999999999", "nobody's"), None)
        hub.on_engine(_ended("x1", "5500100000001"))
        hub.on_engine(_ended("s1", None))  # a status webhook's execution: nobody's turn
        first = (await http.post("/poll/w1", json={"after": 0, "wait": 1})).json()
        assert [e[0] for e in first["events"]] == ["r", "x"]
        assert first["events"][0][6] == "Olá, w1" and first["events"][1][2:] == [
            "x1",
            "SUCCESS",
            "wamid.in.x1",
        ]
        assert first["next"] == 2 and first["stop"] is None
        second = (await http.post("/poll/w2", json={"after": 0, "wait": 1})).json()
        assert [e[6] for e in second["events"]] == ["Olá, w2"]
        empty = (await http.post("/poll/w1", json={"after": 2, "wait": 0.05})).json()
        assert empty["events"] == [] and empty["next"] == 2
    summary = hub.summary()
    assert (
        summary["captures"] == 3
        and summary["contacts"] == 2
        and summary["executions_ended"] == {"SUCCESS": 2}
    )


async def test_watched_executions_on_a_real_kestra_and_meta_errors():
    hub, _ = _hub()
    async with _client(hub) as http:
        await http.post("/contacts", json={"owner": "w1", "contacts": [{"wa_id": "5500100000001"}]})
        await http.post(
            "/watch", json={"owner": "w1", "watch": [["ex-9", "5500100000001", "wamid.in.9"]]}
        )
        assert hub.watched_pending() == ["ex-9"]
        hub.ended("ex-9", "FAILED")
        hub.on_capture(
            _text(4, "5500100000001", "", Verdict(False, 130429, "Rate limit hit", None, 400)), None
        )
        failed = _text(5, "5500100000001", "late")
        hub.on_capture(failed, StatusEvent("failed", 0.0, {"code": 131047}))
        events = (await http.post("/poll/w1", json={"after": 0, "wait": 1})).json()["events"]
        assert events[0] == ["x", "5500100000001", "ex-9", "FAILED", "wamid.in.9"]
        assert events[1][3] is False and events[1][4] == 130429
        hub.stop("the LLM cost cap of $1.00 was reached")
        assert (
            (await http.post("/poll/w1", json={"after": 2, "wait": 5}))
            .json()["stop"]
            .startswith("the LLM cost")
        )
    assert hub.summary()["meta_errors"] == {"130429": 1, "131047": 1}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
async def test_the_hub_needs_the_bearer_token(headers):
    hub, _ = _hub()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=LabServer({"/_load": hub})), base_url="http://lab/_load"
    ) as http:
        r = await http.get("/plan", headers=headers)
    assert r.status_code == 401 and "bearer token" in r.json()["error"]
