"""io.kestra.plugin.ai ChatCompletion and AIAgent, on any OpenAI-compatible `/chat/completions`.

The embedded engine posts the request itself (one plain httpx POST through `ctx.http`, no SDK on
the hot path) to `{provider.baseUrl}/chat/completions`, which in the lab is the LLM gateway, and
returns the outputs plugin-ai returns: `textOutput` (or `jsonOutput` for the JSON response
format), `tokenUsage`, `finishReason`, `toolExecutions`, `intermediateResponses`,
`requestDuration`, `sources`, `guardrailViolated` (null fields left out, as Kestra serialises them),
and publishes plugin-ai's token counters `input.token.count`, `output.token.count`, `total.token.count`.

Supported: the OpenAI provider (any OpenAI-compatible server via `baseUrl`), `configuration`
temperature / topP / seed / maxToken / responseFormat, ChatCompletion `messages` (text content),
AIAgent `systemMessage` / `prompt` and KestraKVStore `memory`. Tools, content retrievers,
guardrails, observability, thinking and PEM settings run inside Kestra's JVM and are reported by
`problems()` rather than skipped.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from lab.kestra.engine.tasks.base import Prop, RunnableTask, TaskFailed, register

AI = "io.kestra.plugin.ai."
PROVIDERS = {AI + "provider.OpenAI", "io.kestra.plugin.langchain4j.provider.OpenAI"}
DEFAULT_BASE_URL = "https://api.openai.com/v1"  # langchain4j OpenAiUtils.DEFAULT_OPENAI_URL
PROVIDER_KEYS = {"type", "modelName", "apiKey", "baseUrl"}
CONFIG_KEYS = {"temperature", "topP", "seed", "maxToken", "responseFormat", "logRequests", "logResponses",
               "promptCaching"}
FINISH = {"stop": "STOP", "length": "LENGTH", "tool_calls": "TOOL_EXECUTION", "function_call": "TOOL_EXECUTION",
          "content_filter": "CONTENT_FILTER"}
ROLES = {"SYSTEM": "system", "USER": "user", "AI": "assistant"}
ON_REAL_KESTRA = "run this flow on a real Kestra with plugin-ai for it"
MEMORY_TYPES = {AI + "memory.KestraKVStore", AI + "memory.KestraKVMemory", "io.kestra.plugin.langchain4j.memory.KestraKVMemory"}


def _is_expr(value: Any) -> bool:
    return isinstance(value, str) and "{{" in value


def _problems_common(props: dict[str, Any]) -> list[str]:
    out: list[str] = []
    provider = props.get("provider")
    if not isinstance(provider, dict):
        return ["`provider` must be a mapping with type, modelName, apiKey and baseUrl"]
    ptype = provider.get("type")
    if ptype not in PROVIDERS:
        out.append(f"provider {ptype!r} is not supported by the embedded engine; use io.kestra.plugin.ai.provider.OpenAI "
                   f"with `baseUrl` for any OpenAI-compatible server (Ollama, vLLM, the lab's gateway), or "
                   f"{ON_REAL_KESTRA}")
    for key in ("modelName", "apiKey"):
        if not provider.get(key):
            out.append(f"provider needs `{key}`")
    for key in sorted(set(provider) - PROVIDER_KEYS):
        out.append(f"provider property `{key}` is not supported by the embedded engine; {ON_REAL_KESTRA}")
    config = props.get("configuration") or {}
    if isinstance(config, dict):
        if "topK" in config:
            out.append("configuration.topK: OpenAI models do not support topK")
        for key in sorted(set(config) - CONFIG_KEYS - {"topK"}):
            out.append(f"configuration.{key} is not supported by the embedded engine; {ON_REAL_KESTRA}")
        fmt = config.get("responseFormat")
        if isinstance(fmt, dict) and str(fmt.get("type", "TEXT")).upper() not in ("TEXT", "JSON") and not _is_expr(fmt.get("type")):
            out.append(f"configuration.responseFormat.type must be TEXT or JSON, not {fmt.get('type')!r}")
    for key, what in (("tools", "tools"), ("guardrails", "guardrails"), ("contentRetrievers", "content retrievers"),
                      ("observability", "observability"), ("outputFiles", "output files")):
        if props.get(key):
            out.append(f"`{key}`: {what} are not supported by the embedded engine; {ON_REAL_KESTRA}")
    return out


class _AITask(RunnableTask):
    """Shared request building and output shaping."""

    @classmethod
    def problems(cls, props: dict[str, Any]) -> list[str]:
        """What the embedded engine cannot honour in these (unrendered) properties."""
        return _problems_common(props)

    async def _complete(self, ctx: Any, props: dict[str, Any], messages: list[dict[str, Any]]) -> dict[str, Any]:
        provider = ctx.render(props["provider"])
        config = ctx.render(props.get("configuration") or {})
        model = str(provider.get("modelName") or "")
        base = str(provider.get("baseUrl") or DEFAULT_BASE_URL).rstrip("/")
        body: dict[str, Any] = {"model": model, "messages": messages}
        for key, name, conv in (("temperature", "temperature", float), ("topP", "top_p", float),
                                ("seed", "seed", int), ("maxToken", "max_tokens", int)):
            if config.get(key) is not None:
                try:
                    body[name] = conv(config[key])
                except (TypeError, ValueError):
                    raise TaskFailed(f"configuration.{key} must be a number, got {config[key]!r}") from None
        json_format = self._response_format(config, body)
        url = base + "/chat/completions"
        started = time.perf_counter()
        try:
            resp = await ctx.http.post(url, json=body, headers={"Authorization": f"Bearer {provider.get('apiKey', '')}"},
                                       timeout=120.0)
        except httpx.HTTPError as exc:
            raise TaskFailed(f"could not reach the LLM provider at {url}: {exc.__class__.__name__}: {exc}") from None
        duration = int((time.perf_counter() - started) * 1000)
        if resp.status_code >= 400:
            raise TaskFailed(f"the LLM provider at {url} answered HTTP {resp.status_code}: {_error_text(resp)}",
                             outputs={"code": resp.status_code})
        try:
            data = resp.json()
            choice = data["choices"][0]
            message = choice.get("message") or {}
        except (ValueError, KeyError, IndexError, TypeError):
            raise TaskFailed(f"the LLM provider at {url} answered something that is not a chat completion: "
                             f"{resp.text[:300]!r}") from None
        usage = data.get("usage") or {}
        content = message.get("content")
        out: dict[str, Any] = {}
        if json_format:
            try:
                parsed = json.loads(content or "")
            except ValueError:
                raise TaskFailed(f"the JSON response format was asked but the model answered text that is not JSON: "
                                 f"{(content or '')[:300]!r}") from None
            if not isinstance(parsed, dict):
                raise TaskFailed(f"the JSON response format needs a JSON object, the model answered {content[:300]!r}")
            out["jsonOutput"] = parsed
        elif content is not None:
            out["textOutput"] = content
        if usage:
            inp, outp = usage.get("prompt_tokens"), usage.get("completion_tokens")
            out["tokenUsage"] = {"inputTokenCount": inp, "outputTokenCount": outp,
                                 "totalTokenCount": usage.get("total_tokens", (inp or 0) + (outp or 0))}
            _send_metrics(ctx, out["tokenUsage"])
        out["finishReason"] = FINISH.get(str(choice.get("finish_reason")), "OTHER")
        out["toolExecutions"] = []
        out["intermediateResponses"] = []
        out["requestDuration"] = duration
        out["sources"] = []
        out["guardrailViolated"] = False
        ctx.log("DEBUG", f"LLM {model}: {usage.get('prompt_tokens')} input / {usage.get('completion_tokens')} output "
                         f"tokens in {duration} ms")
        out["_message"] = message  # taken out by the caller (memory needs the reply)
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
            body["response_format"] = {"type": "json_schema", "json_schema": {
                "name": "output", "strict": bool(fmt.get("strictJson", False)), "schema": schema}}
        else:
            body["response_format"] = {"type": "json_object"}
        return True


# AIUtils.sendMetrics: three untagged counters, a missing count published as 0.
TOKEN_METRICS = (("input.token.count", "inputTokenCount"), ("output.token.count", "outputTokenCount"),
                 ("total.token.count", "totalTokenCount"))


def _send_metrics(ctx: Any, usage: dict[str, Any]) -> None:
    publish = getattr(ctx, "metric", None)
    if publish is None:  # a bare context (unit tests of the task alone)
        return
    for name, key in TOKEN_METRICS:
        value = usage.get(key)
        publish(name, "counter", value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0)


def _error_text(resp: httpx.Response) -> str:
    try:
        data = resp.json()
    except ValueError:
        return resp.text[:500] or resp.reason_phrase
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return str(data["error"].get("message") or data["error"])
    return resp.text[:500]


@register
class ChatCompletion(_AITask):
    """A chat turn from a message list (at most one SYSTEM; the last must be USER)."""

    TYPE = AI + "completion.ChatCompletion"
    ALIASES = ("io.kestra.plugin.langchain4j.ChatCompletion", "io.kestra.plugin.langchain4j.completion.ChatCompletion")
    PROPERTIES = {
        "messages": Prop("any", required=True), "provider": Prop("map", required=True),
        "configuration": Prop("map"), "tools": Prop("list"), "guardrails": Prop("map"), "observability": Prop("map"),
    }

    @classmethod
    def problems(cls, props: dict[str, Any]) -> list[str]:
        out = _problems_common(props)
        messages = props.get("messages")
        if isinstance(messages, list):
            for i, m in enumerate(messages):
                if isinstance(m, dict) and m.get("contentBlocks"):
                    out.append(f"messages[{i}].contentBlocks (images, PDFs) are not supported by the embedded engine; "
                               f"{ON_REAL_KESTRA}")
        elif messages is not None and not _is_expr(messages):
            out.append("`messages` must be a list of {type: SYSTEM|USER|AI, content}")
        return out

    async def run(self, ctx: Any, props: dict[str, Any]) -> dict[str, Any]:
        problems = self.problems(props)
        if problems:
            raise TaskFailed("; ".join(problems))
        rendered = ctx.render(props["messages"])
        if not isinstance(rendered, list) or not rendered:
            raise TaskFailed("`messages` must be a non-empty list of {type: SYSTEM|USER|AI, content}")
        messages = []
        for i, m in enumerate(rendered):
            kind = str((m or {}).get("type", "")).upper() if isinstance(m, dict) else ""
            if kind not in ROLES:
                raise TaskFailed(f"messages[{i}].type must be SYSTEM, USER or AI, not {(m or {}).get('type')!r}"
                                 if isinstance(m, dict) else f"messages[{i}] must be a mapping with type and content")
            messages.append({"role": ROLES[kind], "content": "" if m.get("content") is None else str(m["content"])})
        if sum(1 for m in messages if m["role"] == "system") > 1:
            raise TaskFailed("Only one system message is allowed")
        if messages[-1]["role"] != "user":
            raise TaskFailed("The last message must be a user message")
        # langchain4j puts the system message first whatever its position in the list.
        messages.sort(key=lambda m: m["role"] != "system")
        out = await self._complete(ctx, props, messages)
        out.pop("_message")
        if "textOutput" in out:
            out = {"aiResponse": out["textOutput"], **out}  # deprecated output plugin-ai still sets
        return out


@register
class AIAgent(_AITask):
    """An agent turn: `systemMessage` + `prompt`, with conversation memory in Kestra's KV store."""

    TYPE = AI + "agent.AIAgent"
    PROPERTIES = {
        "prompt": Prop("string", required=True), "systemMessage": Prop("string"), "provider": Prop("map", required=True),
        "configuration": Prop("map"), "tools": Prop("list"), "maxSequentialToolsInvocations": Prop("int"),
        "contentRetrievers": Prop("list"), "memory": Prop("map"), "observability": Prop("map"),
        "guardrails": Prop("map"), "outputFiles": Prop("list"),
    }

    @classmethod
    def problems(cls, props: dict[str, Any]) -> list[str]:
        return _problems_common(props) + KVMemory.problems(props.get("memory"))

    async def run(self, ctx: Any, props: dict[str, Any]) -> dict[str, Any]:
        problems = self.problems(props)
        if problems:
            raise TaskFailed("; ".join(problems))
        prompt = ctx.render_str(props["prompt"])
        system = ctx.render_str(props["systemMessage"]) if props.get("systemMessage") is not None else None
        memory = KVMemory.open(ctx, props["memory"]) if props.get("memory") else None
        history = memory.messages() if memory else []
        messages = ([{"role": "system", "content": system}] if system else []) + history + \
            [{"role": "user", "content": prompt}]
        out = await self._complete(ctx, props, messages)
        reply = out.pop("_message")
        if memory is not None:
            memory.save(system, [*history, {"role": "user", "content": prompt},
                                 {"role": "assistant", "content": reply.get("content") or ""}])
        return out


