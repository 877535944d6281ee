"""io.kestra.plugin.ai ChatCompletion and AIAgent, on any OpenAI-compatible `/chat/completions`.

The embedded engine posts the request itself (one plain httpx POST through `ctx.http`, no SDK on
the hot path) to `{provider.baseUrl}/chat/completions`, which in the lab is the LLM gateway, and
returns the outputs plugin-ai returns: `textOutput` (or `jsonOutput` for the JSON response
format), `tokenUsage`, `finishReason`, `toolExecutions`, `intermediateResponses`,
`requestDuration`, `sources`, `guardrailViolated` (null fields left out, as Kestra serialises them),
and publishes plugin-ai's token counters `input.token.count`, `output.token.count`, `total.token.count`.

Supported: the OpenAI provider (any OpenAI-compatible server via `baseUrl`), `configuration`
temperature / topP / seed / maxToken / responseFormat, ChatCompletion `messages` (text content),
AIAgent `systemMessage` / `prompt` / `maxSequentialToolsInvocations`, KestraKVStore `memory` (ai_memory.py)
and the KestraFlow and KestraTask `tools` (ai_tools.py), run in langchain4j's loop: the tool calls of a
reply are run, their results sent back, until the model answers. The other tools, content retrievers,
guardrails, observability, thinking and PEM settings run inside Kestra's JVM and are reported by
`problems()` rather than skipped.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from lab.kestra.engine.tasks import ai_tools
from lab.kestra.engine.tasks.ai_memory import AI, ON_REAL_KESTRA, KVMemory, is_expr
from lab.kestra.engine.tasks.base import Prop, RunnableTask, TaskFailed, register

PROVIDERS = {AI + "provider.OpenAI", "io.kestra.plugin.langchain4j.provider.OpenAI"}
DEFAULT_BASE_URL = "https://api.openai.com/v1"  # langchain4j OpenAiUtils.DEFAULT_OPENAI_URL
PROVIDER_KEYS = {"type", "modelName", "apiKey", "baseUrl"}
CONFIG_KEYS = {
    "temperature",
    "topP",
    "seed",
    "maxToken",
    "responseFormat",
    "logRequests",
    "logResponses",
    "promptCaching",
}
FINISH = {
    "stop": "STOP",
    "length": "LENGTH",
    "tool_calls": "TOOL_EXECUTION",
    "function_call": "TOOL_EXECUTION",
    "content_filter": "CONTENT_FILTER",
}
ROLES = {"SYSTEM": "system", "USER": "user", "AI": "assistant"}
DEFAULT_ROUND_TRIPS = (
    100  # langchain4j ToolService.maxToolCallingRoundTrips (ChatCompletion sets none)
)
AGENT_ROUND_TRIPS = 2**31 - 1  # AIAgent: maxSequentialToolsInvocations unset is Integer.MAX_VALUE


def _problems_common(props: dict[str, Any]) -> list[str]:
    out: list[str] = []
    provider = props.get("provider")
    if not isinstance(provider, dict):
        return ["`provider` must be a mapping with type, modelName, apiKey and baseUrl"]
    ptype = provider.get("type")
    if ptype not in PROVIDERS:
        out.append(
            f"provider {ptype!r} is not supported by the embedded engine; use io.kestra.plugin.ai.provider.OpenAI "
            f"with `baseUrl` for any OpenAI-compatible server (Ollama, vLLM, the lab's gateway), or "
            f"{ON_REAL_KESTRA}"
        )
    for key in ("modelName", "apiKey"):
        if not provider.get(key):
            out.append(f"provider needs `{key}`")
    for key in sorted(set(provider) - PROVIDER_KEYS):
        out.append(
            f"provider property `{key}` is not supported by the embedded engine; {ON_REAL_KESTRA}"
        )
    config = props.get("configuration") or {}
    if isinstance(config, dict):
        if "topK" in config:
            out.append("configuration.topK: OpenAI models do not support topK")
        for key in sorted(set(config) - CONFIG_KEYS - {"topK"}):
            out.append(
                f"configuration.{key} is not supported by the embedded engine; {ON_REAL_KESTRA}"
            )
        fmt = config.get("responseFormat")
        if (
            isinstance(fmt, dict)
            and str(fmt.get("type", "TEXT")).upper() not in ("TEXT", "JSON")
            and not is_expr(fmt.get("type"))
        ):
            out.append(
                f"configuration.responseFormat.type must be TEXT or JSON, not {fmt.get('type')!r}"
            )
    out += ai_tools.problems(props.get("tools"))
    for key, what in (
        ("guardrails", "guardrails"),
        ("contentRetrievers", "content retrievers"),
        ("observability", "observability"),
        ("outputFiles", "output files"),
    ):
        if props.get(key):
            out.append(
                f"`{key}`: {what} are not supported by the embedded engine; {ON_REAL_KESTRA}"
            )
    return out


class _AITask(RunnableTask):
    """Shared request building and output shaping."""

    @classmethod
    def problems(cls, props: dict[str, Any]) -> list[str]:
        """What the embedded engine cannot honour in these (unrendered) properties."""
        return _problems_common(props)

    async def _complete(
        self,
        ctx: Any,
        props: dict[str, Any],
        messages: list[dict[str, Any]],
        limit: int = DEFAULT_ROUND_TRIPS,
    ) -> dict[str, Any]:
        """Ask the model, running the tools it calls until it answers (langchain4j's AiServices loop)."""
        provider = ctx.render(props["provider"])
        config = ctx.render(props.get("configuration") or {})
        model = str(provider.get("modelName") or "")
        base = str(provider.get("baseUrl") or DEFAULT_BASE_URL).rstrip("/")
        body: dict[str, Any] = {"model": model, "messages": messages}
        for key, name, conv in (
            ("temperature", "temperature", float),
            ("topP", "top_p", float),
            ("seed", "seed", int),
            ("maxToken", "max_tokens", int),
        ):
            if config.get(key) is not None:
                try:
                    body[name] = conv(config[key])
                except (TypeError, ValueError):
                    raise TaskFailed(
                        f"configuration.{key} must be a number, got {config[key]!r}"
                    ) from None
        json_format = self._response_format(config, body)
        tools = ai_tools.build(ctx, props["tools"]) if props.get("tools") else {}
        if tools:
            body["tools"] = [tool.spec for tool in tools.values()]
        post = _Poster(ctx, base + "/chat/completions", str(provider.get("apiKey", "")), model)
        reply = await post(body)
        usage, added, executions, intermediate = reply["usage"], [], [], []
        left = limit
        while True:
            if left == 0:  # checked before each reply is read, as langchain4j's ToolService does
                raise TaskFailed(
                    f"Something is wrong, exceeded {limit} tool calling round trips "
                    f"(maxToolCallingRoundTrips)"
                )
            left -= 1
            message = {
                k: v for k, v in reply["message"].items() if k in ("role", "content", "tool_calls")
            }
            added.append({"role": "assistant", **message})
            calls = message.get("tool_calls") or []
            if (
                not calls or not tools
            ):  # no tools configured: the reply is the answer (finishReason says it)
                break
            intermediate.append(_intermediate(reply))
            for call in calls:
                result = await _call_tool(ctx, tools, call)
                executions.append(
                    {
                        "requestId": call.get("id"),
                        "requestName": (call.get("function") or {}).get("name"),
                        "requestArguments": _arguments(call),
                        "result": result,
                    }
                )
                added.append({"role": "tool", "tool_call_id": call.get("id"), "content": result})
            reply = await post({**body, "messages": messages + added})
            usage = _sum_usage(usage, reply["usage"])
        content = reply["message"].get("content")
        out: dict[str, Any] = {}
        if json_format:
            try:
                parsed = json.loads(content or "")
            except ValueError:
                raise TaskFailed(
                    f"the JSON response format was asked but the model answered text that is not JSON: "
                    f"{(content or '')[:300]!r}"
                ) from None
            if not isinstance(parsed, dict):
                raise TaskFailed(
                    f"the JSON response format needs a JSON object, the model answered {content[:300]!r}"
                )
            out["jsonOutput"] = parsed
        elif content is not None:
            out["textOutput"] = content
        if usage:
            out["tokenUsage"] = usage
            _send_metrics(ctx, usage)
        out["finishReason"] = reply["finish"]
        out["toolExecutions"] = executions
        out["intermediateResponses"] = intermediate
        out["requestDuration"] = reply["duration"]
        out["sources"] = []
        out["guardrailViolated"] = False
        out["_messages"] = added  # taken out by the caller (memory keeps them)
        return out

    @staticmethod
    def _response_format(config: dict[str, Any], body: dict[str, Any]) -> bool:
        fmt = config.get("responseFormat")
        if not isinstance(fmt, dict) or str(fmt.get("type", "TEXT")).upper() != "JSON":
            if isinstance(fmt, dict) and fmt.get("jsonSchema"):
                raise TaskFailed("`jsonSchema` property is only allowed when `type` is `JSON`")
            return False
        schema = fmt.get("jsonSchema")
        if schema:
            if fmt.get("jsonSchemaDescription") and isinstance(schema, dict):
                schema = {**schema, "description": fmt["jsonSchemaDescription"]}
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": "output",
                    "strict": bool(fmt.get("strictJson", False)),
                    "schema": schema,
                },
            }
        else:
            body["response_format"] = {"type": "json_object"}
        return True


