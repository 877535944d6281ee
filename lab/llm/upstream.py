"""The paid upstream (OpenAI, Ollama, vLLM, any OpenAI-compatible server), reached with the openai SDK.

The SDK takes over a second to import, and replay or scripted sessions never need it: live and
record gateways import it in a background thread when they start (`preload_sdk`), so the first
call does not wait for it; nothing else imports it.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import threading
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, AsyncIterator

from lab.llm import shapes
from lab.llm.prices import StatedCost, cost_from_headers


@dataclass(slots=True)
class UpstreamReply:
    """A successful upstream answer: status, raw JSON body, the cost it states, and the time the
    upstream took (from sending the request to the last byte, none of walab's own warm-up)."""

    status: int
    body: bytes
    stated_cost: StatedCost | None = None
    latency_ms: float = 0.0


@dataclass(slots=True)
class UpstreamStream:
    """A streamed answer while it arrives: its `data:` payloads, the cost its headers state, and
    when its request was sent (perf_counter), for the upstream's own latency."""

    payloads: AsyncIterator[str]
    stated_cost: StatedCost | None
    sent_at: float


class UpstreamError(Exception):
    """The upstream failed: its status and OpenAI-shaped error body, passed through to the caller.

    `answered`: the client already got a 200 stream, ended by this error as its last event.
    """

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"upstream answered {status}")
        self.status = status
        self.body = body
        self.answered = False


_preloading: list[threading.Thread] = []


def wait_preloaded() -> None:
    """Block until `preload_sdk`'s thread is done (at once when it is, or never started)."""
    for thread in _preloading:
        thread.join()


def preload_sdk() -> None:
    """Import the openai SDK in a background thread, once per process."""
    if _preloading or "openai" in sys.modules:
        return

    def load() -> None:
        try:
            import openai  # noqa: F401
        except Exception:  # noqa: BLE001 - the first call reports a broken install
            pass

    thread = threading.Thread(target=load, name="walab-openai-import", daemon=True)
    _preloading.append(thread)
    thread.start()


