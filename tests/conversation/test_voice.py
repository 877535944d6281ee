"""The lab speaks: `/voice "texto"` and `voice: {say: …}` synthesise a pt-BR OGG/Opus voice note
(espeak-ng + opusenc), `/voice FILE` sends a recording; the webhook flags voice notes only."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lab.conversation.actions import SendVoice, from_step
from lab.conversation.composer import parse_command
from lab.errors import ConfigError, LabError
from lab.voice import synth
from lab.voice.ogg import is_ogg_opus, ogg_opus_seconds, opus_channels, player_line

from .conftest import MARIA

needs_tools = pytest.mark.skipif(
    bool(synth.missing_tools()), reason="needs espeak-ng and opusenc (opus-tools)"
)
SAID = "Oi, quero economizar na conta de luz"


@needs_tools
def test_a_synthesised_voice_note_is_mono_ogg_opus_and_the_same_every_time():
    synth.synthesise.cache_clear()
    first = synth.synthesise(SAID)
    synth.synthesise.cache_clear()
    assert synth.synthesise(SAID) == first  # a stable sha256: cassettes replay on any machine
    assert is_ogg_opus(first) and opus_channels(first) == 1
    assert 1.0 < ogg_opus_seconds(first) < 6.0
    assert synth.synthesise("Outra frase bem diferente") != first


def test_missing_espeak_ng_is_explained(monkeypatch):
    synth.synthesise.cache_clear()
    monkeypatch.setattr(
        shutil, "which", lambda name: None if name == "espeak-ng" else "/usr/bin/" + name
    )
    with pytest.raises(LabError) as caught:
        synth.synthesise(SAID)
    text = str(caught.value)
    assert "espeak-ng not found on PATH" in text and "apt-get install espeak-ng" in text
    assert "/voice FILE" in text


def test_the_composer_says_a_text_or_sends_an_existing_file(tmp_path):
    assert parse_command('/voice "Quanto custa?"') == SendVoice(say="Quanto custa?")
    assert parse_command("/voice Quanto custa a instalação?") == SendVoice(
        say="Quanto custa a instalação?"
    )
    note = tmp_path / "nota.ogg"
    note.write_bytes(b"OggS")
    assert parse_command("/voice nota.ogg", project_dir=tmp_path) == SendVoice(path=note)
    with pytest.raises(ConfigError):
        parse_command("/voice")


def test_a_scenario_step_reads_and_writes_back():
    act = from_step("voice", {"say": SAID})
    assert act == SendVoice(say=SAID) and act.to_step() == {"voice": {"say": SAID}}
    act = from_step("voice", {"path": "files/nota.ogg"})
    assert act == SendVoice(path=Path("files/nota.ogg")) and act.to_step() == {
        "voice": {"path": "files/nota.ogg"}
    }
    with pytest.raises(ConfigError) as caught:
        from_step("voice", {"say": SAID, "path": "x.ogg"}, where="s.yaml:3")
    assert "{say: Quanto custa" in str(caught.value)


@needs_tools
async def test_a_said_voice_note_is_posted_as_a_voice_flagged_ogg_opus_audio(open_lab):
    async with open_lab(flow="lead_qualification", scripted=[]) as lab:
        turn = await lab.perform(MARIA, SendVoice(say=SAID))
        audio = turn.inbound.payload["entry"][0]["changes"][0]["value"]["messages"][0]["audio"]
        assert audio["voice"] is True and audio["mime_type"] == "audio/ogg; codecs=opus"
        assert lab.sandbox.media.get(audio["id"]).data == synth.synthesise(SAID)
        assert turn.inbound.audio_seconds == ogg_opus_seconds(synth.synthesise(SAID))
        assert turn.inbound.summary.startswith("[voice note 0:0")


async def test_a_recording_is_a_voice_note_only_when_it_is_ogg_opus(open_lab, tmp_path):
    mp3 = tmp_path / "recado.mp3"
    mp3.write_bytes(b"ID3\x03\x00" + b"\0" * 64)
    async with open_lab(flow="lead_qualification", scripted=[]) as lab:
        turn = await lab.perform(MARIA, SendVoice(path=mp3))
        audio = turn.inbound.payload["entry"][0]["changes"][0]["value"]["messages"][0]["audio"]
        assert audio["voice"] is False and audio["mime_type"] == "audio/mpeg"


def test_the_player_line_reads_like_whatsapps():
    assert player_line(7.4).endswith(" 0:07") and player_line(92).endswith(" 1:32")
    assert player_line(None).endswith("-:--")


def test_a_persona_move_can_be_a_voice_note():
    from lab.simulate.moves import parse_move

    move = parse_move({"voice": {"say": SAID}})
    assert move.actions == (SendVoice(say=SAID),) and move.done is None