# AIUtils.sendMetrics: three untagged counters, a missing count published as 0.
TOKEN_METRICS = (
    ("input.token.count", "inputTokenCount"),
    ("output.token.count", "outputTokenCount"),
    ("total.token.count", "totalTokenCount"),
)


def _send_metrics(ctx: Any, usage: dict[str, Any]) -> None:
    publish = getattr(ctx, "metric", None)
    if publish is None:  # a bare context (unit tests of the task alone)
        return
    for name, key in TOKEN_METRICS:
        value = usage.get(key)
        publish(
            name,
            "counter",
            value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0,
        )


def _error_text(resp: httpx.Response) -> str:
    try:
        data = resp.json()
    except ValueError:
        return resp.text[:500] or resp.reason_phrase
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return str(data["error"].get("message") or data["error"])
    return resp.text[:500]


class _Poster:
    """One `/chat/completions` POST per call, read into the reply fields the outputs need."""

    def __init__(self, ctx: Any, url: str, key: str, model: str) -> None:
        self.ctx, self.url, self.key, self.model = ctx, url, key, model

    async def __call__(self, body: dict[str, Any]) -> dict[str, Any]:
        url, ctx = self.url, self.ctx
        started = time.perf_counter()
        try:
            resp = await ctx.http.post(
                url, json=body, headers={"Authorization": f"Bearer {self.key}"}, timeout=120.0
            )
        except httpx.HTTPError as exc:
            raise TaskFailed(
                f"could not reach the LLM provider at {url}: {exc.__class__.__name__}: {exc}"
            ) from None
        duration = int((time.perf_counter() - started) * 1000)
        if resp.status_code >= 400:
            raise TaskFailed(
                f"the LLM provider at {url} answered HTTP {resp.status_code}: {_error_text(resp)}",
                outputs={"code": resp.status_code},
            )
        try:
            data = resp.json()
            choice = data["choices"][0]
            message = choice.get("message") or {}
        except (ValueError, KeyError, IndexError, TypeError):
            raise TaskFailed(
                f"the LLM provider at {url} answered something that is not a chat completion: "
                f"{resp.text[:300]!r}"
            ) from None
        raw = data.get("usage") or {}
        ctx.log(
            "DEBUG",
            f"LLM {self.model}: {raw.get('prompt_tokens')} input / {raw.get('completion_tokens')} output "
            f"tokens in {duration} ms",
        )
        usage = None
        if raw:
            inp, outp = raw.get("prompt_tokens"), raw.get("completion_tokens")
            usage = {
                "inputTokenCount": inp,
                "outputTokenCount": outp,
                "totalTokenCount": raw.get("total_tokens", (inp or 0) + (outp or 0)),
            }
        return {
            "id": data.get("id"),
            "message": message,
            "usage": usage,
            "duration": duration,
            "finish": FINISH.get(str(choice.get("finish_reason")), "OTHER"),
        }