class Upstream:
    """Forwards requests with the openai SDK (no retries: the flow's client decides about retrying).

    Args:
        url: the upstream base URL (OPENAI_BASE_URL), e.g. https://api.openai.com/v1.
        key: the upstream API key (OPENAI_API_KEY); never logged, never recorded.
        http: an httpx.AsyncClient for the SDK to use (tests pass one with a transport).
        timeout: seconds before a call is answered 504.
    """

    def __init__(
        self, url: str | None, key: str | None, *, http: Any = None, timeout: float = 120.0
    ) -> None:
        self.url = url or "https://api.openai.com/v1"
        self._key = key
        self._http = http
        self._timeout = timeout
        self._client: Any = None
        self._params: dict[str, set[str]] = {}
        # The upstream's 401 to this key: the key cannot change during a session, so later calls
        # (a flow's `retry:` repeats a failed task whatever the cause) get it without the network.
        self.refused: UpstreamError | None = None

    @property
    def has_key(self) -> bool:
        """Whether an upstream API key was given."""
        return bool(self._key)

    async def ready(self) -> None:
        """Import the SDK, build its client and resources off the event loop, before a call's clock
        starts: the first call's latency is then the upstream's, not walab's warm-up."""
        if self._client is None:
            await asyncio.to_thread(self._prepare)

    def _prepare(self) -> None:
        sdk = self._sdk()
        for name, resource in (("chat", sdk.chat.completions), ("embeddings", sdk.embeddings)):
            self._split(resource, name, {})
            resource.with_raw_response, resource.with_streaming_response  # noqa: B018 - built on first use

    def _sdk(self) -> Any:
        if self._client is None:
            # lazy: start-up, openai is imported only when a call goes upstream
            import openai

            self._client = openai.AsyncOpenAI(
                base_url=self.url,
                api_key=self._key or "missing-key",
                max_retries=0,
                timeout=self._timeout,
                http_client=self._http,
            )
        return self._client

    def _split(self, resource: Any, name: str, body: dict[str, Any]) -> dict[str, Any]:
        # The SDK's create() takes typed keyword arguments; whatever it does not know goes in extra_body.
        known = self._params.get(name)
        if known is None:
            known = {
                p
                for p in inspect.signature(resource.create).parameters
                if not p.startswith("extra_")
            }
            known -= {"timeout"}
            self._params[name] = known
        kwargs = {k: v for k, v in body.items() if k in known}
        extra = {k: v for k, v in body.items() if k not in known}
        if extra:
            kwargs["extra_body"] = extra
        return kwargs

    async def _call(self, fn: Any) -> UpstreamReply:
        # lazy: start-up, openai is imported only when a call goes upstream
        import openai

        if self.refused is not None:
            raise UpstreamError(self.refused.status, self.refused.body)
        sent_at = time.perf_counter()
        try:
            raw = await fn()
        except openai.OpenAIError as exc:
            raise self._upstream_error(exc) from None
        http = raw.http_response
        try:  # httpx's own: from the request going out to the response read, none of the SDK's work
            latency_ms = http.elapsed.total_seconds() * 1000
        except RuntimeError:  # not closed yet (a client that reads lazily)
            latency_ms = (time.perf_counter() - sent_at) * 1000
        return UpstreamReply(
            http.status_code, http.content, cost_from_headers(http.headers), latency_ms
        )

    async def chat(self, body: dict[str, Any]) -> UpstreamReply:
        """A non-streamed chat completion."""
        res = self._sdk().chat.completions
        kwargs = self._split(res, "chat", {k: v for k, v in body.items() if k != "stream"})
        return await self._call(lambda: res.with_raw_response.create(**kwargs))

    async def embeddings(self, body: dict[str, Any]) -> UpstreamReply:
        """An embeddings call."""
        res = self._sdk().embeddings
        kwargs = self._split(res, "embeddings", body)
        return await self._call(lambda: res.with_raw_response.create(**kwargs))

    async def transcription(self, request: Any) -> UpstreamReply:
        """An audio transcription (`lab.llm.transcription.TranscriptionRequest`), asked as JSON (or
        verbose JSON) so the text can be recorded whatever format the client wants."""
        res = self._sdk().audio.transcriptions
        fields = dict(request.fields)
        fields["response_format"] = (
            "verbose_json" if request.response_format == "verbose_json" else "json"
        )
        kwargs: dict[str, Any] = {
            k: v for k, v in fields.items() if k in ("language", "prompt", "response_format")
        }
        if "temperature" in fields:
            kwargs["temperature"] = float(fields["temperature"])
        extra = {k: v for k, v in fields.items() if k not in kwargs and k != "temperature"}
        if extra:
            kwargs["extra_body"] = extra
        upload = (
            request.filename,
            request.audio,
            request.content_type or "application/octet-stream",
        )
        return await self._call(
            lambda: res.with_raw_response.create(file=upload, model=request.model, **kwargs)
        )

    async def models(self) -> UpstreamReply:
        """The upstream's model list."""
        res = self._sdk().models
        return await self._call(lambda: res.with_raw_response.list())

    @asynccontextmanager
    async def chat_stream(self, body: dict[str, Any]) -> AsyncIterator[UpstreamStream]:
        """A streamed chat completion: the upstream's SSE `data:` payloads as they arrive."""
        # lazy: start-up, openai is imported only when a call goes upstream
        import openai

        if self.refused is not None:
            raise UpstreamError(self.refused.status, self.refused.body)
        res = self._sdk().chat.completions
        kwargs = self._split(res, "chat", {**body, "stream": True})
        sent_at = time.perf_counter()
        try:
            async with res.with_streaming_response.create(**kwargs) as resp:
                yield UpstreamStream(_data_lines(resp), cost_from_headers(resp.headers), sent_at)
        except openai.OpenAIError as exc:
            raise self._upstream_error(exc) from None

    def _upstream_error(self, exc: Exception) -> Exception:
        """The SDK's error as the status and OpenAI-shaped body the gateway passes through."""
        # lazy: start-up, openai is imported only when a call goes upstream
        import openai

        if isinstance(exc, openai.APIStatusError):
            body = _error_bytes(exc)
            if exc.status_code in (401, 403) or _no_key_database(exc.status_code, body):
                return self._key_refused(exc.status_code, body)
            return UpstreamError(exc.status_code, body)
        if isinstance(exc, openai.APITimeoutError):  # before APIConnectionError: it is a subclass
            return UpstreamError(
                504,
                shapes.error_body(
                    f"the upstream LLM at {self.url} did not answer within {self._timeout:g} s",
                    type_="timeout",
                    code="upstream_timeout",
                ),
            )
        if isinstance(exc, openai.APIConnectionError):
            return UpstreamError(
                502,
                shapes.error_body(
                    f"could not reach the upstream LLM at {self.url}: {exc.__cause__ or exc}",
                    type_="api_connection_error",
                    code="upstream_unreachable",
                ),
            )
        return exc

    def _key_refused(self, status: int, body: bytes) -> UpstreamError:
        """A 401/403 (or LiteLLM's 400 "No connected db.", answered 401) in words a person acts on:
        which server refused, and which settings to check, or that no key was set.

        The upstream's own message is kept (OpenAI says "Incorrect API key provided", others just
        "Unauthorized"). A 401 is remembered: retrying with the same key cannot help.
        """
        # cycle: lab.llm.relay imports this module
        from lab.llm.relay import error_message

        said = error_message(body).strip()
        if status != 403:
            # LiteLLM's proxy without a database answers 400 "No connected db." to any key but its
            # master key (it would look the key up there): a refused key all the same, told as a 401.
            answered = f"{status} {'Unauthorized' if status == 401 else 'Bad Request'} from the upstream LLM at {self.url}"
            if self._key:
                what = f"{answered}: it refused the API key"
                fix = (
                    "check OPENAI_API_KEY (a key of that server) and OPENAI_BASE_URL (the server the key belongs "
                    "to); the lab sends no more calls to it with this key (restart it with the right one)"
                )
            else:
                what = f"{answered}: it wants an API key and OPENAI_API_KEY is not set"
                fix = "set OPENAI_API_KEY to a key of that server (for a LiteLLM proxy, its master or a virtual key)"
            status = 401
        else:
            what = f"403 Forbidden from the upstream LLM at {self.url}: the API key may not use this model or project"
            fix = "check OPENAI_API_KEY and OPENAI_BASE_URL, and the model name (LLM_MODEL) against that account"
        error = UpstreamError(
            status,
            shapes.error_body(
                f"{what} (it said: {said}); {fix}",
                type_="invalid_request_error",
                code="invalid_api_key" if status == 401 else "upstream_forbidden",
            ),
        )
        if status == 401:
            self.refused = error
        return error


def _no_key_database(status: int, body: bytes) -> bool:
    """LiteLLM's proxy refusing a key it cannot look up: 400, type `no_db_connection`."""
    if status != 400:
        return False
    # cycle: lab.llm.relay imports this module
    from lab.llm.relay import loads

    error = (loads(body) or {}).get("error") if body.startswith(b"{") else None
    return isinstance(error, dict) and (
        error.get("type") == "no_db_connection"
        or str(error.get("message", "")).startswith("No connected db")
    )


async def _data_lines(resp: Any) -> AsyncIterator[str]:
    async for line in resp.iter_lines():
        if line.startswith("data:"):
            payload = line[5:].strip()
            if payload:
                yield payload


def _error_bytes(exc: Any) -> bytes:
    try:
        content = exc.response.content
    except Exception:  # noqa: BLE001 - a streamed error body may be unread; fall back to the message
        content = b""
    if content:
        return content
    return shapes.error_body(str(exc.message), type_="upstream_error", code=str(exc.status_code))
