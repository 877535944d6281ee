"""Chat answers that need no upstream: replayed from a cassette, or scripted.

Replay answers a chat completion with the recording of the same canonical request (identical
requests replay their recordings in order, then the last one again) and reports the recorded
call's latency, usage and cost, so a replayed transcript reads like the live one. Scripted mode
answers with the next of the `ScriptedReplies` (a text, a tool call, JSON or an OpenAI error).
A call neither can answer (a cassette miss, no scripted reply left, a scripted error) is metered,
then refused with OpenAI's error shape. The gateway (`lab.llm.gateway`) serves both.
"""

from __future__ import annotations

from typing import Any, Callable, NoReturn

import orjson

from lab.llm import shapes
from lab.llm.asgi import Reply, Send, respond
from lab.llm.asgi import stream as stream_events
from lab.llm.canonical import canonical_chat, chat_key, last_user_text, request_key, summarize
from lab.llm.cassette import CassetteStore
from lab.llm.metering import estimate_usage, meter, meter_failure
from lab.llm.misses import miss_message
from lab.llm.model import LLMCall
from lab.llm.scripted import ScriptedReplies


class CannedAnswers:
    """Replayed and scripted chat answers of one gateway.

    Args:
        cassettes: where replay reads (None: every replayed call is a miss).
        occurrences: how many times each request key was seen, shared with recording (the
            gateway's `rewind` starts it again).
        emit: the gateway's metering: every answered or refused call goes through it.
    """

    def __init__(
        self,
        cassettes: CassetteStore | None,
        occurrences: dict[str, int],
        emit: Callable[[LLMCall], None],
    ) -> None:
        self.cassettes = cassettes
        self.script: ScriptedReplies | None = None
        self._occurrences = occurrences
        self._emit = emit
        self._scripted_n = 0

    async def replay(
        self,
        body: dict[str, Any],
        execution_id: str | None,
        send: Send,
        stream: bool,
        include_usage: bool,
        started: float,
        may_have_nulls: bool,
    ) -> None:
        canon = canonical_chat(body, may_have_nulls=may_have_nulls)
        key = request_key(canon)  # the diagnostic hashes are only computed for a miss
        occurrence = self._occurrences[key]
        self._occurrences[key] = occurrence + 1
        entry = self.cassettes.lookup(key, occurrence) if self.cassettes is not None else None
        if entry is None:
            rk = chat_key(body, canon)
            message = miss_message(self.cassettes, rk, summarize(body))
            self.refuse(
                execution_id,
                body,
                started,
                404,
                message,
                shapes.error_body(message, code="cassette_miss"),
                mode="replay",
                cassette_key=rk.key,
            )
        response = (
            entry.response
            if entry.response is not None
            else shapes.completion_from_chunks(entry.stream or [])
        )
        self._emit(
            meter(
                execution_id=execution_id,
                mode="replay",
                request=body,
                response=response,
                usage=entry.usage,
                estimated=entry.usage_estimated,
                latency_ms=entry.latency_ms,
                started_at=started,
                cassette_key=key,
                streamed=stream,
                cost=entry.cost_usd,
                priced_by=entry.priced_by,
            )
        )
        if stream:
            wire = "sse+usage" if include_usage else "sse"
            events = entry.wire.get(wire)
            if events is None:
                chunks = (
                    entry.stream
                    if entry.stream is not None
                    else shapes.chunks_from_completion(response)
                )
                if not include_usage:  # usage-only chunks go to clients that asked for them
                    chunks = [c for c in chunks if not shapes.is_usage_only(c)]
                events = entry.wire[wire] = shapes.sse(chunks)  # type: ignore[assignment]
            await stream_events(send, events, "replay", key)  # type: ignore[arg-type]
        else:
            data = entry.wire.get("json")
            if data is None:
                data = entry.wire["json"] = orjson.dumps(response)
            await respond(send, 200, data, "replay", key)

    def refuse(
        self,
        execution_id: str | None,
        body: dict[str, Any],
        started: float,
        status: int,
        message: str,
        error: dict[str, Any],
        *,
        mode: str = "scripted",
        cassette_key: str | None = None,
    ) -> NoReturn:
        """A call answered with an error before reaching any upstream (a replay miss, no scripted
        reply left, a scripted error): metered, then answered."""
        self._emit(
            meter_failure(
                execution_id=execution_id,
                mode=mode,
                request=body,
                started_at=started,
                status=status,
                error=message,
                cassette_key=cassette_key,
            )
        )
        raise Reply(status, error)

    async def scripted(
        self,
        body: dict[str, Any],
        execution_id: str | None,
        send: Send,
        stream: bool,
        include_usage: bool,
        started: float,
    ) -> None:
        last_user = last_user_text(body)
        reply = self.script.next(last_user) if self.script is not None else None
        if reply is None:
            message = (
                f"scripted mode has no reply left for the call with last user message {last_user!r} "
                f"(model {body.get('model')}); add one to the scripted replies (a scenario's `llm: scripted:`, or "
                "the file of `walab send --script`) "
                "(a text, {match: regex, reply: ...}, {tool_call: ...}, {json: ...}, or {error: 500} to make the "
                "model fail)"
            )
            self.refuse(
                execution_id,
                body,
                started,
                404,
                message,
                shapes.error_body(message, code="scripted_reply_missing"),
            )
        if (
            reply.error is not None
        ):  # a scripted upstream failure: the flow sees what OpenAI would send
            status, message = reply.error, reply.error_message()
            self.refuse(
                execution_id,
                body,
                started,
                status,
                message,
                shapes.error_body(message, type_=reply.error_type(), code=reply.error_code()),
            )
        self._scripted_n += 1
        msg, finish = reply.message(f"call_scripted_{self._scripted_n}")
        comp = shapes.completion(
            model=str(body["model"]),
            message=msg,
            finish_reason=finish,
            id_=f"chatcmpl-scripted-{self._scripted_n}",
            created=int(started),
            fingerprint="walab-scripted",
        )
        comp["usage"] = estimate_usage(body, comp)
        self._emit(
            meter(
                execution_id=execution_id,
                mode="scripted",
                request=body,
                response=comp,
                usage=comp["usage"],
                estimated=True,
                latency_ms=0.0,
                started_at=started,
                streamed=stream,
            )
        )
        if stream:
            await stream_events(
                send, shapes.sse(shapes.chunks_from_completion(comp, include_usage)), "scripted"
            )
        else:
            await respond(send, 200, orjson.dumps(comp), "scripted")