def _sum_usage(a: dict[str, Any] | None, b: dict[str, Any] | None) -> dict[str, Any] | None:
    """langchain4j's TokenUsage.sum: field by field, a missing count left out of the sum."""
    if a is None or b is None:
        return a or b
    return {
        k: (a.get(k) or 0) + (b.get(k) or 0)
        if a.get(k) is not None or b.get(k) is not None
        else None
        for k in a
    }


def _arguments(call: dict[str, Any]) -> Any:
    """AIUtils.parseJson on a tool call's arguments (blank is an empty map)."""
    raw = (call.get("function") or {}).get("arguments")
    if isinstance(raw, dict) or raw is None:
        return raw or {}
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise TaskFailed(
            f"the model called tool {(call.get('function') or {}).get('name')!r} with arguments that "
            f"are not JSON: {raw[:300]!r}"
        ) from None


def _intermediate(reply: dict[str, Any]) -> dict[str, Any]:
    """An AIOutput.AIResponse: a reply that asked for tools."""
    message = reply["message"]
    out = {
        "id": reply["id"],
        "completion": message.get("content"),
        "tokenUsage": reply["usage"],
        "finishReason": reply["finish"],
        "toolExecutionRequests": [
            {
                "id": c.get("id"),
                "name": (c.get("function") or {}).get("name"),
                "arguments": _arguments(c),
            }
            for c in message.get("tool_calls") or []
        ],
        "requestDuration": reply["duration"],
    }
    return {k: v for k, v in out.items() if v is not None}


