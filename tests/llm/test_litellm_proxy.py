"""The gateway in front of LiteLLM's proxy (1.81, pinned; mocked models and a stub behind it, all on
loopback), with the openai SDK as the flow's client: every shape the issue met, for real."""

from __future__ import annotations

import httpx
import openai
import pytest

from lab.llm import prices
from lab.llm.cassette import CassetteStore
from lab.llm.gateway import LLMGateway

from .conftest import GATEWAY_KEY

pytestmark = pytest.mark.slow

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


def gateway(mode: str, proxy=None, cassette=None, key: str | None = "master") -> LLMGateway:
    return LLMGateway(
        mode=mode,
        key=GATEWAY_KEY,
        upstream_url=proxy.url if proxy else None,
        upstream_key=(proxy.key if key == "master" else key) if proxy else None,
        cassettes=CassetteStore(cassette) if cassette else None,
    )


def client(lab) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=lab.base(), api_key=GATEWAY_KEY, max_retries=0)


def said(text: str) -> list[dict]:
    return [
        {"role": "system", "content": "Você é a Sol, da Solar Sul."},
        {"role": "user", "content": text},
    ]


async def test_an_alias_is_priced_by_the_proxys_cost_header_and_replayed_so(
    litellm_proxy, serve_gateway, cassette_path
):
    lab = serve_gateway(gateway("record", litellm_proxy, cassette_path))
    reply = await client(lab).chat.completions.create(model="team-chat", messages=said("Oi"))
    assert (
        reply.model == "team-chat"
        and reply.choices[0].message.content == "Olá! Sou a Sol, da Solar Sul."
    )
    (call,) = lab.gateway.calls()
    assert call.priced_by == prices.BY_HEADER and call.cost_usd and call.cost_usd > 0
    assert not call.estimated and call.status == 200
    replay = serve_gateway(gateway("replay", cassette=cassette_path))
    again = await client(replay).chat.completions.create(model="team-chat", messages=said("Oi"))
    assert again.choices[0].message.content == reply.choices[0].message.content
    (replayed,) = replay.gateway.calls()
    assert (replayed.cost_usd, replayed.priced_by) == (call.cost_usd, prices.BY_HEADER)
    assert litellm_proxy.key not in cassette_path.read_text()


async def test_a_stream_keeps_the_usage_chunk_from_a_client_that_did_not_ask(
    litellm_proxy, serve_gateway
):
    lab = serve_gateway(gateway("live", litellm_proxy))
    plain = [
        c
        async for c in await client(lab).chat.completions.create(
            model="team-chat", messages=said("Oi"), stream=True
        )
    ]
    asked = [
        c
        async for c in await client(lab).chat.completions.create(
            model="team-chat",
            messages=said("Oi"),
            stream=True,
            stream_options={"include_usage": True},
        )
    ]
    assert (
        "".join(c.choices[0].delta.content or "" for c in plain if c.choices)
        == "Olá! Sou a Sol, da Solar Sul."
    )
    assert not any(c.usage for c in plain) and sum(1 for c in asked if c.usage) == 1
    first, second = lab.gateway.calls()
    assert not first.estimated and first.output_tokens == asked[-1].usage.completion_tokens


async def test_an_error_event_in_a_200_stream_is_a_failed_call_not_a_recording(
    litellm_proxy, serve_gateway, cassette_path
):
    lab = serve_gateway(gateway("record", litellm_proxy, cassette_path))
    stream = await client(lab).chat.completions.create(
        model="forwarded", messages=said("midstream"), stream=True
    )
    with pytest.raises(openai.APIError):
        [c async for c in stream]
    (call,) = lab.gateway.calls()
    assert call.status == 503 and call.error.startswith(
        "the upstream answered 200, then failed mid-stream: "
    )
    assert call.cost_usd is None
    assert not cassette_path.exists() or "midstream" not in cassette_path.read_text()


async def test_all_zero_usage_passed_on_by_the_proxy_is_estimated(litellm_proxy, serve_gateway):
    lab = serve_gateway(gateway("live", litellm_proxy))
    reply = await client(lab).chat.completions.create(model="forwarded", messages=said("zerousage"))
    assert reply.usage.total_tokens == 0 and reply.choices[0].message.content
    (call,) = lab.gateway.calls()
    assert call.estimated and call.input_tokens > 0 and call.output_tokens > 0


