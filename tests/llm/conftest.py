"""A small OpenAI-compatible upstream on a real loopback port, recording what it was asked."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from loopback import LoopbackServer

from lab.llm.cassette import CassetteStore
from lab.llm.gateway import LLMGateway
from lab.server import LabServer

GATEWAY_KEY = "walab-test-gateway-key-0123456789"
UPSTREAM_KEY = "sk-test-UPSTREAMsecret0123456789abcdef"


@dataclass
class FakeUpstream:
    """Answers like OpenAI; the last user message steers it: '429', '500', 'slow', 'tool', 'nousage',
    and the shapes other OpenAI-compatible servers send: 'zerousage' (all-zero usage), 'alias' (the
    proxy's model alias and its cost header), 'usagecost' (a `usage.cost`), 'toolstop' (tool calls
    ending with finish_reason stop), 'nodb' (LiteLLM's 400 to a key it cannot look up), 'code429'
    (a string error code), 'midstream' (an error event inside a 200 stream), and LiteLLM's usage
    chunk with one empty choice on every stream."""

    requests: list[dict[str, Any]] = field(default_factory=list)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        raw = b""
        while True:
            msg = await receive()
            raw += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        if scope["path"].endswith(
            "/audio/transcriptions"
        ):  # multipart: the text says how big the audio was
            self.requests.append(
                {"path": scope["path"], "method": scope["method"], "headers": headers, "raw": raw}
            )
            size = len(raw.split(b"\r\n\r\n", 2)[-1]) if b"\r\n\r\n" in raw else len(raw)
            return await _json(
                send,
                200,
                {
                    "text": f"Oi, quero economizar na conta de luz ({len(self.requests)})",
                    "usage": {"type": "duration", "seconds": 4},
                    "raw_bytes": size,
                },
            )
        body = orjson.loads(raw) if raw else None
        self.requests.append(
            {"path": scope["path"], "method": scope["method"], "headers": headers, "body": body}
        )
        path = scope["path"]
        if path.endswith("/models"):
            return await _json(
                send,
                200,
                {
                    "object": "list",
                    "data": [
                        {"id": "gpt-4o-mini", "object": "model", "created": 1, "owned_by": "openai"}
                    ],
                },
            )
        if path.endswith("/embeddings"):
            inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
            return await _json(
                send,
                200,
                {
                    "object": "list",
                    "model": body["model"],
                    "data": [
                        {"object": "embedding", "index": i, "embedding": [0.1, 0.2]}
                        for i, _ in enumerate(inputs)
                    ],
                    "usage": {"prompt_tokens": 4, "total_tokens": 4},
                },
            )
        last = next(
            (m.get("content") or "" for m in reversed(body["messages"]) if m["role"] == "user"), ""
        )
        if "401" in last:  # a server that refuses the key, in its own (not OpenAI's) words
            return await _json(send, 401, {"message": "Unauthorized"})
        if "nodb" in last:
            return await _json(
                send,
                400,
                {
                    "error": {
                        "message": "No connected db.",
                        "type": "no_db_connection",
                        "param": None,
                        "code": "400",
                    }
                },
            )
        if "code429" in last:
            return await _json(
                send,
                429,
                {
                    "error": {
                        "message": "litellm.RateLimitError: mock rate limit",
                        "type": "throttling_error",
                        "param": None,
                        "code": "429",
                    }
                },
            )
        if "429" in last:
            return await _json(
                send,
                429,
                {
                    "error": {
                        "message": "Rate limit reached for gpt-4o-mini in organization",
                        "type": "requests",
                        "param": None,
                        "code": "rate_limit_exceeded",
                    }
                },
            )
        if "500" in last:
            return await _json(
                send,
                500,
                {
                    "error": {
                        "message": "The server had an error while processing your request.",
                        "type": "server_error",
                        "param": None,
                        "code": None,
                    }
                },
            )
        if "slow" in last:
            await asyncio.sleep(3)
        message: dict[str, Any] = {"role": "assistant", "content": f"eco: {last}"}
        if "count" in last:  # identical requests get different answers, as a sampling model's would
            message["content"] = f"eco {len(self.requests)}: {last}"
        finish = "stop"
        if body.get("tools") and "tool" in last:
            name = body["tools"][0]["function"]["name"]
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_abc123",
                        "type": "function",
                        "function": {"name": name, "arguments": '{"plano":"basico"}'},
                    }
                ],
            }
            finish = "stop" if "toolstop" in last else "tool_calls"
        elif (body.get("response_format") or {}).get("type") in ("json_object", "json_schema"):
            message["content"] = orjson.dumps({"intent": "preco", "echo": last}).decode()
        usage = {
            "prompt_tokens": 11 * len(body["messages"]),
            "completion_tokens": 7,
            "total_tokens": 11 * len(body["messages"]) + 7,
            "prompt_tokens_details": {"cached_tokens": 0},
        }
        if "zerousage" in last:
            usage = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        if "usagecost" in last:
            usage["cost"] = 0.0042
        model = "team-chat" if "alias" in last else "gpt-4o-mini-2024-07-18"
        cost_header = [(b"x-litellm-response-cost", b"1.35e-05")] if "alias" in last else []
        comp = {
            "id": "chatcmpl-up1",
            "object": "chat.completion",
            "created": 1700000000,
            "model": model,
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
            ],
        }
        if "nousage" not in last:
            comp["usage"] = usage
        if not body.get("stream"):
            return await _json(send, 200, comp, cost_header)
        from lab.llm import shapes

        chunks = shapes.chunks_from_completion(
            comp, include_usage=bool((body.get("stream_options") or {}).get("include_usage"))
        )
        if chunks[-1].get("usage"):  # LiteLLM's proxy: the usage chunk carries one empty choice
            chunks[-1]["choices"] = [{"index": 0, "delta": {}}]
        if "midstream" in last:  # the status line went out, then the backend failed: an error event
            chunks = chunks[:2] + [
                {"error": {"message": "overloaded", "type": None, "param": None, "code": "503"}}
            ]
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream"), *cost_header],
            }
        )
        for event in shapes.sse(chunks)[: -1 if "midstream" in last else None]:
            await send({"type": "http.response.body", "body": event, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _json(send: Any, status: int, data: Any, headers: list[tuple[bytes, bytes]] = ()) -> None:
    body = orjson.dumps(data)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def upstream():
    fake = FakeUpstream()
    with LoopbackServer(fake) as served:
        fake.url = served.url + "/v1"  # type: ignore[attr-defined]
        yield fake


@dataclass
class Lab:
    """A gateway mounted at /llm of a LabServer on a real port."""

    gateway: LLMGateway
    url: str

    def base(self, execution_id: str = "exec1") -> str:
        return f"{self.url}/llm/x/{execution_id}/v1"


@pytest.fixture
def serve_gateway():
    stack: list[LoopbackServer] = []

    def make(gateway: LLMGateway) -> Lab:
        served = LoopbackServer(LabServer({"/llm": gateway.app}))
        served.__enter__()
        stack.append(served)
        return Lab(gateway, served.url)

    yield make
    for served in stack:
        served.__exit__()


@pytest.fixture
def cassette_path(tmp_path):
    return tmp_path / "scenario.cassette.yaml"


def make_gateway(mode: str, upstream: Any = None, cassette: Any = None, **kw: Any) -> LLMGateway:
    store = CassetteStore(cassette) if cassette is not None else None
    return LLMGateway(
        mode=mode,
        key=GATEWAY_KEY,
        upstream_url=getattr(upstream, "url", None),
        upstream_key=UPSTREAM_KEY if upstream is not None else None,
        cassettes=store,
        **kw,
    )


@dataclass
class Proxy:
    """LiteLLM's proxy on loopback, and the stub upstream its `forwarded` model goes to."""

    url: str
    key: str
    backend: FakeUpstream


@pytest.fixture(scope="session")
def litellm_proxy(tmp_path_factory):
    """LiteLLM's real proxy (see litellm_proxy.py), started once per test process."""
    import os

    from .litellm_proxy import MASTER_KEY, Unavailable, installed, running

    try:
        installed()
    except Unavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    backend = FakeUpstream()
    with (
        LoopbackServer(backend) as served,
        running(tmp_path_factory.mktemp("litellm"), served.url + "/v1") as url,
    ):
        yield Proxy(url, MASTER_KEY, backend)