async def _call_tool(ctx: Any, tools: dict[str, ai_tools.Tool], call: dict[str, Any]) -> str:
    """Run one tool call; a failure fails the task (plugin-ai's toolExecutionErrorHandler rethrows)."""
    name, rid = (call.get("function") or {}).get("name"), call.get("id")
    tool = tools.get(str(name))
    if tool is None:
        raise TaskFailed(
            f"The LLM is trying to execute the '{name}' tool, but no such tool exists. Most likely, it is "
            f"a hallucination. (tools: {', '.join(tools)})"
        )
    if getattr(ctx, "metric", None) is not None:
        ctx.metric("ai.agent.tool.calls", "counter", 1, {"tool": tool.provider})
    try:
        args = _arguments(call)
        return await tool.execute(args if isinstance(args, dict) else {})
    except Exception as exc:  # noqa: BLE001 - any tool failure ends the agent, with its message
        ctx.log(
            "ERROR",
            f"An error occurred during tool execution for tool {name} with request ID {rid}",
        )
        raise TaskFailed(f"tool {name} (request {rid}) failed: {exc}") from None


@register
class ChatCompletion(_AITask):
    """A chat turn from a message list (at most one SYSTEM; the last must be USER)."""

    TYPE = AI + "completion.ChatCompletion"
    ALIASES = (
        "io.kestra.plugin.langchain4j.ChatCompletion",
        "io.kestra.plugin.langchain4j.completion.ChatCompletion",
    )
    PROPERTIES = {
        "messages": Prop("any", required=True),
        "provider": Prop("map", required=True),
        "configuration": Prop("map"),
        "tools": Prop("list"),
        "guardrails": Prop("map"),
        "observability": Prop("map"),
    }

    @classmethod
    def problems(cls, props: dict[str, Any]) -> list[str]:
        out = _problems_common(props)
        messages = props.get("messages")
        if isinstance(messages, list):
            for i, m in enumerate(messages):
                if isinstance(m, dict) and m.get("contentBlocks"):
                    out.append(
                        f"messages[{i}].contentBlocks (images, PDFs) are not supported by the embedded engine; "
                        f"{ON_REAL_KESTRA}"
                    )
        elif messages is not None and not is_expr(messages):
            out.append("`messages` must be a list of {type: SYSTEM|USER|AI, content}")
        return out

    async def run(self, ctx: Any, props: dict[str, Any]) -> dict[str, Any]:
        problems = self.problems(props)
        if problems:
            raise TaskFailed("; ".join(problems))
        rendered = ctx.render(props["messages"])
        if not isinstance(rendered, list) or not rendered:
            raise TaskFailed(
                "`messages` must be a non-empty list of {type: SYSTEM|USER|AI, content}"
            )
        messages = []
        for i, m in enumerate(rendered):
            kind = str((m or {}).get("type", "")).upper() if isinstance(m, dict) else ""
            if kind not in ROLES:
                raise TaskFailed(
                    f"messages[{i}].type must be SYSTEM, USER or AI, not {(m or {}).get('type')!r}"
                    if isinstance(m, dict)
                    else f"messages[{i}] must be a mapping with type and content"
                )
            messages.append(
                {
                    "role": ROLES[kind],
                    "content": "" if m.get("content") is None else str(m["content"]),
                }
            )
        if sum(1 for m in messages if m["role"] == "system") > 1:
            raise TaskFailed("Only one system message is allowed")
        if messages[-1]["role"] != "user":
            raise TaskFailed("The last message must be a user message")
        # langchain4j puts the system message first whatever its position in the list.
        messages.sort(key=lambda m: m["role"] != "system")
        out = await self._complete(ctx, props, messages)
        out.pop("_messages")
        if "textOutput" in out:
            out = {"aiResponse": out["textOutput"], **out}  # deprecated output plugin-ai still sets
        return out