class KVMemory:
    """plugin-ai's KestraKVStore memory: the conversation as langchain4j JSON in a namespace KV entry
    named by `memoryId`, windowed to `messages` (system message included), expiring after `ttl`."""

    def __init__(self, ctx: Any, key: str, size: int, ttl: float, drop: str) -> None:
        self.ctx, self.key, self.size, self.ttl, self.drop = ctx, key, size, ttl, drop

    @staticmethod
    def problems(memory: Any) -> list[str]:
        if not memory:
            return []
        if not isinstance(memory, dict) or memory.get("type") not in MEMORY_TYPES:
            kind = memory.get("type") if isinstance(memory, dict) else memory
            return [f"memory {kind!r} is not supported by the embedded engine; use "
                    f"io.kestra.plugin.ai.memory.KestraKVStore, or {ON_REAL_KESTRA}"]
        drop = memory.get("drop", "NEVER")
        if not _is_expr(drop) and str(drop).upper() not in ("NEVER", "BEFORE_TASKRUN", "AFTER_TASKRUN"):
            return [f"memory.drop must be NEVER, BEFORE_TASKRUN or AFTER_TASKRUN, not {drop!r}"]
        return []

    @classmethod
    def open(cls, ctx: Any, memory: dict[str, Any]) -> KVMemory:
        from lab.clock import parse_duration

        try:
            key = ctx.render_str(memory.get("memoryId") or "{{ labels.system.correlationId }}")
        except Exception as exc:  # noqa: BLE001 - an unrenderable id is a task failure a person must fix
            raise TaskFailed(f"memory.memoryId could not be rendered ({exc}); set memoryId, e.g. "
                             "\"wa-{{ trigger.body.entry[0].changes[0].value.contacts[0].wa_id }}\"") from None
        if not key:
            raise TaskFailed("memory.memoryId rendered empty; set it to a per-conversation id")
        try:
            size = int(ctx.render(memory.get("messages", 10)))
            ttl = parse_duration(str(ctx.render(memory.get("ttl") or "PT1H"))).total_seconds()
        except (TypeError, ValueError) as exc:
            raise TaskFailed(f"memory.messages / memory.ttl are invalid: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - ConfigError from parse_duration
            raise TaskFailed(f"memory.ttl is not a duration: {exc}") from None
        return cls(ctx, key, size, ttl, str(ctx.render_str(memory.get("drop") or "NEVER")).upper())

    def messages(self) -> list[dict[str, Any]]:
        """The remembered user and AI messages (the system message comes from the task)."""
        if self.drop == "BEFORE_TASKRUN":
            self.ctx.kv.delete(self.ctx.namespace, self.key)
            return []
        try:
            raw = self.ctx.kv.get(self.ctx.namespace, self.key)
        except KeyError:
            return []
        try:
            stored = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            self.ctx.log("WARN", f"chat memory {self.key!r} is not JSON; starting a new conversation")
            return []
        out = []
        for m in stored if isinstance(stored, list) else []:
            kind = str(m.get("type", "")).upper() if isinstance(m, dict) else ""
            if kind == "USER":
                text = m.get("text") or "".join(c.get("text", "") for c in m.get("contents") or [] if isinstance(c, dict))
                out.append({"role": "user", "content": text})
            elif kind == "AI":
                out.append({"role": "assistant", "content": m.get("text") or ""})
        return out

    def save(self, system: str | None, conversation: list[dict[str, Any]]) -> None:
        """Store the window of the conversation (or drop it, with drop: AFTER_TASKRUN)."""
        if self.drop == "AFTER_TASKRUN":
            self.ctx.kv.delete(self.ctx.namespace, self.key)
            return
        room = max(self.size - (1 if system else 0), 0)
        window = conversation[-room:] if room else []
        doc: list[dict[str, Any]] = [{"text": system, "type": "SYSTEM"}] if system else []
        for m in window:
            if m["role"] == "user":
                doc.append({"contents": [{"text": m["content"], "type": "TEXT"}], "type": "USER"})
            else:
                doc.append({"text": m["content"], "toolExecutionRequests": [], "type": "AI"})
        self.ctx.kv.set(self.ctx.namespace, self.key, json.dumps(doc, ensure_ascii=False), ttl=self.ttl, kind="STRING")
