"""The embedded engine's plugin-ai tasks against the LLM gateway (in-process, httpx.ASGITransport)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import pytest

from lab.kestra.engine.tasks.ai import AIAgent, ChatCompletion
from lab.kestra.engine.tasks.base import REGISTRY, TaskFailed
from lab.llm.cassette import CassetteStore
from lab.llm.gateway import LLMGateway
from lab.llm.scripted import ScriptedReplies

KEY = "walab-ai-task-key-0123456789abcdef"


class FakeKV:
    def __init__(self) -> None:
        self.data: dict[tuple[str, str], Any] = {}
        self.ttl: dict[tuple[str, str], float | None] = {}

    def get(self, namespace: str, key: str) -> Any:
        return self.data[(namespace, key)]

    def set(
        self,
        namespace: str,
        key: str,
        value: Any,
        *,
        ttl: float | None = None,
        kind: str | None = None,
    ) -> None:
        self.data[(namespace, key)] = value
        self.ttl[(namespace, key)] = ttl

    def delete(self, namespace: str, key: str) -> bool:
        return self.data.pop((namespace, key), None) is not None


@dataclass
class FakeContext:
    """A RunContext whose http reaches the gateway in-process and whose render knows a few variables."""

    http: httpx.AsyncClient
    execution_id: str = "5xYexec1"
    namespace: str = "company.whatsapp"
    flow_id: str = "lead_qualification"
    task_id: str = "llm"
    taskrun_id: str = "tr1"
    kv: FakeKV = field(default_factory=FakeKV)
    logs: list[tuple[str, str]] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)

    def render_str(self, value: Any) -> str:
        text = "" if value is None else str(value)
        for name, val in {"execution.id": self.execution_id, **self.variables}.items():
            text = text.replace("{{ " + name + " }}", val)
        if "{{" in text:
            raise ValueError(f"unknown variable in {text!r}")
        return text

    def render(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.render_str(value)
        if isinstance(value, dict):
            return {k: self.render(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.render(v) for v in value]
        return value

    def log(self, level: str, message: str) -> None:
        self.logs.append((level, message))


def provider(**extra: Any) -> dict[str, Any]:
    return {
        "type": "io.kestra.plugin.ai.provider.OpenAI",
        "apiKey": KEY,
        "modelName": "gpt-4o-mini",
        "baseUrl": "http://lab/llm/x/{{ execution.id }}/v1",
        **extra,
    }


def context(gateway: LLMGateway) -> FakeContext:
    async def mounted(
        scope, receive, send
    ):  # the lab server strips /llm before the gateway sees the path
        scope = dict(scope, path=scope["path"].removeprefix("/llm"))
        await gateway.app(scope, receive, send)

    return FakeContext(httpx.AsyncClient(transport=httpx.ASGITransport(app=mounted)))


MESSAGES = [
    {"type": "SYSTEM", "content": "Você é a Sol, da Solar Sul."},
    {"type": "USER", "content": "Oi, quanto custa?"},
]


def test_types_and_aliases_are_registered():
    for name in (
        "io.kestra.plugin.ai.completion.ChatCompletion",
        "io.kestra.plugin.langchain4j.ChatCompletion",
        "io.kestra.plugin.langchain4j.completion.ChatCompletion",
    ):
        assert REGISTRY[name] is ChatCompletion
    assert REGISTRY["io.kestra.plugin.ai.agent.AIAgent"] is AIAgent


async def test_chat_completion_outputs_are_plugin_ai_shaped_and_tied_to_the_execution():
    gw = LLMGateway(mode="scripted", key=KEY)
    gw.script(ScriptedReplies(["O plano básico custa R$ 99 por mês."]))
    ctx = context(gw)
    out = await ChatCompletion().run(
        ctx,
        {
            "provider": provider(),
            "messages": MESSAGES,
            "configuration": {"temperature": 0.2, "maxToken": 300, "seed": 7},
        },
    )
    assert out["textOutput"] == out["aiResponse"] == "O plano básico custa R$ 99 por mês."
    assert (
        out["finishReason"] == "STOP"
        and out["toolExecutions"] == []
        and out["intermediateResponses"] == []
    )
    usage = out["tokenUsage"]
    assert set(usage) == {"inputTokenCount", "outputTokenCount", "totalTokenCount"}
    assert (
        usage["inputTokenCount"] > 10
        and usage["totalTokenCount"] == usage["inputTokenCount"] + usage["outputTokenCount"]
    )
    assert (
        isinstance(out["requestDuration"], int)
        and out["guardrailViolated"] is False
        and "jsonOutput" not in out
    )
    (call,) = gw.calls("5xYexec1")
    assert call.mode == "scripted"
    assert call.request["messages"][0] == {
        "role": "system",
        "content": "Você é a Sol, da Solar Sul.",
    }
    assert (call.request["temperature"], call.request["max_tokens"], call.request["seed"]) == (
        0.2,
        300,
        7,
    )


async def test_json_response_format_gives_json_output():
    gw = LLMGateway(mode="scripted", key=KEY)
    gw.script(ScriptedReplies([{"json": {"intent": "preco", "confidence": 0.9}}]))
    schema = {"type": "object", "properties": {"intent": {"type": "string"}}}
    out = await ChatCompletion().run(
        context(gw),
        {
            "provider": provider(),
            "messages": MESSAGES,
            "configuration": {"responseFormat": {"type": "JSON", "jsonSchema": schema}},
        },
    )
    assert out["jsonOutput"] == {"intent": "preco", "confidence": 0.9} and "textOutput" not in out
    sent = gw.calls()[0].request["response_format"]
    assert sent == {
        "type": "json_schema",
        "json_schema": {"name": "output", "strict": False, "schema": schema},
    }


async def test_json_format_with_a_text_answer_fails_clearly():
    gw = LLMGateway(mode="scripted", key=KEY)
    gw.script(ScriptedReplies(["não é json"]))
    with pytest.raises(TaskFailed, match="not JSON"):
        await ChatCompletion().run(
            context(gw),
            {
                "provider": provider(),
                "messages": MESSAGES,
                "configuration": {"responseFormat": {"type": "JSON"}},
            },
        )


@pytest.mark.parametrize(
    "props,expected",
    [
        (
            {"tools": [{"type": "io.kestra.plugin.ai.tool.GoogleCustomWebSearch"}]},
            "`tools`: tools are not supported",
        ),
        (
            {"provider": provider(type="io.kestra.plugin.ai.provider.Anthropic")},
            "is not supported by the embedded engine",
        ),
        ({"configuration": {"topK": 40}}, "OpenAI models do not support topK"),
        (
            {"configuration": {"thinkingEnabled": True}},
            "configuration.thinkingEnabled is not supported",
        ),
        (
            {
                "messages": [
                    {"type": "USER", "contentBlocks": [{"type": "PDF", "uri": "kestra://x"}]}
                ]
            },
            "contentBlocks",
        ),
        ({"provider": provider(caPem="---")}, "provider property `caPem` is not supported"),
    ],
)
async def test_what_the_engine_cannot_honour_is_a_clear_problem(props, expected):
    full = {"provider": provider(), "messages": MESSAGES, **props}
    assert any(expected in p for p in ChatCompletion.problems(full)), ChatCompletion.problems(full)
    with pytest.raises(TaskFailed, match="embedded engine|topK"):
        await ChatCompletion().run(context(LLMGateway(mode="scripted", key=KEY)), full)


@pytest.mark.parametrize(
    "messages,expected",
    [
        (
            [{"type": "USER", "content": "oi"}, {"type": "AI", "content": "olá"}],
            "The last message must be a user message",
        ),
        (
            [
                {"type": "SYSTEM", "content": "a"},
                {"type": "SYSTEM", "content": "b"},
                {"type": "USER", "content": "c"},
            ],
            "Only one system message is allowed",
        ),
        ([{"type": "BOT", "content": "x"}], "must be SYSTEM, USER or AI"),
    ],
)
async def test_message_rules_of_plugin_ai(messages, expected):
    with pytest.raises(TaskFailed, match=expected):
        await ChatCompletion().run(
            context(LLMGateway(mode="scripted", key=KEY)),
            {"provider": provider(), "messages": messages},
        )


async def test_a_wrong_api_key_fails_with_the_gateways_explanation():
    ctx = context(LLMGateway(mode="scripted", key=KEY))
    with pytest.raises(TaskFailed) as info:
        await ChatCompletion().run(
            ctx, {"provider": provider(apiKey="sk-wrong-000000000000"), "messages": MESSAGES}
        )
    assert "HTTP 401" in str(info.value) and "gateway key" in str(info.value)
    assert "sk-wrong" not in str(info.value)


async def test_a_replay_miss_fails_with_what_to_record(tmp_path):
    gw = LLMGateway(mode="replay", key=KEY, cassettes=CassetteStore(tmp_path / "s.cassette.yaml"))
    with pytest.raises(TaskFailed) as info:
        await ChatCompletion().run(context(gw), {"provider": provider(), "messages": MESSAGES})
    text = str(info.value)
    assert (
        "HTTP 404" in text
        and "Oi, quanto custa?" in text
        and "walab record" in text
        and "s.cassette.yaml" in text
    )


async def upstream_app(scope, receive, send):
    """An OpenAI-compatible upstream that fails as the last user message says."""
    body = b""
    while True:
        msg = await receive()
        body += msg.get("body", b"")
        if not msg.get("more_body"):
            break
    last = orjson.loads(body)["messages"][-1]["content"]
    status = 429 if "429" in last else 500
    payload = orjson.dumps(
        {"error": {"message": f"upstream says {status}", "type": "x", "param": None, "code": None}}
    )
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": payload})


@pytest.mark.parametrize("status", [429, 500])
async def test_upstream_errors_fail_the_task_with_status_and_message(status):
    upstream_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=upstream_app))
    gw = LLMGateway(
        mode="live",
        key=KEY,
        upstream_url="http://upstream/v1",
        upstream_key="sk-up-0123456789abcdef",
        http=upstream_http,
    )
    messages = [{"type": "USER", "content": f"erro {status}"}]
    with pytest.raises(TaskFailed) as info:
        await ChatCompletion().run(context(gw), {"provider": provider(), "messages": messages})
    assert f"HTTP {status}" in str(info.value) and f"upstream says {status}" in str(info.value)


async def test_an_unreachable_provider_fails_clearly():
    ctx = FakeContext(
        httpx.AsyncClient(
            transport=httpx.MockTransport(
                lambda r: (_ for _ in ()).throw(httpx.ConnectError("refused"))
            )
        )
    )
    with pytest.raises(
        TaskFailed,
        match="could not reach the LLM provider at http://lab/llm/x/5xYexec1/v1/chat/completions",
    ):
        await ChatCompletion().run(ctx, {"provider": provider(), "messages": MESSAGES})


async def test_ai_agent_keeps_the_conversation_in_kv_memory():
    gw = LLMGateway(mode="scripted", key=KEY)
    gw.script(ScriptedReplies(["Olá Maria! Como posso ajudar?", "O plano básico custa R$ 99."]))
    ctx = context(gw)
    memory = {
        "type": "io.kestra.plugin.ai.memory.KestraKVStore",
        "memoryId": "wa-5511987654321",
        "messages": 10,
    }
    props = {
        "provider": provider(),
        "systemMessage": "Você é a Sol.",
        "prompt": "Oi, sou a Maria",
        "memory": memory,
    }
    first = await AIAgent().run(ctx, props)
    assert first["textOutput"] == "Olá Maria! Como posso ajudar?" and "aiResponse" not in first
    stored = json.loads(ctx.kv.data[("company.whatsapp", "wa-5511987654321")])
    assert [m["type"] for m in stored] == ["SYSTEM", "USER", "AI"]
    assert stored[1] == {"contents": [{"text": "Oi, sou a Maria", "type": "TEXT"}], "type": "USER"}
    assert ctx.kv.ttl[("company.whatsapp", "wa-5511987654321")] == 3600
    await AIAgent().run(ctx, {**props, "prompt": "Quanto custa?"})
    sent = gw.calls()[1].request["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert sent[1]["content"] == "Oi, sou a Maria" and sent[-1]["content"] == "Quanto custa?"
    gw.script(ScriptedReplies(["Até logo!"]))
    await AIAgent().run(
        ctx, {**props, "prompt": "Tchau", "memory": {**memory, "drop": "AFTER_TASKRUN"}}
    )
    assert ("company.whatsapp", "wa-5511987654321") not in ctx.kv.data


async def test_ai_agent_memory_window_and_unsupported_memory():
    gw = LLMGateway(mode="scripted", key=KEY)
    gw.script(ScriptedReplies([f"resposta {i}" for i in range(4)]))
    ctx = context(gw)
    memory = {"type": "io.kestra.plugin.ai.memory.KestraKVStore", "memoryId": "m1", "messages": 3}
    for i in range(3):
        await AIAgent().run(
            ctx, {"provider": provider(), "systemMessage": "S", "prompt": f"p{i}", "memory": memory}
        )
    stored = json.loads(ctx.kv.data[("company.whatsapp", "m1")])
    assert [m["type"] for m in stored] == ["SYSTEM", "USER", "AI"] and stored[1]["contents"][0][
        "text"
    ] == "p2"
    redis = {"type": "io.kestra.plugin.ai.memory.Redis", "host": "x"}
    assert "memory" in AIAgent.problems({"provider": provider(), "prompt": "x", "memory": redis})[0]


def test_flow_validation_names_what_the_engine_cannot_honour():
    from lab.kestra.engine.validation import validate

    source = """
id: agent
namespace: company.whatsapp
tasks:
  - id: llm
    type: io.kestra.plugin.ai.agent.AIAgent
    prompt: "{{ trigger.body }}"
    provider:
      type: io.kestra.plugin.ai.provider.OpenAI
      apiKey: "{{ secret('LLM_API_KEY') }}"
      modelName: gpt-4o-mini
      baseUrl: "http://127.0.0.1:8765/llm/x/{{ execution.id }}/v1"
    tools:
      - type: io.kestra.plugin.ai.tool.GoogleCustomWebSearch
"""
    messages = [p.message for p in validate(source)]
    assert any(
        "task `llm`" in m and "`tools`: tools are not supported by the embedded engine" in m
        for m in messages
    ), messages
    ok = source.split("    tools:")[0]
    assert [p.message for p in validate(ok)] == []
