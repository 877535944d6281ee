"""The LLM gateway: an OpenAI-compatible ASGI app in live, record, replay or scripted mode.

Paths (the lab server mounts it at `/llm` and strips the prefix):
`POST /v1/chat/completions`, `POST /v1/embeddings`, `POST /v1/audio/transcriptions`
(`lab.llm.transcription`), `GET /v1/models`, and the same under
`/x/{execution_id}/v1/...`, which ties each call to its Kestra execution.

Only requests carrying `Authorization: Bearer <gateway key>` are answered, so a gateway reachable
beyond loopback never relays strangers to the paid upstream account.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections import defaultdict, deque
from typing import Any, Callable
from urllib.parse import unquote

import orjson

from lab.asgi_response import answer_lifespan
from lab.errors import ConfigError, LabError
from lab.llm import shapes, transcription, warmup
from lab.llm.asgi import Reply, Send, parse_json, read_body, respond
from lab.llm.canned import CannedAnswers
from lab.llm.canonical import (
    canonical_chat,
    chat_key,
    embedding_key,
    summarize,
)
from lab.llm.cassette import CassetteEntry, CassetteStore
from lab.llm.embeddings import scripted_embeddings
from lab.llm.faults import ModelFaults
from lab.llm.metering import estimate_usage, meter, meter_failure, reported_usage
from lab.llm.misses import miss_message
from lab.llm.model import LLMCall
from lab.llm.relay import StreamFailed, check_upstream, error_message, loads, relay_stream
from lab.llm.request_check import check_chat, check_embeddings
from lab.llm.scripted import ScriptedReplies
from lab.llm.scrub import Scrubber, newest_text
from lab.llm.upstream import Upstream, UpstreamError

MODES = ("live", "record", "replay", "scripted")
_log = logging.getLogger("walab.llm")


class LLMGateway:
    """OpenAI-compatible gateway with metering; `.app` is the ASGI app.

    Every call is metered as an `LLMCall` (see `calls()` and `subscribe()`). A replayed call
    reports the recorded call's latency and usage, so replayed transcripts read like the live ones;
    identical requests replay their recordings in order (then the last one again).

    Args:
        mode: live | record | replay | scripted.
        key: the lab's gateway key; the flow's provider `apiKey` is set to it.
        upstream_url / upstream_key: the real OpenAI-compatible server (live and record modes).
        cassettes: where replay reads and record writes.
        clock: the lab's VirtualClock (timestamps of calls); wall time when None.
        http: an httpx.AsyncClient the openai SDK uses for the upstream.
        upstream_timeout: seconds before an upstream call is answered 504.
        keep_calls: how many metered calls `calls()` keeps (each holds its request body; subscribers
            see every call).
    """

    def __init__(
        self,
        *,
        mode: str,
        key: str,
        upstream_url: str | None = None,
        upstream_key: str | None = None,
        cassettes: CassetteStore | None = None,
        clock: Any = None,
        http: Any = None,
        upstream_timeout: float = 120.0,
        keep_calls: int = 5000,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown LLM mode {mode!r}; use one of {', '.join(MODES)}")
        if not key:
            raise ValueError("the gateway needs a key (the flows' provider apiKey)")
        self.mode = mode
        self._bearer = b"Bearer " + key.encode()
        self.cassettes = cassettes
        if cassettes is not None:
            cassettes.add_secrets([key, upstream_key])
        self.upstream = Upstream(upstream_url, upstream_key, http=http, timeout=upstream_timeout)
        self._scrubber = Scrubber([key, upstream_key])
        self._tainted: set[int] = (
            set()
        )  # ids of request bodies holding something shaped like a secret
        self._clock = clock
        self._occurrences: dict[str, int] = defaultdict(int)
        self._calls: deque[LLMCall] = deque(maxlen=keep_calls)
        self._subscribers: list[Callable[[LLMCall], None]] = []
        self.canned = CannedAnswers(cassettes, self._occurrences, self._emit)
        self.faults = ModelFaults()  # scripted model failures (scenario `fault:` steps, load plans)
        self.heard = (
            transcription.HeardAudio()
        )  # scripted mode's transcriptions, by the audio's sha256
        self._warm = mode not in ("live", "record")
        if not self._warm:
            # Live calls are priced from the start; replay reports the cost recorded in the cassette
            # (older entries without one are priced on their first replay).
            warmup.start()

    @classmethod
    def from_settings(
        cls, settings: Any, cassettes: CassetteStore | None = None, clock: Any = None
    ) -> LLMGateway:
        """The gateway of a lab session (mode, keys and upstream from `lab.config.Settings`)."""
        if settings.llm_mode == "record" and cassettes is None:
            raise ConfigError(
                "record mode needs a cassette to record into",
                where="--llm record",
                fix="record through `walab record <scenario>`, which names the cassette",
            )
        return cls(
            mode=settings.llm_mode,
            key=settings.gateway_key,
            upstream_url=settings.llm_upstream_url,
            upstream_key=settings.llm_upstream_key,
            cassettes=cassettes,
            clock=clock,
        )

    # -- session API -------------------------------------------------------------------------

    def script(self, replies: ScriptedReplies) -> None:
        """Use these replies in scripted mode."""
        self.canned.script = replies

    @property
    def scripted_replies(self) -> ScriptedReplies | None:
        """The replies scripted mode answers with (None when none were given)."""
        return self.canned.script

    def calls(self, execution_id: str | None = None) -> list[LLMCall]:
        """Metered calls so far, optionally of one execution."""
        if execution_id is None:
            return list(self._calls)
        return [c for c in self._calls if c.execution_id == execution_id]

    def subscribe(self, callback: Callable[[LLMCall], None]) -> Callable[[], None]:
        """Call `callback(call)` (synchronously) after each metered call; returns the unsubscribe."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def hear(self, audio: bytes, text: str) -> None:
        """In scripted mode, transcribe this audio as `text` (the lab's own voice notes say what it synthesised)."""
        self.heard.hear(hashlib.sha256(audio).hexdigest(), text)

    def rewind(self) -> None:
        """Replay identical requests from their first recording again (a new session of a scenario)."""
        self._occurrences.clear()

    def clear(self) -> None:
        """Forget metered calls."""
        self._calls.clear()

    async def _warmed(self) -> None:
        """The warm-up done, once (`lab.llm.warmup`): a live call's clock starts after it."""
        if not self._warm:
            await warmup.finish(self.upstream)
            self._warm = True

    def _now(self) -> float:
        return self._clock.time() if self._clock is not None else time.time()

    def _emit(self, call: LLMCall) -> None:
        if id(call.request) in self._tainted:
            call.request = self._scrubber.data(call.request)
        self._calls.append(call)
        for callback in list(self._subscribers):
            try:
                callback(call)
            except Exception:  # noqa: BLE001 - a broken listener must not fail the flow's LLM call
                # Dropped and said once, as the lab's event bus does: swallowing it silently would
                # hide every later call from that view.
                self._subscribers.remove(callback)
                _log.warning("LLM call listener %r failed and was removed", callback, exc_info=True)

    # -- ASGI ---------------------------------------------------------------------------------

    async def app(self, scope: dict[str, Any], receive: Any, send: Send) -> None:
        """The ASGI entry point."""
        if scope["type"] == "lifespan":
            await answer_lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        started = False
        downstream = send

        async def send(message: dict[str, Any]) -> None:  # noqa: F811 - tracks whether an answer began
            nonlocal started
            started = True
            await downstream(message)

        path: str = scope["path"]
        execution_id = None
        if path.startswith("/x/"):
            eid, _, tail = path[3:].partition("/")
            execution_id, path = unquote(eid) or None, "/" + tail
        try:
            if not self._authorized(scope):
                raise Reply(
                    401,
                    shapes.error_body(
                        "missing or wrong API key for the walab LLM gateway: send `Authorization: Bearer <gateway key>` "
                        "(set the flow's provider apiKey to the lab's gateway key)",
                        code="invalid_api_key",
                    ),
                )
            method = scope["method"]
            if path == "/v1/chat/completions" and method == "POST":
                raw = await read_body(receive)
                body = parse_json(raw)
                check_chat(body)
                if self._scrubber.finds(
                    raw, newest_text(body)
                ):  # rare: a key in a prompt is never shown
                    self._tainted.add(id(body))
                try:
                    await self._chat(body, execution_id, send, raw)
                finally:
                    self._tainted.discard(id(body))
            elif path == "/v1/embeddings" and method == "POST":
                body = parse_json(await read_body(receive))
                check_embeddings(body)
                await self._embeddings(body, execution_id, send)
            elif path == transcription.PATH and method == "POST":
                content_type = next(
                    (v.decode("latin-1") for k, v in scope["headers"] if k == b"content-type"), ""
                )
                await transcription.serve(
                    self, await read_body(receive), content_type, execution_id, send
                )
            elif path == "/v1/models" and method == "GET":
                await self._models(send)
            elif path in (
                "/v1/chat/completions",
                "/v1/embeddings",
                "/v1/models",
                transcription.PATH,
            ):
                raise Reply(405, shapes.error_body(f"method {method} is not allowed on {path}"))
            else:
                raise Reply(
                    404,
                    shapes.error_body(
                        f"unknown path {path} on the walab LLM gateway; it serves /v1/chat/completions, /v1/embeddings, "
                        "/v1/audio/transcriptions, /v1/models, also under /x/{execution_id}/v1/",
                        code="unknown_url",
                    ),
                )
        except Reply as reply:
            await respond(send, reply.status, reply.body, self.mode)
        except Exception as exc:  # noqa: BLE001 - a bug must reach the flow as an OpenAI error, not a dropped socket
            _log.exception("LLM gateway failed on %s", path)
            if not started:
                await respond(
                    send,
                    500,
                    shapes.error_body(
                        f"internal error in the walab LLM gateway: {exc.__class__.__name__}: {exc}",
                        type_="server_error",
                        code="walab_internal_error",
                    ),
                    self.mode,
                )

    def _record(self, entry: CassetteEntry) -> str | None:
        """Write an exchange to the cassette; a failure is reported on the call, not to the flow."""
        try:
            self.cassettes.record(entry)  # type: ignore[union-attr]
        except (LabError, OSError) as exc:
            return f"not recorded: {exc}"
        return None

    def _authorized(self, scope: dict[str, Any]) -> bool:
        for name, value in scope["headers"]:
            if name == b"authorization":
                return hmac.compare_digest(value, self._bearer)
        return False

    # -- chat ---------------------------------------------------------------------------------

    async def _chat(
        self, body: dict[str, Any], execution_id: str | None, send: Send, raw: bytes
    ) -> None:
        if not isinstance(body.get("messages"), list) or not body.get("model"):
            raise Reply(
                400,
                shapes.error_body(
                    "a chat completion needs `model` and a list `messages`", param="messages"
                ),
            )
        stream = body.get("stream") is True
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        started = self._now()
        fault = self.faults.take()
        if fault is not None and fault.status is not None:
            error = fault.reply
            self.canned.refuse(
                execution_id,
                body,
                started,
                fault.status,
                error.error_message(),
                shapes.error_body(
                    error.error_message(), type_=error.error_type(), code=error.error_code()
                ),
                mode=self.mode,
            )
        if fault is not None:
            await asyncio.sleep(fault.seconds)
        if self.mode == "replay":
            # `null` absent from the bytes: no null field to drop while canonicalising.
            await self.canned.replay(
                body, execution_id, send, stream, include_usage, started, b"null" in raw
            )
        elif self.mode == "scripted":
            await self.canned.scripted(body, execution_id, send, stream, include_usage, started)
        else:
            await self._chat_live(body, execution_id, send, stream, include_usage, started)

    async def _chat_live(
        self,
        body: dict[str, Any],
        execution_id: str | None,
        send: Send,
        stream: bool,
        include_usage: bool,
        started: float,
    ) -> None:
        rk = chat_key(body) if self.mode == "record" else None
        try:
            check_upstream(self.upstream, self.mode)
        except Reply as refused:  # metered like any failed call, so the turn counts the attempts
            self._emit(
                meter_failure(
                    execution_id=execution_id,
                    mode=self.mode,
                    request=body,
                    started_at=started,
                    status=refused.status,
                    error=error_message(refused.body),
                    streamed=stream,
                )
            )
            raise
        await self._warmed()
        t0 = time.perf_counter()
        try:
            if stream:
                relayed = await relay_stream(self.upstream, body, send, include_usage, self.mode)
                response, chunks = relayed.completion, relayed.chunks
                stated, latency = relayed.stated_cost, relayed.latency_ms
            else:
                reply = await self.upstream.chat(body)
                response, chunks = loads(reply.body), None
                stated, latency = reply.stated_cost, reply.latency_ms
        except UpstreamError as exc:
            said = error_message(exc.body)
            if isinstance(
                exc, StreamFailed
            ):  # after a 200: not a good reply, and never recorded as one
                said = f"the upstream answered 200, then failed mid-stream: {said}"
            self._emit(
                meter_failure(
                    execution_id=execution_id,
                    mode=self.mode,
                    request=body,
                    started_at=started,
                    status=exc.status,
                    error=said,
                    latency_ms=(time.perf_counter() - t0) * 1000,
                    streamed=stream,
                )
            )
            if exc.answered:  # failed mid-stream: the client already got a 200 and its end
                return
            raise Reply(exc.status, exc.body) from None
        usage, estimated = reported_usage((response or {}).get("usage"), response), False
        if usage is None and response is not None:
            usage, estimated = estimate_usage(body, response), True
        call = meter(
            execution_id=execution_id,
            mode=self.mode,
            request=body,
            response=response,
            usage=usage,
            estimated=estimated,
            latency_ms=latency,
            started_at=started,
            cassette_key=rk.key if rk else None,
            streamed=stream,
            stated=stated,
        )
        if rk is not None and response is not None and self.cassettes is not None:
            occurrence = self._occurrences[rk.key]
            self._occurrences[rk.key] = occurrence + 1
            call.error = self._record(
                CassetteEntry(
                    key=rk.key,
                    occurrence=occurrence,
                    kind="chat",
                    model=rk.model,
                    summary=summarize(body),
                    request=canonical_chat(body),
                    response=None if chunks is not None else response,
                    stream=chunks,
                    usage=usage,
                    usage_estimated=estimated,
                    cost_usd=call.cost_usd,
                    priced_by=call.priced_by,
                    system_prompt_hash=rk.system_hash,
                    tools_hash=rk.tools_hash,
                    conversation_hash=rk.conversation_hash,
                    sampling_hash=rk.sampling_hash,
                    reply=shapes.reply_text(response),
                    latency_ms=latency,
                )
            )
        # Metered before the last byte goes out, so a client that got its answer finds the call.
        self._emit(call)
        if stream:
            await send(
                {"type": "http.response.body", "body": b"data: [DONE]\n\n", "more_body": False}
            )
        else:
            await respond(send, reply.status, reply.body, self.mode, rk.key if rk else None)

    # -- embeddings and models ------------------------------------------------------------------

    async def _embeddings(self, body: dict[str, Any], execution_id: str | None, send: Send) -> None:
        if not body.get("model") or body.get("input") in (None, "", []):
            raise Reply(
                400, shapes.error_body("embeddings need `model` and `input`", param="input")
            )
        started, stated = self._now(), None
        rk = embedding_key(body)
        if self.mode == "replay":
            occurrence = self._occurrences[rk.key]
            self._occurrences[rk.key] = occurrence + 1
            entry = (
                self.cassettes.lookup(rk.key, occurrence) if self.cassettes is not None else None
            )
            if entry is None or entry.response is None:
                message = miss_message(self.cassettes, rk, summarize(body, "embeddings"))
                raise Reply(404, shapes.error_body(message, code="cassette_miss"))
            response, latency = entry.response, entry.latency_ms
        elif self.mode == "scripted":
            response, latency = scripted_embeddings(body), 0.0
        else:
            check_upstream(self.upstream, self.mode)
            await self._warmed()
            try:
                reply = await self.upstream.embeddings(body)
            except UpstreamError as exc:
                raise Reply(exc.status, exc.body) from None
            response, latency, stated = loads(reply.body) or {}, reply.latency_ms, reply.stated_cost
            if self.mode == "record" and self.cassettes is not None:
                occurrence = self._occurrences[rk.key]
                self._occurrences[rk.key] = occurrence + 1
                self._record(
                    CassetteEntry(
                        key=rk.key,
                        occurrence=occurrence,
                        kind="embeddings",
                        model=rk.model,
                        summary=summarize(body, "embeddings"),
                        request=body,
                        response=response,
                        usage=response.get("usage"),
                        conversation_hash=rk.conversation_hash,
                        sampling_hash=rk.sampling_hash,
                        reply=f"{len(response.get('data') or [])} vectors",
                        latency_ms=latency,
                    )
                )
        self._emit(
            meter(
                execution_id=execution_id,
                mode=self.mode,
                request=body,
                response=response,
                usage=response.get("usage"),
                estimated=self.mode == "scripted",
                latency_ms=latency,
                started_at=started,
                cassette_key=rk.key if self.mode in ("record", "replay") else None,
                stated=stated,
            )
        )
        await respond(send, 200, orjson.dumps(response), self.mode)

    async def _models(self, send: Send) -> None:
        if self.mode in ("live", "record"):
            check_upstream(self.upstream, self.mode)
            try:
                reply = await self.upstream.models()
            except UpstreamError as exc:
                raise Reply(exc.status, exc.body) from None
            await respond(send, reply.status, reply.body, self.mode)
            return
        ids = (
            self.cassettes.models() if self.mode == "replay" and self.cassettes is not None else []
        )
        owner = f"walab-{self.mode}"
        data = [{"id": m, "object": "model", "created": 0, "owned_by": owner} for m in ids]
        await respond(send, 200, orjson.dumps({"object": "list", "data": data}), self.mode)
