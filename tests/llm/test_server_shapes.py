"""What OpenAI-compatible servers other than OpenAI send, met by the gateway in live and record mode:
LiteLLM's usage chunk with one empty choice, an error event inside a 200 stream, all-zero usage,
a proxy's model alias with its own cost, string error codes, tool calls ending with `stop`, and a
key refused with LiteLLM's 400 "No connected db." (the stub answers in those shapes; the same
cases run against LiteLLM's real proxy in test_litellm_proxy.py)."""

from __future__ import annotations

import httpx
import openai
import pytest

from lab.llm import prices
from lab.llm.cassette import CassetteStore

from .conftest import GATEWAY_KEY, make_gateway

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "buscar_plano",
            "description": "Busca um plano",
            "parameters": {"type": "object", "properties": {"plano": {"type": "string"}}},
        },
    }
]


def client(lab) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=lab.base(), api_key=GATEWAY_KEY, max_retries=0)


def said(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


async def test_a_usage_chunk_with_one_empty_choice_is_kept_from_a_client_that_did_not_ask(
    upstream, serve_gateway
):
    lab = serve_gateway(make_gateway("live", upstream))
    stream = await client(lab).chat.completions.create(
        model="gpt-4o-mini", messages=said("olá"), stream=True
    )
    chunks = [c async for c in stream]
    assert chunks and not any(c.usage for c in chunks)
    (call,) = lab.gateway.calls()
    assert (call.input_tokens, call.output_tokens, call.estimated) == (
        11,
        7,
        False,
    )  # metered from it all the same


async def test_the_usage_chunk_still_reaches_a_client_that_asked(
    upstream, serve_gateway, cassette_path
):
    lab = serve_gateway(make_gateway("record", upstream, cassette_path))
    stream = await client(lab).chat.completions.create(
        model="gpt-4o-mini", messages=said("olá"), stream=True
    )
    assert not any(c.usage for c in [c async for c in stream])
    replay = serve_gateway(make_gateway("replay", cassette=cassette_path))
    for include_usage, usage_chunks in ((False, 0), (True, 1)):
        replay.gateway.rewind()
        stream = await client(replay).chat.completions.create(
            model="gpt-4o-mini",
            messages=said("olá"),
            stream=True,
            stream_options={"include_usage": include_usage},
        )
        assert sum(1 for c in [c async for c in stream] if c.usage) == usage_chunks


async def test_an_error_event_inside_a_200_stream_is_a_failed_call_never_recorded(
    upstream, serve_gateway, cassette_path
):
    lab = serve_gateway(make_gateway("record", upstream, cassette_path))
    stream = await client(lab).chat.completions.create(
        model="gpt-4o-mini", messages=said("midstream"), stream=True
    )
    with pytest.raises(openai.APIError, match="overloaded"):
        [c async for c in stream]
    (call,) = lab.gateway.calls()
    assert call.status == 503 and call.cost_usd is None  # the string code "503" is the status
    assert call.error == "the upstream answered 200, then failed mid-stream: overloaded"
    assert not cassette_path.exists() or "midstream" not in cassette_path.read_text()


async def test_all_zero_usage_on_a_reply_is_estimated_and_marked(
    upstream, serve_gateway, cassette_path
):
    lab = serve_gateway(make_gateway("record", upstream, cassette_path))
    reply = await client(lab).chat.completions.create(
        model="gpt-4o-mini", messages=said("zerousage por favor")
    )
    assert reply.usage.total_tokens == 0  # the upstream's answer reaches the flow as it was
    (call,) = lab.gateway.calls()
    assert call.estimated and call.input_tokens > 0 and call.output_tokens > 0 and call.cost_usd > 0
    (entry,) = CassetteStore(cassette_path)._load()[0].entries
    assert entry.usage_estimated and entry.usage["completion_tokens"] == call.output_tokens
    replay = serve_gateway(make_gateway("replay", cassette=cassette_path))
    await client(replay).chat.completions.create(
        model="gpt-4o-mini", messages=said("zerousage por favor")
    )
    (again,) = replay.gateway.calls()
    assert again.estimated and (again.input_tokens, again.output_tokens) == (
        call.input_tokens,
        call.output_tokens,
    )


async def test_a_proxy_alias_is_priced_by_the_cost_the_proxy_states(
    upstream, serve_gateway, cassette_path
):
    lab = serve_gateway(make_gateway("record", upstream, cassette_path))
    reply = await client(lab).chat.completions.create(model="team-chat", messages=said("alias"))
    assert reply.model == "team-chat"
    (call,) = lab.gateway.calls()
    assert (call.model, call.cost_usd, call.priced_by) == ("team-chat", 1.35e-05, prices.BY_HEADER)
    replay = serve_gateway(make_gateway("replay", cassette=cassette_path))
    await client(replay).chat.completions.create(model="team-chat", messages=said("alias"))
    (again,) = replay.gateway.calls()
    assert (again.cost_usd, again.priced_by) == (1.35e-05, prices.BY_HEADER)


async def test_pricing_order_usage_cost_then_reported_model_then_requested_alias(
    upstream, serve_gateway
):
    lab = serve_gateway(make_gateway("live", upstream))
    await client(lab).chat.completions.create(model="gpt-4o-mini", messages=said("usagecost"))
    await client(lab).chat.completions.create(model="gpt-4o-mini", messages=said("olá"))
    await client(lab).chat.completions.create(model="gpt-4o-mini", messages=said("alias sem custo"))
    stated, by_model, by_alias = lab.gateway.calls()
    assert (stated.cost_usd, stated.priced_by) == (0.0042, prices.BY_USAGE_COST)
    assert by_model.model == "gpt-4o-mini-2024-07-18" and by_model.priced_by == prices.BY_MODEL
    # 'alias sem custo' still carries the stub's cost header: priced by it, not by the alias
    assert by_alias.priced_by == prices.BY_HEADER


def test_the_requested_model_prices_a_reply_naming_an_unknown_one():
    cost, by = prices.price_call(
        stated=None,
        reported_model="team-chat",
        requested_model="gpt-4o-mini",
        input_tokens=100,
        output_tokens=10,
    )
    assert cost and cost > 0 and by == prices.BY_ALIAS
    assert prices.price_call(
        stated=None,
        reported_model="team-chat",
        requested_model="team-chat",
        input_tokens=100,
        output_tokens=10,
    ) == (None, None)


async def test_a_string_error_code_keeps_its_status_to_the_flow(upstream, serve_gateway):
    lab = serve_gateway(make_gateway("live", upstream))
    with pytest.raises(openai.RateLimitError):
        await client(lab).chat.completions.create(model="gpt-4o-mini", messages=said("code429"))
    (call,) = lab.gateway.calls()
    assert call.status == 429 and "mock rate limit" in call.error


@pytest.mark.parametrize("stream", [False, True])
async def test_tool_calls_ending_with_stop_are_recorded_and_replayed_as_they_came(
    upstream, serve_gateway, cassette_path, stream
):
    lab = serve_gateway(make_gateway("record", upstream, cassette_path))
    await client(lab).chat.completions.create(
        model="gpt-4o-mini", messages=said("use a toolstop"), tools=TOOLS
    )
    replay = serve_gateway(make_gateway("replay", cassette=cassette_path))
    reply = await client(replay).chat.completions.create(
        model="gpt-4o-mini", messages=said("use a toolstop"), tools=TOOLS, stream=stream
    )
    if stream:
        chunks = [c async for c in reply]
        calls = [t for c in chunks if c.choices for t in c.choices[0].delta.tool_calls or []]
        finish = [
            c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
        ]
    else:
        calls, finish = reply.choices[0].message.tool_calls, [reply.choices[0].finish_reason]
    assert [c.function.name for c in calls] == ["buscar_plano"] and finish == ["stop"]
    (call,) = replay.gateway.calls()
    assert (
        call.response["choices"][0]["message"]["tool_calls"][0]["function"]["name"]
        == "buscar_plano"
    )


async def test_litellms_no_connected_db_is_a_refused_key_asked_once(upstream, serve_gateway):
    lab = serve_gateway(make_gateway("live", upstream))
    async with httpx.AsyncClient() as http:
        answers = [
            await http.post(
                lab.base() + "/chat/completions",
                headers={"Authorization": f"Bearer {GATEWAY_KEY}"},
                json={"model": "gpt-4o-mini", "messages": said(f"nodb #{i}")},
            )
            for i in range(2)
        ]
    assert [a.status_code for a in answers] == [401, 401]
    error = answers[0].json()["error"]
    assert error["code"] == "invalid_api_key" and "it refused the API key" in error["message"]
    assert (
        "(it said: No connected db.)" in error["message"] and "OPENAI_API_KEY" in error["message"]
    )
    assert len(upstream.requests) == 1


async def test_no_key_set_says_the_key_is_missing(upstream, serve_gateway):
    from lab.llm.gateway import LLMGateway

    gateway = LLMGateway(mode="live", key=GATEWAY_KEY, upstream_url=upstream.url, upstream_key=None)
    lab = serve_gateway(gateway)
    with pytest.raises(openai.AuthenticationError) as info:
        await client(lab).chat.completions.create(model="gpt-4o-mini", messages=said("nodb"))
    assert "it wants an API key and OPENAI_API_KEY is not set" in str(info.value)