async def test_a_wrong_key_answered_no_connected_db_is_a_refused_key(litellm_proxy, serve_gateway):
    lab = serve_gateway(gateway("live", litellm_proxy, key="sk-not-the-master-key-0123456789"))
    async with httpx.AsyncClient() as http:
        answers = [
            await http.post(
                lab.base() + "/chat/completions",
                headers={"Authorization": f"Bearer {GATEWAY_KEY}"},
                json={"model": "team-chat", "messages": said("Oi")},
            )
            for _ in range(2)
        ]
    assert [a.status_code for a in answers] == [401, 401]
    message = answers[0].json()["error"]["message"]
    assert message.startswith(
        f"400 Bad Request from the upstream LLM at {litellm_proxy.url}: it refused the API key"
    )
    assert "No connected db." in message and "OPENAI_API_KEY" in message
    assert "sk-not-the-master-key" not in message


async def test_no_key_set_says_so(litellm_proxy, serve_gateway):
    lab = serve_gateway(gateway("live", litellm_proxy, key=None))
    with pytest.raises(openai.AuthenticationError) as info:
        await client(lab).chat.completions.create(model="team-chat", messages=said("Oi"))
    assert "it wants an API key and OPENAI_API_KEY is not set" in str(info.value)


async def test_a_string_error_code_keeps_its_status(litellm_proxy, serve_gateway):
    lab = serve_gateway(gateway("live", litellm_proxy))
    for stream in (False, True):
        with pytest.raises(openai.RateLimitError):
            reply = await client(lab).chat.completions.create(
                model="rate-limited", messages=said("Oi"), stream=stream
            )
            [c async for c in reply] if stream else None
    assert [c.status for c in lab.gateway.calls()] == [429, 429]


async def test_tool_calls_ending_with_stop_record_and_replay(
    litellm_proxy, serve_gateway, cassette_path
):
    lab = serve_gateway(gateway("record", litellm_proxy, cassette_path))
    reply = await client(lab).chat.completions.create(
        model="tooly", messages=said("Quero o básico"), tools=TOOLS
    )
    assert reply.choices[0].finish_reason == "stop" and reply.choices[0].message.tool_calls
    replay = serve_gateway(gateway("replay", cassette=cassette_path))
    again = await client(replay).chat.completions.create(
        model="tooly", messages=said("Quero o básico"), tools=TOOLS
    )
    assert again.choices[0].finish_reason == "stop"
    assert [t.function.name for t in again.choices[0].message.tool_calls] == ["buscar_plano"]
    chunks = [
        c
        async for c in await client(replay).chat.completions.create(
            model="tooly", messages=said("Quero o básico"), tools=TOOLS, stream=True
        )
    ]
    assert [
        t.function.name for c in chunks if c.choices for t in c.choices[0].delta.tool_calls or []
    ] == ["buscar_plano"]


async def test_embeddings_and_models_pass_through(litellm_proxy, serve_gateway):
    lab = serve_gateway(gateway("live", litellm_proxy))
    vectors = await client(lab).embeddings.create(
        model="team-embed", input="oi"
    )  # its mock: one vector
    assert vectors.data[0].embedding == [0.1, 0.2]
    listed = {m.id async for m in client(lab).models.list()}
    assert {"team-chat", "gpt-4o-mini", "tooly"} <= listed


async def test_the_agent_flow_records_through_the_proxy_and_replays_offline(
    litellm_proxy, tmp_path
):
    """What `walab send --flow whatsapp_agent --llm record` then `--llm replay` do, through the proxy."""
    from datetime import datetime, timezone
    from pathlib import Path

    from lab.config import load_settings
    from lab.conversation.lab import Lab

    root, maria = Path(__file__).resolve().parents[2], "5511987654321"
    clock, cassette = (
        datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc),
        tmp_path / "agent.cassette.yaml",
    )
    texts = {}
    for mode in ("record", "replay"):
        settings = load_settings(
            root,
            env={},
            flow="whatsapp_agent",
            llm_mode=mode,
            llm_upstream_url=litellm_proxy.url if mode == "record" else None,
            llm_upstream_key=litellm_proxy.key if mode == "record" else None,
        )
        async with Lab.open(settings, clock_start=clock, cassette=cassette) as lab:
            turn = await lab.send_text(maria, "Oi")
        assert (
            turn.verdict == "ok" and turn.llm_calls and all(c.status == 200 for c in turn.llm_calls)
        )
        assert all(c.priced_by == prices.BY_HEADER for c in turn.llm_calls)
        texts[mode] = [((r.payload.get("text") or {}).get("body")) for r in turn.replies]
    assert (
        texts["record"] == texts["replay"]
        and "Olá! Sou a Sol, da Solar Sul. Como posso ajudar?" in texts["record"]
    )
    assert litellm_proxy.key not in cassette.read_text()
