"""Record then replay: same answers, streams as streams, in order, offline; misses explain themselves."""

from __future__ import annotations

import socket
import subprocess
import sys
from contextlib import contextmanager

import httpx
import openai
import pytest

from lab.llm.cassette import CassetteStore
from lab.llm.gateway import LLMGateway

from .conftest import GATEWAY_KEY, make_gateway
from .test_modes import TOOLS, client, conversation

AUTH = {"Authorization": f"Bearer {GATEWAY_KEY}"}


async def record_session(lab) -> list:
    """A small conversation covering text, stream, tools, JSON format and a repeated request."""
    c = client(lab)
    out = []
    r = await c.chat.completions.create(
        model="gpt-4o-mini", messages=conversation("Olá"), temperature=0.2
    )
    out.append(r.choices[0].message.content)
    stream = await c.chat.completions.create(
        model="gpt-4o-mini", messages=conversation("conte uma história"), stream=True
    )
    out.append("".join([ch.choices[0].delta.content or "" async for ch in stream if ch.choices]))
    r = await c.chat.completions.create(
        model="gpt-4o-mini", messages=conversation("use a tool"), tools=TOOLS
    )
    out.append(r.choices[0].message.tool_calls[0].function.arguments)
    r = await c.chat.completions.create(
        model="gpt-4o-mini",
        messages=conversation("qual o preço?"),
        response_format={"type": "json_object"},
    )
    out.append(r.choices[0].message.content)
    for _ in range(2):
        r = await c.chat.completions.create(model="gpt-4o-mini", messages=conversation("count me"))
        out.append(r.choices[0].message.content)
    return out


@contextmanager
def no_network():
    """Fail on any socket connection (the replay client speaks ASGI in-process)."""
    saved = socket.socket.connect, socket.socket.connect_ex

    def refuse(self, address, *a, **k):
        raise AssertionError(f"replay tried to connect to {address}")

    socket.socket.connect = socket.socket.connect_ex = refuse
    try:
        yield
    finally:
        socket.socket.connect, socket.socket.connect_ex = saved


async def test_record_then_replay_offline_gives_the_same_answers(
    upstream, serve_gateway, cassette_path
):
    recorded = await record_session(serve_gateway(make_gateway("record", upstream, cassette_path)))
    assert recorded[4] != recorded[5]  # the upstream answered the repeated request differently
    asked = len(upstream.requests)
    assert cassette_path.read_text().startswith("version: 1\n")

    # The upstream URL points at a closed port: any attempt to use it would fail loudly too.
    replay = LLMGateway(
        mode="replay",
        key=GATEWAY_KEY,
        upstream_url="http://127.0.0.1:9/v1",
        upstream_key="sk-never-used-000000000",
        cassettes=CassetteStore(cassette_path),
    )
    with no_network():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=replay.app)) as http:
            c = openai.AsyncOpenAI(
                base_url="http://lab/x/exec9/v1",
                api_key=GATEWAY_KEY,
                http_client=http,
                max_retries=0,
            )
            replayed = await _replay_session(c)
    assert replayed == recorded
    assert len(upstream.requests) == asked
    calls = replay.calls("exec9")
    assert [c.mode for c in calls] == ["replay"] * 6 and all(c.cassette_key for c in calls)
    assert calls[0].input_tokens == 22 and not calls[0].estimated and calls[0].cost_usd > 0
    assert calls[1].streamed


async def _replay_session(c) -> list:
    out = []
    r = await c.chat.completions.create(
        model="gpt-4o-mini", messages=conversation("Olá"), temperature=0.2
    )
    out.append(r.choices[0].message.content)
    stream = await c.chat.completions.create(
        model="gpt-4o-mini", messages=conversation("conte uma história"), stream=True
    )
    chunks = [ch async for ch in stream]
    assert len(chunks) >= 3 and all(
        ch.object == "chat.completion.chunk" for ch in chunks
    )  # a stream
    out.append("".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices))
    r = await c.chat.completions.create(
        model="gpt-4o-mini", messages=conversation("use a tool"), tools=TOOLS
    )
    out.append(r.choices[0].message.tool_calls[0].function.arguments)
    r = await c.chat.completions.create(
        model="gpt-4o-mini",
        messages=conversation("qual o preço?"),
        response_format={"type": "json_object"},
    )
    out.append(r.choices[0].message.content)
    for _ in range(2):
        r = await c.chat.completions.create(model="gpt-4o-mini", messages=conversation("count me"))
        out.append(r.choices[0].message.content)
    return out


async def recorded_store(upstream, serve_gateway, cassette_path) -> CassetteStore:
    lab = serve_gateway(make_gateway("record", upstream, cassette_path))
    await client(lab).chat.completions.create(
        model="gpt-4o-mini", messages=conversation("Quero saber o preço"), tools=TOOLS
    )
    return CassetteStore(cassette_path)


async def ask(gateway: LLMGateway, body: dict) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=gateway.app), base_url="http://lab"
    ) as http:
        return await http.post("/x/e1/v1/chat/completions", json=body, headers=AUTH)


async def test_a_miss_names_the_request_the_cassette_and_how_to_record(
    upstream, serve_gateway, cassette_path
):
    store = await recorded_store(upstream, serve_gateway, cassette_path)
    gw = LLMGateway(mode="replay", key=GATEWAY_KEY, cassettes=store)
    resp = await ask(
        gw, {"model": "gpt-4o-mini", "messages": conversation("Vocês instalam em Curitiba?")}
    )
    assert resp.status_code == 404
    message = resp.json()["error"]["message"]
    assert resp.json()["error"]["code"] == "cassette_miss"
    for part in (
        "gpt-4o-mini",
        "'Vocês instalam em Curitiba?'",
        "key ",
        str(cassette_path),
        "walab record",
        "--llm record",
        "OPENAI_API_KEY",
    ):
        assert part in message, part
    (call,) = gw.calls("e1")
    assert call.status == 404 and call.error == message


