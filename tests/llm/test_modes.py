"""Each gateway mode against a real OpenAI-compatible upstream on loopback, with the openai SDK as client."""

from __future__ import annotations

import httpx
import openai
import pytest

from lab.llm.scripted import ScriptedReplies

from .conftest import GATEWAY_KEY, UPSTREAM_KEY, make_gateway

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


def client(lab, execution_id="exec1") -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=lab.base(execution_id), api_key=GATEWAY_KEY, max_retries=0)


def conversation(text: str) -> list[dict]:
    return [
        {"role": "system", "content": "Você é o atendente da Solar Sul."},
        {"role": "user", "content": text},
    ]


async def test_live_forwards_with_the_upstream_key_and_meters_usage(upstream, serve_gateway):
    lab = serve_gateway(make_gateway("live", upstream))
    reply = await client(lab).chat.completions.create(
        model="gpt-4o-mini", messages=conversation("Olá")
    )
    assert reply.choices[0].message.content == "eco: Olá"
    sent = upstream.requests[-1]
    assert (
        sent["headers"]["authorization"] == f"Bearer {UPSTREAM_KEY}"
    )  # never the gateway key upstream
    assert sent["body"]["messages"][1]["content"] == "Olá"
    (call,) = lab.gateway.calls("exec1")
    assert (call.mode, call.input_tokens, call.output_tokens, call.estimated) == (
        "live",
        22,
        7,
        False,
    )
    assert call.model == "gpt-4o-mini-2024-07-18" and call.cost_usd and call.cost_usd > 0
    assert call.latency_ms > 0 and call.status == 200


async def test_live_stream_is_relayed_as_a_stream_and_metered_exactly(upstream, serve_gateway):
    lab = serve_gateway(make_gateway("live", upstream))
    stream = await client(lab).chat.completions.create(
        model="gpt-4o-mini", messages=conversation("quero um orçamento detalhado"), stream=True
    )
    chunks = [c async for c in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "eco: quero um orçamento detalhado"
    assert len(chunks) > 3 and all(
        c.choices for c in chunks
    )  # no usage chunk: the client did not ask for one
    assert upstream.requests[-1]["body"]["stream_options"] == {"include_usage": True}
    (call,) = lab.gateway.calls()
    assert (
        call.streamed and not call.estimated and (call.input_tokens, call.output_tokens) == (22, 7)
    )


async def test_live_tool_calls_pass_through(upstream, serve_gateway):
    lab = serve_gateway(make_gateway("live", upstream))
    reply = await client(lab).chat.completions.create(
        model="gpt-4o-mini", messages=conversation("use a tool"), tools=TOOLS
    )
    assert reply.choices[0].finish_reason == "tool_calls"
    call = reply.choices[0].message.tool_calls[0]
    assert (call.function.name, call.function.arguments) == ("buscar_plano", '{"plano":"basico"}')
    assert upstream.requests[-1]["body"]["tools"] == TOOLS


async def test_live_usage_missing_is_counted_with_tiktoken_and_marked_estimated(
    upstream, serve_gateway
):
    lab = serve_gateway(make_gateway("live", upstream))
    await client(lab).chat.completions.create(
        model="gpt-4o-mini", messages=conversation("nousage por favor")
    )
    (call,) = lab.gateway.calls()
    assert call.estimated and call.input_tokens > 10 and call.output_tokens > 2


@pytest.mark.parametrize(
    "text,status,kind", [("erro 429", 429, "rate_limit_exceeded"), ("erro 500", 500, None)]
)
async def test_upstream_errors_pass_through_with_status_and_body(
    upstream, serve_gateway, text, status, kind
):
    lab = serve_gateway(make_gateway("live", upstream))
    async with httpx.AsyncClient() as http:
        resp = await http.post(
            lab.base() + "/chat/completions",
            headers={"Authorization": f"Bearer {GATEWAY_KEY}"},
            json={"model": "gpt-4o-mini", "messages": conversation(text)},
        )
    assert resp.status_code == status
    assert resp.json()["error"]["code"] == kind and resp.json()["error"]["message"]
    (call,) = lab.gateway.calls()
    assert (
        call.status == status and call.error and call.cost_usd == 0.0
    )  # no tokens used: not billed


async def test_upstream_error_reaches_the_sdk_as_its_typed_error(upstream, serve_gateway):
    lab = serve_gateway(make_gateway("live", upstream))
    with pytest.raises(openai.RateLimitError) as info:
        await client(lab).chat.completions.create(
            model="gpt-4o-mini", messages=conversation("429 again")
        )
    assert info.value.status_code == 429 and "Rate limit reached" in str(info.value)


async def test_upstream_timeout_is_a_504_with_an_explanation(upstream, serve_gateway):
    lab = serve_gateway(make_gateway("live", upstream, upstream_timeout=0.3))
    async with httpx.AsyncClient() as http:
        resp = await http.post(
            lab.base() + "/chat/completions",
            headers={"Authorization": f"Bearer {GATEWAY_KEY}"},
            json={"model": "gpt-4o-mini", "messages": conversation("slow answer")},
        )
    assert resp.status_code == 504
    assert "did not answer within 0.3 s" in resp.json()["error"]["message"]


async def test_embeddings_and_models_in_live_mode(upstream, serve_gateway):
    lab = serve_gateway(make_gateway("live", upstream))
    c = client(lab)
    emb = await c.embeddings.create(model="text-embedding-3-small", input=["oi", "tchau"])
    assert len(emb.data) == 2 and emb.usage.prompt_tokens == 4
    models = await c.models.list()
    assert [m.id for m in models.data] == ["gpt-4o-mini"]
    assert [c.model for c in lab.gateway.calls()] == ["text-embedding-3-small"]


async def test_scripted_rules_and_turns_are_labelled_scripted(serve_gateway):
    lab = serve_gateway(make_gateway("scripted"))
    lab.gateway.script(
        ScriptedReplies(
            [
                "Olá! Sou a Sol, da Solar Sul.",
                {"match": "(?i)preço|valor", "reply": "O plano básico custa R$ 99."},
                {"tool_call": {"name": "buscar_plano", "arguments": {"plano": "premium"}}},
                {"json": {"intent": "comprar"}},
            ]
        )
    )
    c = client(lab)
    async with httpx.AsyncClient() as http:
        raw = await http.post(
            lab.base() + "/chat/completions",
            headers={"Authorization": f"Bearer {GATEWAY_KEY}"},
            json={"model": "gpt-4o-mini", "messages": conversation("oi")},
        )
    assert raw.headers["x-walab-llm-mode"] == "scripted"
    assert raw.json()["choices"][0]["message"]["content"] == "Olá! Sou a Sol, da Solar Sul."
    assert raw.json()["system_fingerprint"] == "walab-scripted"
    r = await c.chat.completions.create(model="gpt-4o-mini", messages=conversation("Qual o preço?"))
    assert r.choices[0].message.content == "O plano básico custa R$ 99."
    r = await c.chat.completions.create(
        model="gpt-4o-mini", messages=conversation("quero o premium"), tools=TOOLS
    )
    assert (
        r.choices[0].finish_reason == "tool_calls"
        and r.choices[0].message.tool_calls[0].function.arguments == '{"plano":"premium"}'
    )
    stream = await c.chat.completions.create(
        model="gpt-4o-mini", messages=conversation("fechado"), stream=True
    )
    text = "".join([ch.choices[0].delta.content or "" async for ch in stream if ch.choices])
    assert text == '{"intent":"comprar"}'
    with pytest.raises(openai.NotFoundError) as info:
        await c.chat.completions.create(model="gpt-4o-mini", messages=conversation("mais uma"))
    assert "no reply left" in str(info.value) and "'mais uma'" in str(info.value)
    calls = lab.gateway.calls()
    assert {c.mode for c in calls} == {"scripted"} and all(c.estimated for c in calls[:4])
    assert calls[0].cost_usd == 0.0 and calls[-1].status == 404
    emb = await c.embeddings.create(model="text-embedding-3-small", input="oi")
    again = await c.embeddings.create(model="text-embedding-3-small", input="oi")
    assert emb.data[0].embedding == again.data[0].embedding and len(emb.data[0].embedding) == 8


async def test_live_mode_without_an_openai_key_says_what_to_set():
    from lab.llm.gateway import LLMGateway

    gw = LLMGateway(mode="live", key=GATEWAY_KEY)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=gw.app), base_url="http://lab"
    ) as http:
        resp = await http.post(
            "/v1/chat/completions",
            json={"model": "gpt-4o-mini", "messages": conversation("oi")},
            headers={"Authorization": f"Bearer {GATEWAY_KEY}"},
        )
    assert resp.status_code == 503 and "OPENAI_API_KEY" in resp.json()["error"]["message"]


