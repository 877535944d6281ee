"""`POST /v1/audio/transcriptions` on the gateway: OpenAI's multipart shape, in every mode.

The request is `multipart/form-data` with a `file` part (the audio) and text fields (`model`,
`language`, `prompt`, `response_format`: json, text or verbose_json, `temperature`). A recording
is keyed by the audio's sha256 with the model and the fields that change the text, so replay
answers the same audio with the recorded text and any other audio with a miss that says how to
record it. In scripted mode the text is the one the lab was told for that audio (`hear`: every
voice note the lab synthesises is heard as the words it said).

Metering: the upstream's `usage` when it reports one (`{"type": "duration", "seconds"}` or
tokens), else the audio's own duration; priced by genai-prices (per audio hour for whisper-1,
per token for the gpt-4o transcribers), "price unknown" for a model it does not know.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from lab.llm import shapes
from lab.llm.asgi import Reply, headers
from lab.llm.cassette import CassetteEntry
from lab.llm.misses import how_to_record
from lab.llm.model import LLMCall
from lab.llm.prices import BY_MODEL, BY_SCRIPT, transcription_cost_usd
from lab.llm.relay import check_upstream, error_message, loads
from lab.llm.upstream import UpstreamError
from lab.voice.ogg import ogg_opus_seconds

PATH = "/v1/audio/transcriptions"
FORMATS = ("json", "text", "verbose_json")
KIND = "transcription"


@dataclass(slots=True)
class TranscriptionRequest:
    """One transcription request, parsed from its multipart body."""

    model: str
    audio: bytes
    filename: str
    content_type: str
    fields: dict[str, str] = field(default_factory=dict)  # language, prompt, temperature, ...
    audio_sha256: str = ""
    audio_seconds: float | None = None  # an OGG/Opus voice note's duration; None for other audio

    def __post_init__(self) -> None:
        self.audio_sha256 = hashlib.sha256(self.audio).hexdigest()
        self.audio_seconds = ogg_opus_seconds(self.audio)

    @property
    def response_format(self) -> str:
        return self.fields.get("response_format") or "json"

    def key(self) -> str:
        """The cassette key: the audio's hash, the model and the fields that change the text."""
        parts = [
            self.audio_sha256,
            self.model,
            self.fields.get("language", ""),
            self.fields.get("prompt", ""),
            self.fields.get("temperature", ""),
        ]
        return "tr-" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]

    def summary(self) -> dict[str, Any]:
        """What the cassette and the metering record show of the request (never the audio)."""
        out: dict[str, Any] = {
            "model": self.model,
            "audio_sha256": self.audio_sha256,
            "bytes": len(self.audio),
            "filename": self.filename,
        }
        seconds = self.audio_seconds
        if seconds is not None:
            out["seconds"] = round(seconds, 2)
        out.update(
            {k: v for k, v in self.fields.items() if k in ("language", "prompt", "temperature")}
        )
        return out

    def describe(self) -> str:
        seconds = self.audio_seconds
        length = f", {seconds:.1f} s" if seconds is not None else ""
        return (
            f"a transcription by {self.model} of audio sha256 {self.audio_sha256[:16]}… "
            f"({self.filename}, {len(self.audio)} bytes{length}) (key {self.key()})"
        )


_DISPOSITION = re.compile(rb'(\w+)="((?:[^"\\]|\\.)*)"|(\w+)=([^;\s]+)')


def _boundary(content_type: str) -> bytes | None:
    for param in content_type.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.lower() == "boundary" and value:
            return value.strip('"').encode("latin-1")
    return None


def _parts(raw: bytes, boundary: bytes) -> list[tuple[dict[bytes, bytes], bytes]]:
    """(Content-Disposition params and content type, content) of each part of a multipart body."""
    out = []
    for chunk in raw.split(b"--" + boundary)[1:]:
        if chunk.startswith(b"--"):  # the closing delimiter
            break
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            continue
        params: dict[bytes, bytes] = {}
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-disposition":
                for m in _DISPOSITION.finditer(value):
                    params[(m.group(1) or m.group(3)).lower()] = (
                        m.group(2) if m.group(1) else m.group(4)
                    )
            elif name == b"content-type":
                params[b"content-type"] = value.strip()
        out.append((params, content[:-2] if content.endswith(b"\r\n") else content))
    return out


