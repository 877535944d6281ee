"""The LLM gateway answers every malformed chat or embeddings body with OpenAI's 400 error shape,
naming the field in `param`, never a 500."""

from __future__ import annotations

import httpx
import pytest
from loopback import LoopbackServer

from lab.llm.gateway import LLMGateway
from lab.llm.scripted import ScriptedReplies
from lab.server import LabServer

KEY = "gateway-key-0123456789"
MALFORMED = [
    (
        {"model": "m", "messages": [{"role": "user", "content": "oi"}], "stream_options": []},
        "stream_options",
    ),
    ({"model": "m", "messages": [1]}, "messages[0]"),
    ({"model": "m", "messages": [{"role": "wizard", "content": "oi"}]}, "messages[0].role"),
    ({"model": "m", "messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
    (
        {"model": "m", "messages": [{"role": "user", "content": [{"type": "text", "text": 1}]}]},
        "messages[0].content[0].text",
    ),
    (
        {"model": "m", "messages": [{"role": "assistant", "tool_calls": [{"function": []}]}]},
        "messages[0].tool_calls[0]",
    ),
    ({"model": ["m"], "messages": [{"role": "user", "content": "oi"}]}, "model"),
    (
        {"model": "m", "messages": [{"role": "user", "content": "oi"}], "temperature": "hot"},
        "temperature",
    ),
    (
        {
            "model": "m",
            "messages": [{"role": "user", "content": "oi"}],
            "tools": [{"type": "function"}],
        },
        "tools[0].function",
    ),
    (
        {"model": "m", "messages": [{"role": "user", "content": "oi"}], "stream": {"yes": 1}},
        "stream",
    ),
]


@pytest.fixture(scope="module", params=["scripted", "replay"])
def gateway(request):
    gw = LLMGateway(mode=request.param, key=KEY)
    gw.script(ScriptedReplies(["Olá!"] * 50))
    with (
        LoopbackServer(LabServer({"/llm": gw.app})) as served,
        httpx.Client(
            base_url=served.url + "/llm/v1", headers={"Authorization": f"Bearer {KEY}"}, timeout=10
        ) as http,
    ):
        yield http


@pytest.mark.parametrize(("body", "param"), MALFORMED, ids=[p for _, p in MALFORMED])
def test_malformed_chat_bodies_get_openais_400(gateway, body, param):
    answer = gateway.post("/chat/completions", json=body)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param
    assert error["message"].startswith("Invalid request:")


@pytest.mark.parametrize(
    "body",
    [
        {"model": "e", "input": [[1, "x"]]},
        {"model": "e", "input": 5},
        {"model": "e", "input": "oi", "dimensions": "big"},
    ],
)
def test_malformed_embeddings_bodies_get_openais_400(gateway, body):
    answer = gateway.post("/embeddings", json=body)
    assert answer.status_code == 400 and answer.json()["error"]["type"] == "invalid_request_error"