@pytest.mark.parametrize(
    "change,expected",
    [
        ({"system": "Você é a Sol, atendente simpática."}, "the system prompt changed"),
        ({"model": "gpt-4.1-mini"}, "the model changed (gpt-4o-mini -> gpt-4.1-mini)"),
        ({"tools": []}, "the tool schema or response format changed"),
        ({"temperature": 0.9}, "the sampling settings changed"),
    ],
)
async def test_a_changed_prompt_model_or_tools_is_reported_as_such(
    upstream, serve_gateway, cassette_path, change, expected
):
    store = await recorded_store(upstream, serve_gateway, cassette_path)
    gw = LLMGateway(mode="replay", key=GATEWAY_KEY, cassettes=store)
    messages = conversation("Quero saber o preço")
    if "system" in change:
        messages[0]["content"] = change["system"]
    body = {
        "model": change.get("model", "gpt-4o-mini"),
        "messages": messages,
        "tools": change.get("tools", TOOLS),
    }
    if not body["tools"]:
        del body["tools"]
    if "temperature" in change:
        body["temperature"] = change["temperature"]
    resp = await ask(gw, body)
    assert resp.status_code == 404
    message = resp.json()["error"]["message"]
    assert expected in message and "has this conversation" in message and "Re-record" in message


async def test_identical_requests_replay_in_recorded_order_then_repeat_the_last(
    upstream, serve_gateway, cassette_path
):
    lab = serve_gateway(make_gateway("record", upstream, cassette_path))
    c = client(lab)
    answers = [
        (await c.chat.completions.create(model="gpt-4o-mini", messages=conversation("count")))
        .choices[0]
        .message.content
        for _ in range(3)
    ]
    assert len(set(answers)) == 3
    gw = LLMGateway(mode="replay", key=GATEWAY_KEY, cassettes=CassetteStore(cassette_path))
    body = {"model": "gpt-4o-mini", "messages": conversation("count")}
    got = [(await ask(gw, body)).json()["choices"][0]["message"]["content"] for _ in range(4)]
    assert got == [*answers, answers[-1]]
    gw.rewind()
    assert (await ask(gw, body)).json()["choices"][0]["message"]["content"] == answers[0]


async def test_a_streamed_recording_also_answers_a_plain_request(
    upstream, serve_gateway, cassette_path
):
    lab = serve_gateway(make_gateway("record", upstream, cassette_path))
    stream = await client(lab).chat.completions.create(
        model="gpt-4o-mini", messages=conversation("oi"), stream=True
    )
    [ch async for ch in stream]
    assert "stream:" in cassette_path.read_text()
    gw = LLMGateway(mode="replay", key=GATEWAY_KEY, cassettes=CassetteStore(cassette_path))
    resp = await ask(gw, {"model": "gpt-4o-mini", "messages": conversation("oi")})
    assert resp.json()["choices"][0]["message"]["content"] == "eco: oi"
    assert resp.json()["usage"]["prompt_tokens"] == 22


def test_replay_mode_never_imports_the_openai_sdk(tmp_path):
    cassette = tmp_path / "c.cassette.yaml"
    code = f"""
import asyncio, sys, httpx
from lab.llm.cassette import CassetteStore
from lab.llm.gateway import LLMGateway
gw = LLMGateway(mode="replay", key="k" * 20, cassettes=CassetteStore({str(cassette)!r}))
async def main():
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gw.app), base_url="http://lab") as c:
        r = await c.post("/v1/chat/completions", json={{"model": "m", "messages": [{{"role": "user", "content": "oi"}}]}},
                         headers={{"Authorization": "Bearer " + "k" * 20}})
        assert r.status_code == 404, r.text
        r = await c.get("/v1/models", headers={{"Authorization": "Bearer " + "k" * 20}})
        assert r.status_code == 200
asyncio.run(main())
print(sorted(m for m in sys.modules if m == "openai" or m.startswith("openai.")))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


async def test_replay_reports_the_cost_recorded_in_the_cassette(
    upstream, serve_gateway, cassette_path
):
    from lab import yamlio

    recording = serve_gateway(make_gateway("record", upstream, cassette_path))
    await client(recording).chat.completions.create(
        model="gpt-4o-mini", messages=conversation("Olá")
    )
    (recorded,) = recording.gateway.calls()
    data = yamlio.load(cassette_path)
    assert data["entries"][0]["cost_usd"] == recorded.cost_usd > 0
    data["entries"][0]["cost_usd"] = 0.5  # replay reads it rather than pricing the usage again
    cassette_path.write_text(yamlio.dumps(data))
    replaying = serve_gateway(make_gateway("replay", cassette=cassette_path))
    await client(replaying).chat.completions.create(
        model="gpt-4o-mini", messages=conversation("Olá")
    )
    (call,) = replaying.gateway.calls()
    assert call.cost_usd == 0.5 and call.input_tokens == recorded.input_tokens
    del data["entries"][0]["cost_usd"]  # an older cassette: priced from its usage
    cassette_path.write_text(yamlio.dumps(data))
    older = serve_gateway(make_gateway("replay", cassette=cassette_path))
    await client(older).chat.completions.create(model="gpt-4o-mini", messages=conversation("Olá"))
    assert older.gateway.calls()[0].cost_usd == recorded.cost_usd
