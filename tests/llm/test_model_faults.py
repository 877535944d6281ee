"""Model faults armed on the gateway (a scenario's `fault: {model_*: N}`, a load plan's draw): the
next chat calls fail as OpenAI does, or answer late, in every mode; metered like any call."""

from __future__ import annotations

import time

import openai
import pytest

from lab.errors import ConfigError
from lab.llm.faults import ModelFaults
from lab.llm.scripted import ScriptedReplies

from .conftest import GATEWAY_KEY, make_gateway


def client(lab) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=lab.base(), api_key=GATEWAY_KEY, max_retries=0)


HI = [{"role": "user", "content": "Oi"}]


async def test_rate_limit_then_server_error_then_the_reply(serve_gateway):
    gateway = make_gateway("scripted")
    gateway.script(ScriptedReplies(["Olá!"], source="test"))
    gateway.faults.rate_limit(1)
    gateway.faults.server_error(1)
    lab = serve_gateway(gateway)
    with pytest.raises(openai.RateLimitError) as limited:
        await client(lab).chat.completions.create(model="gpt-4o-mini", messages=HI)
    assert limited.value.status_code == 429 and limited.value.code == "rate_limit_exceeded"
    with pytest.raises(openai.InternalServerError) as failed:
        await client(lab).chat.completions.create(model="gpt-4o-mini", messages=HI)
    assert failed.value.body["type"] == "server_error"
    reply = await client(lab).chat.completions.create(model="gpt-4o-mini", messages=HI)
    assert reply.choices[0].message.content == "Olá!"  # the script was not consumed by faults
    assert [c.status for c in gateway.calls()] == [429, 500, 200]


async def test_a_slow_call_answers_late(serve_gateway):
    gateway = make_gateway("scripted")
    gateway.script(ScriptedReplies(["Olá!"], source="test"))
    gateway.faults.slow(1, 0.3)
    lab = serve_gateway(gateway)
    t0 = time.perf_counter()
    await client(lab).chat.completions.create(model="gpt-4o-mini", messages=HI)
    assert time.perf_counter() - t0 >= 0.3
    assert gateway.faults.take() is None  # one call only


def test_the_script_refuses_a_wrong_fault():
    with pytest.raises(ValueError, match="unknown model fault"):
        ModelFaults().arm("timeout", 1)
    with pytest.raises(ValueError, match="takes no 'seconds'"):
        ModelFaults().arm("rate_limit", 1, seconds=2)
    with pytest.raises(ConfigError):
        ModelFaults().slow(1, 10_000)
