"""plugin-ai's KestraKVStore chat memory for the embedded AIAgent (split out of ai.py).

The conversation is kept as langchain4j's JSON in a namespace KV entry: USER, AI (with the tool calls
it asked for) and TOOL_EXECUTION_RESULT messages, as langchain4j's MessageWindowChatMemory keeps them
when the agent uses tools; the system message comes from the task each time. It also holds what
ai.py and ai_tools.py share: the plugin-ai type prefix, the pointer to a real Kestra and is_expr.
"""

from __future__ import annotations

import json
from typing import Any

from lab.clock import parse_duration
from lab.kestra.engine.tasks.base import TaskFailed

AI = "io.kestra.plugin.ai."
MEMORY_TYPES = {
    AI + "memory.KestraKVStore",
    AI + "memory.KestraKVMemory",
    "io.kestra.plugin.langchain4j.memory.KestraKVMemory",
}
ON_REAL_KESTRA = "run this flow on a real Kestra with plugin-ai for it"


def is_expr(value: Any) -> bool:
    """A value Kestra renders when the task runs (left unchecked until then)."""
    return isinstance(value, str) and "{{" in value


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
            return [
                f"memory {kind!r} is not supported by the embedded engine; use "
                f"io.kestra.plugin.ai.memory.KestraKVStore, or {ON_REAL_KESTRA}"
            ]
        drop = memory.get("drop", "NEVER")
        if not is_expr(drop) and str(drop).upper() not in (
            "NEVER",
            "BEFORE_TASKRUN",
            "AFTER_TASKRUN",
        ):
            return [f"memory.drop must be NEVER, BEFORE_TASKRUN or AFTER_TASKRUN, not {drop!r}"]
        return []

    @classmethod
    def open(cls, ctx: Any, memory: dict[str, Any]) -> KVMemory:
        try:
            key = ctx.render_str(memory.get("memoryId") or "{{ labels.system.correlationId }}")
        except Exception as exc:  # noqa: BLE001 - an unrenderable id is a task failure a person must fix
            raise TaskFailed(
                f"memory.memoryId could not be rendered ({exc}); set memoryId, e.g. "
                '"wa-{{ trigger.body.entry[0].changes[0].value.contacts[0].wa_id }}"'
            ) from None
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
        """The remembered messages in OpenAI form (the system message comes from the task)."""
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
            self.ctx.log(
                "WARN", f"chat memory {self.key!r} is not JSON; starting a new conversation"
            )
            return []
        out = []
        for m in stored if isinstance(stored, list) else []:
            kind = str(m.get("type", "")).upper() if isinstance(m, dict) else ""
            if kind == "USER":
                text = m.get("text") or "".join(
                    c.get("text", "") for c in m.get("contents") or [] if isinstance(c, dict)
                )
                out.append({"role": "user", "content": text})
            elif kind == "AI":
                calls = [
                    {
                        "id": r.get("id"),
                        "type": "function",
                        "function": {
                            "name": r.get("name"),
                            "arguments": r.get("arguments") or "{}",
                        },
                    }
                    for r in m.get("toolExecutionRequests") or []
                    if isinstance(r, dict)
                ]
                reply: dict[str, Any] = {
                    "role": "assistant",
                    "content": m.get("text") or ("" if not calls else None),
                }
                if calls:
                    reply["tool_calls"] = calls
                out.append({k: v for k, v in reply.items() if v is not None})
            elif kind == "TOOL_EXECUTION_RESULT":
                out.append(
                    {"role": "tool", "tool_call_id": m.get("id"), "content": m.get("text") or ""}
                )
        return out

    def save(self, system: str | None, conversation: list[dict[str, Any]]) -> None:
        """Store the window of the conversation (or drop it, with drop: AFTER_TASKRUN)."""
        if self.drop == "AFTER_TASKRUN":
            self.ctx.kv.delete(self.ctx.namespace, self.key)
            return
        room = max(self.size - (1 if system else 0), 0)
        window = conversation[-room:] if room else []
        while (
            window and window[0]["role"] == "tool"
        ):  # evicting an AI message evicts its tool results too
            window = window[1:]
        doc: list[dict[str, Any]] = [{"text": system, "type": "SYSTEM"}] if system else []
        names = {
            c.get("id"): (c.get("function") or {}).get("name")
            for m in window
            for c in m.get("tool_calls") or []
        }
        for m in window:
            if m["role"] == "user":
                doc.append({"contents": [{"text": m["content"], "type": "TEXT"}], "type": "USER"})
            elif m["role"] == "tool":
                doc.append(
                    {
                        "id": m.get("tool_call_id"),
                        "toolName": names.get(m.get("tool_call_id")),
                        "text": m.get("content"),
                        "type": "TOOL_EXECUTION_RESULT",
                    }
                )
            else:
                requests = [
                    {
                        "id": c.get("id"),
                        "name": (c.get("function") or {}).get("name"),
                        "arguments": (c.get("function") or {}).get("arguments"),
                    }
                    for c in m.get("tool_calls") or []
                ]
                doc.append(
                    {
                        **({"text": m["content"]} if m.get("content") is not None else {}),
                        "toolExecutionRequests": requests,
                        "type": "AI",
                    }
                )
        self.ctx.kv.set(
            self.ctx.namespace,
            self.key,
            json.dumps(doc, ensure_ascii=False),
            ttl=self.ttl,
            kind="STRING",
        )
