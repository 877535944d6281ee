"""Audio the agent uploads and sends, checked as Meta does: OGG only with OPUS in one channel,
16 MB at most; a send with `voice: true` is shown as a voice note."""

from __future__ import annotations

import struct

import pytest

from lab.tui.chat_items import item_from_send
from lab.whatsapp.errors import GraphError
from lab.whatsapp.ids import IdFactory
from lab.whatsapp.media import MediaStore
from lab.whatsapp.model import CapturedSend, Verdict

from .conftest import AUTH, MARIA, SEND


def ogg_opus(channels: int) -> bytes:
    head = b"OpusHead" + bytes([1, channels]) + struct.pack("<HIhB", 312, 48000, 0, 0)
    page = b"OggS" + bytes([0, 2]) + struct.pack("<qIIIB", 0, 1, 0, 0, 1) + bytes([len(head)])
    return page + head


@pytest.fixture
def store() -> MediaStore:
    return MediaStore(IdFactory())


def test_mono_ogg_opus_mp3_and_aac_are_taken(store):
    assert store.upload(ogg_opus(1), "audio/ogg; codecs=opus", "1").kind == "audio"
    assert store.upload(b"ID3" + b"\0" * 10, "audio/mpeg", "1").kind == "audio"
    assert store.upload(b"\xff\xf1aac", "audio/aac", "1").kind == "audio"


@pytest.mark.parametrize(
    "data", [ogg_opus(2), b"OggS\0\2" + b"\0" * 22 + b"\x01vorbis" + b"\0" * 20]
)
def test_ogg_that_is_not_mono_opus_is_refused(store, data):
    with pytest.raises(GraphError) as caught:
        store.upload(data, "audio/ogg", "1")
    assert caught.value.code == 131053 and "OPUS-encoded mono" in caught.value.details


def test_audio_types_and_size_follow_meta(store):
    with pytest.raises(GraphError) as caught:
        store.upload(b"RIFF....WAVE", "audio/wav", "1")
    assert caught.value.code == 131053 and "audio/ogg" in caught.value.details
    with pytest.raises(GraphError) as caught:
        store.upload(b"\0" * (16 * 1024 * 1024 + 1), "audio/mpeg", "1")
    assert "exceeds" in caught.value.details


def send(audio: dict) -> CapturedSend:
    payload = {"messaging_product": "whatsapp", "to": "5511", "type": "audio", "audio": audio}
    return CapturedSend(
        seq=1,
        wamid="wamid.9",
        to="5511",
        phone_number_id="1",
        type="audio",
        payload=payload,
        verdict=Verdict(ok=True),
        response={},
        time=0.0,
    )


def test_a_voice_send_is_a_voice_bubble_and_plain_audio_stays_audio():
    voice = item_from_send(send({"id": "123", "voice": True}))
    assert voice.label == "🎤 voice note" and voice.text.startswith("▶ ")
    plain = item_from_send(send({"id": "123"}))
    assert plain.label == "🎵 audio · 123"


def ogg_opus_of(seconds: float) -> bytes:
    """A mono OGG/Opus stream whose last page ends `seconds` in (48 kHz granules after pre-skip)."""
    first = ogg_opus(1)
    granule = 312 + int(seconds * 48000)
    last = b"OggS" + bytes([0, 4]) + struct.pack("<qIIIB", granule, 1, 2, 0, 1) + b"\x01" + b"\0"
    return first + last


async def test_a_voice_note_the_agent_uploads_shows_its_duration_on_its_bubble(graph, sandbox):
    """Over the fake Graph API: the agent uploads 7 s of OGG/Opus, then sends it by id as a voice
    note; its bubble's player reads the duration from the uploaded bytes (not `-:--`)."""
    up = await graph.post(
        "/v23.0/106540352242922/media",
        headers=AUTH,
        data={"messaging_product": "whatsapp", "type": "audio/ogg"},
        files={"file": ("nota.ogg", ogg_opus_of(7.2), "audio/ogg; codecs=opus")},
    )
    assert up.status_code == 200, up.text
    audio = {"id": up.json()["id"], "voice": True}
    body = {"messaging_product": "whatsapp", "to": MARIA.wa_id, "type": "audio", "audio": audio}
    assert (await graph.post(SEND, json=body, headers=AUTH)).status_code == 200
    cap = sandbox.thread(MARIA.wa_id)[-1]
    assert cap.audio_seconds == pytest.approx(7.2, abs=0.01)
    bubble = item_from_send(cap)
    assert bubble.label == "🎤 voice note" and bubble.text == "▶ ━━━━━━━━━━━━ 0:07"
    linked = {"link": "https://example.com/nota.ogg", "voice": True}  # bytes the lab never sees
    await graph.post(SEND, json={**body, "audio": linked}, headers=AUTH)
    assert item_from_send(sandbox.thread(MARIA.wa_id)[-1]).text.endswith("-:--")