@register
class AIAgent(_AITask):
    """An agent turn: `systemMessage` + `prompt`, with conversation memory in Kestra's KV store."""

    TYPE = AI + "agent.AIAgent"
    PROPERTIES = {
        "prompt": Prop("string", required=True),
        "systemMessage": Prop("string"),
        "provider": Prop("map", required=True),
        "configuration": Prop("map"),
        "tools": Prop("list"),
        "maxSequentialToolsInvocations": Prop("int"),
        "contentRetrievers": Prop("list"),
        "memory": Prop("map"),
        "observability": Prop("map"),
        "guardrails": Prop("map"),
        "outputFiles": Prop("list"),
    }

    @classmethod
    def problems(cls, props: dict[str, Any]) -> list[str]:
        return _problems_common(props) + KVMemory.problems(props.get("memory"))

    async def run(self, ctx: Any, props: dict[str, Any]) -> dict[str, Any]:
        problems = self.problems(props)
        if problems:
            raise TaskFailed("; ".join(problems))
        prompt = ctx.render_str(props["prompt"])
        system = (
            ctx.render_str(props["systemMessage"])
            if props.get("systemMessage") is not None
            else None
        )
        memory = KVMemory.open(ctx, props["memory"]) if props.get("memory") else None
        history = memory.messages() if memory else []
        messages = (
            ([{"role": "system", "content": system}] if system else [])
            + history
            + [{"role": "user", "content": prompt}]
        )
        limit = ctx.render(props.get("maxSequentialToolsInvocations"))
        try:
            limit = AGENT_ROUND_TRIPS if limit is None else int(limit)
        except (TypeError, ValueError):
            raise TaskFailed(
                f"maxSequentialToolsInvocations must be an integer, not {limit!r}"
            ) from None
        out = await self._complete(ctx, props, messages, limit)
        added = out.pop("_messages")
        if memory is not None:
            added[-1] = {**added[-1], "content": added[-1].get("content") or ""}
            memory.save(system, [*history, {"role": "user", "content": prompt}, *added])
        return out
