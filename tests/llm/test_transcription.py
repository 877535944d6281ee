"""`/v1/audio/transcriptions` on the gateway: live, record, replay (same audio answers, other audio
misses and says how to record), scripted, metered by duration with genai-prices."""

from __future__ import annotations

import httpx
import openai
import pytest

from lab.llm.cassette import CassetteStore
from lab.llm.prices import BY_MODEL, BY_SCRIPT

from .conftest import GATEWAY_KEY, UPSTREAM_KEY, make_gateway
from .test_modes import client

AUDIO = b"OggS-not-really-but-audio-bytes" * 40
OTHER = b"another recording" * 40


async def transcribe(lab, audio: bytes, model: str = "whisper-1", **kw) -> str:
    reply = await client(lab).audio.transcriptions.create(
        file=("voz.ogg", audio, "audio/ogg"), model=model, **kw
    )
    return reply if isinstance(reply, str) else reply.text


async def test_live_forwards_the_audio_and_meters_it_by_duration(upstream, serve_gateway):
    lab = serve_gateway(make_gateway("live", upstream))
    text = await transcribe(lab, AUDIO, language="pt")
    assert text == "Oi, quero economizar na conta de luz (1)"
    sent = upstream.requests[-1]
    assert sent["path"] == "/v1/audio/transcriptions"
    assert sent["headers"]["authorization"] == f"Bearer {UPSTREAM_KEY}"
    assert AUDIO in sent["raw"] and b"whisper-1" in sent["raw"]
    (call,) = lab.gateway.calls("exec1")
    assert call.model == "whisper-1" and call.audio_seconds == 4 and call.status == 200
    assert (
        call.cost_usd == pytest.approx(0.36 * 4 / 3600) and call.priced_by == BY_MODEL
    )  # genai-prices: $0.36 an audio hour
    assert call.request == {
        "transcription": {
            "model": "whisper-1",
            "audio_sha256": call.request["transcription"]["audio_sha256"],
            "bytes": len(AUDIO),
            "filename": "voz.ogg",
            "language": "pt",
        }
    }


async def test_an_unknown_model_is_price_unknown_never_free(upstream, serve_gateway):
    lab = serve_gateway(make_gateway("live", upstream))
    await transcribe(lab, AUDIO, model="my-local-whisper")
    (call,) = lab.gateway.calls()
    assert call.cost_usd is None and call.priced_by is None


async def test_record_then_replay_returns_the_recorded_text_for_the_same_audio(
    upstream, serve_gateway, cassette_path
):
    recorder = serve_gateway(make_gateway("record", upstream, cassette_path))
    recorded = await transcribe(recorder, AUDIO)
    text = cassette_path.read_text()
    assert "kind: transcription" in text and "audio_sha256" in text and UPSTREAM_KEY not in text
    assert "OggS" not in text  # the audio itself is never written, only its hash

    player = serve_gateway(make_gateway("replay", cassette=cassette_path))
    assert await transcribe(player, AUDIO) == recorded
    assert await transcribe(player, AUDIO, response_format="text") == recorded + "\n"
    call = player.gateway.calls()[0]
    assert call.mode == "replay" and call.cost_usd == recorded_cost(cassette_path)
    assert len(upstream.requests) == 1  # replay never reaches the upstream


def recorded_cost(path) -> float:
    (entry,) = CassetteStore(path).of_kind("transcription")
    return entry.cost_usd


async def test_replay_of_other_audio_is_a_clear_miss_saying_how_to_record(
    upstream, serve_gateway, cassette_path
):
    await transcribe(serve_gateway(make_gateway("record", upstream, cassette_path)), AUDIO)
    player = serve_gateway(make_gateway("replay", cassette=cassette_path))
    try:
        await transcribe(player, OTHER)
    except openai.NotFoundError as exc:
        message = exc.body["message"]
    else:
        raise AssertionError("other audio must miss")
    assert "this audio was never transcribed while recording" in message
    assert str(cassette_path) in message and "--llm record" in message
    assert "1 transcription(s) of other audio" in message and "Oi, quero economizar" in message

    try:
        await transcribe(player, AUDIO, model="gpt-4o-transcribe")
    except openai.NotFoundError as exc:
        assert (
            "the cassette has this audio" in exc.body["message"]
            and "whisper-1" in exc.body["message"]
        )
    else:
        raise AssertionError("another model must miss")


async def test_scripted_mode_hears_what_the_lab_said(serve_gateway):
    lab = serve_gateway(make_gateway("scripted"))
    lab.gateway.hear(AUDIO, "Quanto custa a instalação?")
    assert await transcribe(lab, AUDIO) == "Quanto custa a instalação?"
    (call,) = lab.gateway.calls()
    assert call.cost_usd == 0.0 and call.priced_by == BY_SCRIPT
    try:
        await transcribe(lab, OTHER)
    except openai.NotFoundError as exc:
        assert "scripted mode has no transcription" in exc.body["message"]
        assert '/voice "texto"' in exc.body["message"]
    else:
        raise AssertionError("unknown audio must be refused")


async def test_a_request_without_audio_or_model_is_refused_as_openai_would(serve_gateway):
    lab = serve_gateway(make_gateway("scripted"))
    async with httpx.AsyncClient() as http:
        url = lab.base() + "/audio/transcriptions"
        auth = {"Authorization": f"Bearer {GATEWAY_KEY}"}
        r = await http.post(
            url, data={"model": "whisper-1"}, files={"other": ("a", b"x")}, headers=auth
        )
        assert r.status_code == 400 and "`file`" in r.json()["error"]["message"]
        r = await http.post(url, files={"file": ("a.ogg", b"x")}, headers=auth)
        assert r.status_code == 400 and "`model`" in r.json()["error"]["message"]
        r = await http.post(url, json={"model": "whisper-1"}, headers=auth)
        assert r.status_code == 400 and "multipart/form-data" in r.json()["error"]["message"]
        r = await http.post(url, data={"model": "whisper-1"}, files={"file": ("a.ogg", b"x")})
        assert r.status_code == 401
