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