def test_gateway_from_settings(tmp_path):
    from lab.config import load_settings
    from lab.errors import ConfigError
    from lab.llm.gateway import LLMGateway

    settings = load_settings(tmp_path, env={}, llm_mode="scripted")
    gw = LLMGateway.from_settings(settings)
    assert gw.mode == "scripted"
    with pytest.raises(ConfigError, match="record mode needs a cassette"):
        LLMGateway.from_settings(load_settings(tmp_path, env={}, llm_mode="record"))


async def test_scripted_errors_answer_as_openai_would(serve_gateway):
    lab = serve_gateway(make_gateway("scripted"))
    lab.gateway.script(
        ScriptedReplies(
            [
                {"match": "(?i)instalação", "error": 500},
                {"error": 429, "message": "Rate limit reached for gpt-4o-mini"},
                "Olá!",
            ]
        )
    )
    c = client(lab)
    with pytest.raises(openai.InternalServerError) as info:
        await c.chat.completions.create(
            model="gpt-4o-mini", messages=conversation("Quanto custa a instalação?")
        )
    assert info.value.status_code == 500 and info.value.body["type"] == "server_error"
    assert "The server had an error" in info.value.body["message"]
    with pytest.raises(openai.RateLimitError) as info:
        await c.chat.completions.create(model="gpt-4o-mini", messages=conversation("oi"))
    assert info.value.body == {
        "message": "Rate limit reached for gpt-4o-mini",
        "type": "requests",
        "param": None,
        "code": "rate_limit_exceeded",
    }
    r = await c.chat.completions.create(
        model="gpt-4o-mini", messages=conversation("oi")
    )  # the queue moves on
    assert r.choices[0].message.content == "Olá!"
    failed, limited, ok = lab.gateway.calls()
    assert (failed.status, failed.input_tokens, failed.cost_usd) == (
        500,
        0,
        0.0,
    ) and "server had an error" in failed.error
    assert (limited.status, limited.error) == (
        429,
        "Rate limit reached for gpt-4o-mini",
    ) and ok.status == 200


def test_live_gateway_imports_the_sdk_in_the_background():
    import subprocess
    import sys

    code = (
        "import sys, threading\n"
        "from lab.llm.gateway import LLMGateway\n"
        "assert 'openai' not in sys.modules\n"
        "LLMGateway(mode='live', key='k', upstream_url='http://127.0.0.1:9/v1')\n"
        "t = next(t for t in threading.enumerate() if t.name == 'walab-openai-import')\n"
        "t.join(30)\n"
        "assert 'openai' in sys.modules\n"
        "LLMGateway(mode='replay', key='k')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
