"""A voice note's bubble: a player line with its duration, then the flow's transcription."""

from __future__ import annotations

from lab.conversation.actions import SendVoice
from lab.conversation.model import InboundEvent, Turn
from lab.llm.model import LLMCall
from lab.tui.chat_items import items_for_turn, pending_summary


def voice_turn(calls: list[LLMCall]) -> Turn:
    message = {
        "from": "5511",
        "id": "wamid.1",
        "type": "audio",
        "audio": {"id": "m1", "mime_type": "audio/ogg; codecs=opus", "voice": True},
    }
    payload = {"entry": [{"changes": [{"value": {"messages": [message]}}]}]}
    inbound = InboundEvent(
        "5511", "audio", "[voice note 0:03]", payload, b"", "wamid.1", 0.0, audio_seconds=3.2
    )
    turn = Turn(index=1, contact="5511", inbound=inbound)
    turn.llm_calls.extend(calls)
    return turn


def test_the_bubble_shows_the_player_then_the_transcription():
    (before,) = items_for_turn(voice_turn([]))
    assert before.label == "🎤 voice note" and before.text == "▶ ━━━━━━━━━━━━ 0:03"
    heard = LLMCall(
        execution_id="e1",
        model="whisper-1",
        mode="scripted",
        input_tokens=0,
        output_tokens=0,
        request={"transcription": {"audio_sha256": "ab"}},
        response={"text": "Quanto custa?"},
    )
    (after,) = items_for_turn(voice_turn([heard]))
    assert after.text == "▶ ━━━━━━━━━━━━ 0:03\n“Quanto custa?”"


def test_the_pending_bubble_is_a_voice_note():
    assert pending_summary(SendVoice(say="Oi"))[:2] == ("audio", "🎤 voice note")