def parse_request(raw: bytes, content_type: str) -> TranscriptionRequest:
    """The request, or a 400 saying what is missing (as OpenAI's API would)."""
    boundary = _boundary(content_type) if content_type.startswith("multipart/form-data") else None
    if boundary is None:
        raise Reply(
            400,
            shapes.error_body(
                f"{PATH} takes multipart/form-data with a boundary (a `file` part and a `model` field), "
                f"not {content_type or 'no type'}",
                param="file",
            ),
        )
    fields: dict[str, str] = {}
    audio, filename, audio_type = None, "", ""
    for params, content in _parts(raw, boundary):
        name = params.get(b"name", b"").decode("utf-8", "replace")
        if name == "file":
            audio = content
            filename = params.get(b"filename", b"audio").decode("utf-8", "replace")
            audio_type = params.get(b"content-type", b"").decode("latin-1")
        elif name:
            fields[name] = content.decode("utf-8", "replace")
    if not audio:
        raise Reply(
            400,
            shapes.error_body(
                "a transcription needs the audio as the multipart part `file`", param="file"
            ),
        )
    model = fields.pop("model", "")
    if not model:
        raise Reply(
            400,
            shapes.error_body(
                "a transcription needs `model` (e.g. whisper-1, gpt-4o-transcribe)", param="model"
            ),
        )
    fmt = fields.get("response_format") or "json"
    if fmt not in FORMATS:
        raise Reply(
            400,
            shapes.error_body(
                f"response_format {fmt!r} is not served by the walab gateway; use one of {', '.join(FORMATS)}",
                param="response_format",
            ),
        )
    return TranscriptionRequest(model, audio, filename, audio_type, fields)


def response_bytes(response: dict[str, Any], fmt: str) -> tuple[bytes, bytes]:
    """(content type, body) of a transcription in the requested format."""
    if fmt == "text":
        return b"text/plain; charset=utf-8", (str(response.get("text") or "") + "\n").encode()
    return b"application/json", orjson.dumps(response)


def transcription_usage(
    request: TranscriptionRequest, response: dict[str, Any] | None
) -> dict[str, Any]:
    """The usage to meter: the upstream's when it reported one, else the audio's duration."""
    usage = (response or {}).get("usage")
    if isinstance(usage, dict) and usage.get("type") in ("duration", "tokens"):
        return usage
    seconds = request.audio_seconds
    if seconds is None and isinstance((response or {}).get("duration"), int | float):
        seconds = float(response["duration"])  # type: ignore[index]
    return {"type": "duration", "seconds": round(seconds, 3) if seconds is not None else None}


def token_counts(usage: dict[str, Any]) -> tuple[int, int]:
    """(input, output) tokens of a transcription usage (0, 0 for a duration-priced one)."""
    if usage.get("type") != "tokens":
        return 0, 0
    return int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0)


class HeardAudio:
    """Scripted mode's transcriptions: the text the lab was told for each audio (by sha256)."""

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}

    def hear(self, audio_sha256: str, text: str) -> None:
        self._texts[audio_sha256] = text

    def text(self, audio_sha256: str) -> str | None:
        return self._texts.get(audio_sha256)

    def __len__(self) -> int:
        return len(self._texts)


def miss_message(store: Any, request: TranscriptionRequest) -> str:
    """Why replay cannot answer this transcription, and how to record it."""
    if store is None:
        return f"replay mode has no cassettes loaded, so it cannot answer {request.describe()}; {how_to_record(store)}"
    recorded = store.of_kind(KIND)
    same_audio = [
        e for e in recorded if (e.summary or {}).get("audio_sha256") == request.audio_sha256
    ]
    if same_audio:
        other = same_audio[-1]
        return (
            f"replay: the cassette has this audio (key {other.key} in {other.source}, model "
            f"{other.model}, fields {_fields(other.summary)}) but not {request.describe()} with fields "
            f"{_fields(request.summary())}. Re-record it to accept the change: {how_to_record(store)}"
        )
    heard = "; ".join(
        f"{(e.summary or {}).get('audio_sha256', '?')[:16]}… {e.reply!r}" for e in recorded[-3:]
    )
    known = (
        f" The cassettes hold {len(recorded)} transcription(s) of other audio ({heard})."
        if recorded
        else " The cassettes hold no transcription."
    )
    return (
        f"replay: no recording of {request.describe()}: this audio was never transcribed while recording. "
        f"Searched: {store.describe()}.{known} {how_to_record(store)}"
    )


def _fields(summary: dict[str, Any] | None) -> str:
    keys = ("language", "prompt", "temperature")
    shown = {k: (summary or {}).get(k) for k in keys if (summary or {}).get(k) is not None}
    return str(shown or "{}")


