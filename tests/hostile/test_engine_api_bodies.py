"""The embedded Kestra API bounds what it reads: a body past 10 MB is a 413 before it is buffered,
and a webhook body no execution could carry (nested ~255 deep, a lone surrogate) is a 400 before
any execution starts, never a 500 after the flow has run."""

from __future__ import annotations

import httpx
import pytest
from loopback import LoopbackServer

from lab.kestra.engine.api import MAX_REQUEST_BYTES, KestraApi
from lab.kestra.engine.engine import Engine

FLOW = """id: hook
namespace: company.team
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ trigger.body }}"
triggers:
  - id: webhook
    type: io.kestra.plugin.core.trigger.Webhook
    key: a-long-random-webhook-key
"""
HOOK = "/api/v1/main/executions/webhook/company.team/hook/a-long-random-webhook-key"
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def served():
    engine = Engine()
    engine.deploy(FLOW)
    with (
        LoopbackServer(KestraApi(engine)) as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):
        yield engine, http


def _nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (_nested(255), "nests deeper than 128 levels"),
        (b"[" * 1000 + b"]" * 1000, "nests deeper than 128 levels"),
        (b'{"entry": [{"text": "\\ud800"}]}', "cannot be carried by an execution"),
        (b'{"x": NaN, "n": ' + b"9" * 30 + b"}", "cannot be carried by an execution"),
    ],
    ids=["objects-255", "lists-1000", "lone-surrogate", "integer-past-64-bits"],
)
def test_a_webhook_body_no_execution_can_carry_is_a_400_before_any_work(served, body, words):
    engine, http = served
    before = len(engine.executions())
    answer = http.post(HOOK, content=body, headers=JSON)
    assert answer.status_code == 400, answer.text
    assert words in answer.json()["message"]
    assert len(engine.executions()) == before
    assert http.get("/api/v1/main/flows/search").status_code == 200


def test_ordinary_webhooks_still_run(served):
    engine, http = served
    answer = http.post(
        HOOK, json={"object": "whatsapp_business_account", "entry": [{"changes": [{"value": {}}]}]}
    )
    assert answer.status_code == 200 and answer.json()["id"]
    assert http.post(HOOK, content=_nested(100), headers=JSON).status_code == 200


def test_a_body_past_10_mb_is_refused_from_its_content_length(served):
    engine, http = served
    before = len(engine.executions())
    answer = http.post(HOOK, content=b"x" * (MAX_REQUEST_BYTES + 1), headers=JSON)
    assert answer.status_code == 413
    assert f"maximum allowed content length [{MAX_REQUEST_BYTES}]" in answer.json()["message"]
    assert len(engine.executions()) == before


def test_a_streamed_body_past_10_mb_is_refused_without_a_content_length(served):
    engine, http = served

    def chunks():
        for _ in range(12):
            yield b"x" * (1024 * 1024)

    answer = http.post(HOOK, content=chunks(), headers=JSON)
    assert answer.status_code == 413
    flows = http.post(
        "/api/v1/main/flows", content=chunks(), headers={"content-type": "application/x-yaml"}
    )
    assert flows.status_code == 413
