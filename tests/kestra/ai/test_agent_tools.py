"""AIAgent tools on the embedded engine: KestraFlow and KestraTask, the tool loop, its limit and failures.

The model is a stub OpenAI-compatible server (in-process) answering from a script and recording each
request; a second in-process app plays a shop's order API for the HTTP task tools.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

import httpx
import pytest

from lab.kestra.engine import Engine

PROVIDER = """
    provider:
      type: io.kestra.plugin.ai.provider.OpenAI
      apiKey: test-key
      modelName: gpt-4o-mini
      baseUrl: http://llm.test/v1
"""

CHECK_ORDER = """id: check_order
namespace: company.shop
description: Look up where an order is
inputs:
  - id: order
    type: STRING
  - id: channel
    type: STRING
    defaults: whatsapp
tasks:
  - id: find
    type: io.kestra.plugin.core.output.OutputValues
    values:
      status: "order {{ inputs.order }} shipped via {{ inputs.channel }}"
outputs:
  - id: status
    type: STRING
    value: "{{ outputs.find.values.status }}"
"""


NOTE_TOOL = """\
    - type: io.kestra.plugin.ai.tool.KestraTask
      tasks:
        - id: note
          type: io.kestra.plugin.core.debug.Return
          format: "..."
    """


def call(name: str, args: Any, cid: str = "call_1") -> dict[str, Any]:
    return {"tool_call": {"id": cid, "name": name, "arguments": args}}


class Stub:
    """The model and the shop: `/v1/chat/completions` answers the next scripted reply (the last one
    repeats); `/orders/<n>` answers a JSON order, `/orders/500` a server error."""

    def __init__(self, replies: list[Any], usage: list[tuple[int, int]] | None = None) -> None:
        self.replies, self.usage, self.requests = replies, usage, []

    def reply(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "shop.test":
            number = request.url.path.rsplit("/", 1)[-1]
            if number == "500":
                return httpx.Response(500, json={"error": "database down"})
            return httpx.Response(200, json={"order": number, "status": "shipped"})
        body = json.loads(request.content)
        self.requests.append(body)
        n = len(self.requests) - 1
        item = self.replies[min(n, len(self.replies) - 1)]
        if isinstance(item, dict) and "tool_call" in item:
            tc = item["tool_call"]
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": tc["id"],
                        "type": "function",
                        "function": {"name": tc["name"], "arguments": json.dumps(tc["arguments"])},
                    }
                ],
            }
            finish = "tool_calls"
        else:
            message, finish = {"role": "assistant", "content": item}, "stop"
        inp, out = (self.usage or [(10, 5)])[min(n, len(self.usage or [0]) - 1)]
        return httpx.Response(
            200,
            json={
                "id": f"chatcmpl-{n}",
                "object": "chat.completion",
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": {
                    "prompt_tokens": inp,
                    "completion_tokens": out,
                    "total_tokens": inp + out,
                },
            },
        )

    def engine(self) -> Engine:
        return Engine(http=httpx.AsyncClient(transport=httpx.MockTransport(self.reply)))


def agent_flow(tools: str, extra: str = "", prompt: str = "Where is my order 42?") -> str:
    return (
        f"id: agent\nnamespace: company.whatsapp\nlabels:\n  team: sales\ntasks:\n  - id: agent\n"
        f'    type: io.kestra.plugin.ai.agent.AIAgent\n    prompt: "{prompt}"\n'
        + PROVIDER[1:]
        + textwrap.indent(textwrap.dedent(extra), "    ")
        + "    tools:\n"
        + textwrap.indent(textwrap.dedent(tools), "      ")
    )


async def run(engine: Engine, source: str) -> Any:
    f = engine.deploy(source)
    x = await engine.start(f.namespace, f.id)
    return await engine.wait(x.id, timeout=10)


def task_run(x: Any, task_id: str = "agent") -> Any:
    return next(t for t in x.task_runs if t.task_id == task_id)


def errors(engine: Engine, x: Any) -> str:
    return "\n".join(e.message for e in engine.logs(x.id) if e.level == "ERROR")


async def test_kestra_flow_tool_starts_the_flow_and_the_model_reads_the_new_execution():
    stub = Stub(
        [
            call(
                "kestra_flow_company_shop_check_order", {"inputs": [{"id": "order", "value": "42"}]}
            ),
            "Your order 42 is on its way.",
        ],
        usage=[(100, 20), (150, 12)],
    )
    engine = stub.engine()
    engine.deploy(CHECK_ORDER)
    x = await run(
        engine,
        agent_flow("""\
        - type: io.kestra.plugin.ai.tool.KestraFlow
          namespace: company.shop
          flowId: check_order
        """),
    )
    tr = task_run(x)
    assert x.state.current == "SUCCESS", errors(engine, x)
    # How the flow is described to the model (KestraFlow.tool, defined flow).
    (spec,) = stub.requests[0]["tools"]
    assert spec["function"]["name"] == "kestra_flow_company_shop_check_order"
    assert (
        spec["function"]["description"]
        == "This tool executes a Kestra flow and outputs the execution details."
    )
    params = spec["function"]["parameters"]
    assert params["description"] == "Look up where an order is" and params["required"] == ["inputs"]
    assert list(params["properties"]) == ["labels", "scheduleDate", "inputs"]
    # The second request carries the assistant's call and the tool's result.
    assistant, result = stub.requests[1]["messages"][-2:]
    assert (
        assistant["tool_calls"][0]["id"] == "call_1"
        and result["role"] == "tool"
        and result["tool_call_id"] == "call_1"
    )
    created = json.loads(result["content"])
    assert (created["namespace"], created["flowId"], created["state"]["current"]) == (
        "company.shop",
        "check_order",
        "CREATED",
    )
    assert created["inputs"] == {"order": "42", "channel": "whatsapp"} and created["url"].endswith(
        created["id"]
    )
    labels = {lb["key"]: lb["value"] for lb in created["labels"]}
    assert (
        labels["system.correlationId"] == x.id and "team" not in labels
    )  # labels not inherited by default
    # The agent's outputs record the tool execution.
    out = tr.outputs
    assert out["textOutput"] == "Your order 42 is on its way." and out["finishReason"] == "STOP"
    (execution,) = out["toolExecutions"]
    assert (
        execution["requestName"] == "kestra_flow_company_shop_check_order"
        and execution["requestId"] == "call_1"
    )
    assert execution["requestArguments"] == {"inputs": [{"id": "order", "value": "42"}]}
    assert execution["result"] == result["content"]
    (step,) = out["intermediateResponses"]
    assert (
        step["finishReason"] == "TOOL_EXECUTION"
        and step["toolExecutionRequests"][0]["name"] == execution["requestName"]
    )
    assert step["tokenUsage"] == {
        "inputTokenCount": 100,
        "outputTokenCount": 20,
        "totalTokenCount": 120,
    }
    # Token usage summed over both calls, in the outputs and the metrics the cost panel reads.
    assert out["tokenUsage"] == {
        "inputTokenCount": 250,
        "outputTokenCount": 32,
        "totalTokenCount": 282,
    }
    metrics = {(m.name, tuple(m.tags.items())): m.value for m in engine.metrics(x.id)}
    assert metrics[("input.token.count", ())] == 250 and metrics[("total.token.count", ())] == 282
    assert metrics[("ai.agent.tool.calls", (("tool", "io.kestra.plugin.ai.tool.KestraFlow"),))] == 1
    # The started flow runs on its own and ends with its outputs.
    child = await engine.wait(created["id"], timeout=10)
    assert child.state.current == "SUCCESS" and child.outputs == {
        "status": "order 42 shipped via whatsapp"
    }
    assert child.parent_id is None  # an execution created as through the API, not a subflow
    await engine.aclose()


async def test_generic_kestra_flow_tool_lets_the_model_choose_the_flow_and_labels():
    stub = Stub(
        [
            call(
                "kestra_flow",
                {
                    "namespace": "company.shop",
                    "flowId": "check_order",
                    "inputs": [{"id": "order", "value": "7"}],
                    "labels": [{"key": "team", "value": "bot"}],
                },
            ),
            "Done.",
        ]
    )
    engine = stub.engine()
    engine.deploy(CHECK_ORDER)
    x = await run(
        engine,
        agent_flow("""\
        - type: io.kestra.plugin.ai.tool.KestraFlow
          inheritLabels: true
          labels:
            origin: agent
        """),
    )
    assert x.state.current == "SUCCESS", errors(engine, x)
    params = stub.requests[0]["tools"][0]["function"]["parameters"]
    assert params["required"] == ["namespace", "flowId"] and "revision" in params["properties"]
    created = json.loads(stub.requests[1]["messages"][-1]["content"])
    assert (created["namespace"], created["flowId"], created["inputs"]["order"]) == (
        "company.shop",
        "check_order",
        "7",
    )
    labels = {lb["key"]: lb["value"] for lb in created["labels"]}
    assert (
        labels["team"] == "bot" and labels["origin"] == "agent"
    )  # the model's labels win over inherited ones
    await engine.wait(created["id"], timeout=10)
    await engine.aclose()


async def test_kestra_task_tools_fill_the_placeholders_and_return_the_task_outputs():
    stub = Stub(
        [
            call("kestra_task_order_api", {"uri": "http://shop.test/orders/42"}),
            call("kestra_task_note", {"format": "checked 42"}, "call_2"),
            "Order 42 shipped.",
        ]
    )
    engine = stub.engine()
    x = await run(
        engine,
        agent_flow("""\
        - type: io.kestra.plugin.ai.tool.KestraTask
          tasks:
            - id: order_api
              type: io.kestra.plugin.core.http.Request
              uri: "..."
            - id: note
              type: io.kestra.plugin.core.debug.Return
              format: "..."
        """),
    )
    assert x.state.current == "SUCCESS", errors(engine, x)
    specs = {t["function"]["name"]: t["function"] for t in stub.requests[0]["tools"]}
    assert specs["kestra_task_order_api"]["parameters"]["properties"] == {"uri": {"type": "string"}}
    assert specs["kestra_task_order_api"]["parameters"]["required"] == ["uri"]
    assert specs["kestra_task_note"]["parameters"]["required"] == []  # optional, asked for by "..."
    assert specs["kestra_task_note"]["description"].startswith(
        "This tool allows you to call a Kestra task."
    )
    first = json.loads(stub.requests[1]["messages"][-1]["content"])
    assert first["code"] == 200 and json.loads(first["body"]) == {
        "order": "42",
        "status": "shipped",
    }
    assert json.loads(stub.requests[2]["messages"][-1]["content"]) == {"value": "checked 42"}
    out = task_run(x).outputs
    assert [e["requestName"] for e in out["toolExecutions"]] == [
        "kestra_task_order_api",
        "kestra_task_note",
    ]
    assert len(out["intermediateResponses"]) == 2 and out["textOutput"] == "Order 42 shipped."
    await engine.aclose()


@pytest.mark.parametrize(
    "limit,replies,state,calls",
    [
        (
            2,
            ["tool", "tool", "Done"],
            "FAILED",
            3,
        ),  # the 3rd reply is read after 2 round trips: over the limit
        (2, ["tool", "Done"], "SUCCESS", 2),
        (
            1,
            ["tool", "Done"],
            "FAILED",
            2,
        ),  # langchain4j counts every reply, the final one included
    ],
)
async def test_max_sequential_tools_invocations(limit, replies, state, calls):
    script = [call("kestra_task_note", {"format": "x"}) if r == "tool" else r for r in replies]
    stub = Stub(script)
    engine = stub.engine()
    x = await run(engine, agent_flow(NOTE_TOOL, extra=f"maxSequentialToolsInvocations: {limit}\n"))
    assert x.state.current == state and len(stub.requests) == calls
    if state == "FAILED":
        assert f"Something is wrong, exceeded {limit} tool calling round trips" in errors(engine, x)
    await engine.aclose()


@pytest.mark.parametrize(
    "tools,reply,expected",
    [
        (
            """\
        - type: io.kestra.plugin.ai.tool.KestraTask
          tasks:
            - id: order_api
              type: io.kestra.plugin.core.http.Request
              uri: "..."
        """,
            call("kestra_task_order_api", {"uri": "http://shop.test/orders/500"}),
            "An error occurred during tool execution for tool kestra_task_order_api with request ID call_1",
        ),
        (
            """\
        - type: io.kestra.plugin.ai.tool.KestraFlow
          namespace: company.shop
          flowId: check_order
        """,
            call("kestra_flow_company_shop_check_order", {}),
            "You need to provide an input with the id 'order'.",
        ),
        (
            """\
        - type: io.kestra.plugin.ai.tool.KestraFlow
          namespace: company.shop
          flowId: missing
          description: a flow that is not deployed
        """,
            "never asked",
            "Unable to find flow 'missing' in namespace 'company.shop'",
        ),
        (
            """\
        - type: io.kestra.plugin.ai.tool.KestraFlow
        """,
            call("cancel_order", {}),
            "The LLM is trying to execute the 'cancel_order' tool, but no such tool exists",
        ),
    ],
)
async def test_a_failing_tool_fails_the_agent(tools, reply, expected):
    stub = Stub([reply, "unreachable"])
    engine = stub.engine()
    engine.deploy(CHECK_ORDER)
    started: set[str] = set()
    engine.subscribe(
        lambda event: event.execution is not None and started.add(event.execution.flow_id)
    )
    x = await run(engine, agent_flow(tools))
    assert x.state.current == "FAILED" and expected in errors(engine, x), errors(engine, x)
    assert "agent" in started and "check_order" not in started  # no flow started by a failed call
    assert len(stub.requests) == (
        0 if reply == "never asked" else 1
    )  # the model is not asked again
    await engine.aclose()


async def test_memory_keeps_the_tool_calls_of_a_turn():
    stub = Stub([call("kestra_task_note", {"format": "42 ok"}), "Shipped.", "You asked about 42."])
    engine = stub.engine()
    source = agent_flow(
        NOTE_TOOL,
        extra="memory:\n  type: io.kestra.plugin.ai.memory.KestraKVStore\n  memoryId: wa-5511\n",
    )
    first = await run(engine, source)
    assert first.state.current == "SUCCESS", errors(engine, first)
    stored = json.loads(engine.kv.get("company.whatsapp", "wa-5511"))
    assert [m["type"] for m in stored] == ["USER", "AI", "TOOL_EXECUTION_RESULT", "AI"]
    assert (
        stored[1]["toolExecutionRequests"][0]["name"] == "kestra_task_note"
        and stored[2]["toolName"] == "kestra_task_note"
    )
    second = await run(engine, source)
    assert second.state.current == "SUCCESS"
    sent = stub.requests[2]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool", "assistant", "user"]
    assert sent[2] == {"role": "tool", "tool_call_id": "call_1", "content": '{"value":"42 ok"}'}
    await engine.aclose()


def test_validation_accepts_the_supported_tools_and_names_the_others():
    from lab.kestra.engine.validation import validate

    ok = agent_flow("""\
        - type: io.kestra.plugin.ai.tool.KestraFlow
          namespace: company.shop
          flowId: check_order
        - type: io.kestra.plugin.ai.tool.KestraTask
          tasks:
            - id: order_api
              type: io.kestra.plugin.core.http.Request
              uri: "..."
        """)
    assert [p.message for p in validate(ok)] == []
    bad = agent_flow("""\
        - type: io.kestra.plugin.ai.tool.TavilyWebSearch
          apiKey: x
        - type: io.kestra.plugin.ai.tool.KestraFlowCalling
        - type: com.acme.ai.MyTool
        - type: io.kestra.plugin.ai.tool.KestraFlow
          namespace: company.shop
        - type: io.kestra.plugin.ai.tool.KestraTask
          tasks:
            - id: sub
              type: io.kestra.plugin.core.flow.Subflow
              namespace: a
              flowId: b
            - id: q
              type: io.kestra.plugin.jdbc.postgresql.Query
            - id: lg
              type: io.kestra.plugin.core.log.Log
              mesage: typo
        """)
    text = "\n".join(p.message for p in validate(bad))
    assert (
        "tools[0] is io.kestra.plugin.ai.tool.TavilyWebSearch, which exists in plugin-ai but runs only inside Kestra"
        in text
    )
    assert (
        "tools[1]: io.kestra.plugin.ai.tool.KestraFlowCalling was renamed io.kestra.plugin.ai.tool.KestraFlow"
        in text
    )
    assert "tools[2]: 'com.acme.ai.MyTool' is not a plugin-ai tool" in text
    assert "Flow ID must be specified when you set the namespace" in text
    assert "'sub' is not a runnable task" in text
    assert (
        "tools[4].tasks[1]: io.kestra.plugin.jdbc.postgresql.Query is not supported by the embedded engine"
        in text
    )
    assert "unknown property `mesage`" in text


async def test_the_lab_gateway_in_scripted_mode_plays_the_tool_loop():
    from lab.llm.gateway import LLMGateway
    from lab.llm.scripted import ScriptedReplies

    key = "walab-ai-task-key-0123456789abcdef"
    gw = LLMGateway(mode="scripted", key=key)
    gw.script(
        ScriptedReplies(
            [
                {
                    "tool_call": {
                        "name": "kestra_task_note",
                        "arguments": {"format": "pedido 42 enviado"},
                    }
                },
                "Seu pedido 42 foi enviado.",
            ]
        )
    )
    engine = Engine(http=httpx.AsyncClient(transport=httpx.ASGITransport(app=gw.app)))
    source = (
        agent_flow(NOTE_TOOL)
        .replace("apiKey: test-key", f"apiKey: {key}")
        .replace("baseUrl: http://llm.test/v1", 'baseUrl: "http://lab/x/{{ execution.id }}/v1"')
    )
    x = await run(engine, source)
    assert x.state.current == "SUCCESS", errors(engine, x)
    out = task_run(x).outputs
    assert (
        out["textOutput"] == "Seu pedido 42 foi enviado."
        and out["toolExecutions"][0]["result"] == '{"value":"pedido 42 enviado"}'
    )
    first, second = gw.calls(x.id)
    assert second.request["messages"][-1]["role"] == "tool"
    assert out["tokenUsage"]["totalTokenCount"] == sum(
        c.response["usage"]["total_tokens"] for c in (first, second)
    )
    await engine.aclose()


async def test_chat_completion_runs_the_same_tool_loop():
    stub = Stub([call("kestra_task_note", {"format": "42 ok"}), "Order 42 is fine."])
    engine = stub.engine()
    source = (
        "id: chat\nnamespace: company.whatsapp\ntasks:\n  - id: agent\n"
        "    type: io.kestra.plugin.ai.completion.ChatCompletion\n    messages:\n"
        "      - type: USER\n        content: Is order 42 fine?\n"
        + PROVIDER[1:]
        + "    tools:\n"
        + textwrap.indent(textwrap.dedent(NOTE_TOOL), "      ")
    )
    x = await run(engine, source)
    assert x.state.current == "SUCCESS", errors(engine, x)
    out = task_run(x).outputs
    assert out["aiResponse"] == out["textOutput"] == "Order 42 is fine." and len(stub.requests) == 2
    assert [e["result"] for e in out["toolExecutions"]] == ['{"value":"42 ok"}']
    assert [m["role"] for m in stub.requests[1]["messages"]] == ["user", "assistant", "tool"]
    await engine.aclose()