async def serve(
    gateway: Any, raw: bytes, content_type: str, execution_id: str | None, send: Any
) -> None:
    """Answer one transcription request in the gateway's mode, metered like any call."""

    request = parse_request(raw, content_type)
    mode, key, started = gateway.mode, request.key(), gateway._now()
    summary = request.summary()

    def metered(
        response: dict[str, Any] | None,
        *,
        status: int = 200,
        error: str | None = None,
        latency_ms: float = 0.0,
        cost: float | None = None,
        priced_by: str | None = None,
    ) -> LLMCall:
        usage = transcription_usage(request, response) if response is not None else {}
        inp, out = token_counts(usage)
        seconds = usage.get("seconds") if usage.get("type") == "duration" else request.audio_seconds
        if status == 200 and cost is None and priced_by is None:
            if mode == "scripted":
                cost, priced_by = 0.0, BY_SCRIPT
            else:
                details = usage.get("input_token_details") or {}
                cost = transcription_cost_usd(
                    request.model, seconds, inp, out, int(details.get("audio_tokens") or 0)
                )
                priced_by = BY_MODEL if cost is not None else None
        call = LLMCall(
            execution_id=execution_id,
            model=request.model,
            mode=mode,
            input_tokens=inp,
            output_tokens=out,
            estimated=usage.get("type") == "duration" and not (response or {}).get("usage"),
            cost_usd=cost,
            priced_by=priced_by,
            latency_ms=latency_ms,
            cassette_key=key if mode in ("record", "replay") else None,
            status=status,
            error=error,
            started_at=started,
            request={"transcription": summary},
            response=response,
            audio_seconds=seconds,
        )
        gateway._emit(call)
        return call

    if mode == "replay":
        occurrence = gateway._occurrences[key]
        gateway._occurrences[key] = occurrence + 1
        entry = gateway.cassettes.lookup(key, occurrence) if gateway.cassettes is not None else None
        if entry is None or entry.response is None:
            message = miss_message(gateway.cassettes, request)
            metered(None, status=404, error=message)
            raise Reply(404, shapes.error_body(message, code="cassette_miss"))
        response = entry.response
        metered(
            response, latency_ms=entry.latency_ms, cost=entry.cost_usd, priced_by=entry.priced_by
        )
    elif mode == "scripted":
        text = gateway.heard.text(request.audio_sha256)
        if text is None:
            message = (
                f"scripted mode has no transcription for {request.describe()}; the lab hears the voice notes "
                f'it synthesises (`/voice "texto"`, a scenario\'s `voice: {{say: …}}`) as the words said '
                f"({len(gateway.heard)} known); for a recording, use --llm replay with a cassette or --llm record"
            )
            metered(None, status=404, error=message)
            raise Reply(404, shapes.error_body(message, code="scripted_reply_missing"))
        response = {"text": text}
        metered(response)
    else:
        try:
            check_upstream(gateway.upstream, mode)
        except Reply as refused:
            metered(None, status=refused.status, error=error_message(refused.body))
            raise
        await gateway._warmed()
        try:
            reply = await gateway.upstream.transcription(request)
        except UpstreamError as exc:
            metered(None, status=exc.status, error=error_message(exc.body))
            raise Reply(exc.status, exc.body) from None
        response = loads(reply.body) or {}
        call = metered(
            response,
            latency_ms=reply.latency_ms,
            cost=reply.stated_cost.usd if reply.stated_cost else None,
            priced_by=reply.stated_cost.where if reply.stated_cost else None,
        )
        if mode == "record" and gateway.cassettes is not None:
            occurrence = gateway._occurrences[key]
            gateway._occurrences[key] = occurrence + 1
            call.error = gateway._record(
                CassetteEntry(
                    key=key,
                    occurrence=occurrence,
                    kind=KIND,
                    model=request.model,
                    summary=summary,
                    request=summary,
                    response=response,
                    usage=transcription_usage(request, response),
                    cost_usd=call.cost_usd,
                    priced_by=call.priced_by,
                    reply=str(response.get("text") or ""),
                    latency_ms=reply.latency_ms,
                )
            )
    if request.response_format == "json":
        response = {k: v for k, v in response.items() if k in ("text", "usage", "logprobs")}
    content_type_out, body = response_bytes(response, request.response_format)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": headers(
                content_type_out, mode, key if mode in ("record", "replay") else None, len(body)
            ),
        }
    )
    await send({"type": "http.response.body", "body": body})
