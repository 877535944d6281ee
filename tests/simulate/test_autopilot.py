"""The autopilot's headless core: which personas a chat offers, who plays them, stopping between moves."""

from __future__ import annotations

import asyncio
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from lab.config import load_settings
from lab.conversation.lab import Lab
from lab.llm.scripted import ScriptedReplies
from lab.simulate.autopilot import Autopilot, autopilot_user, personas_for, summary
from lab.simulate.persona import load_persona
from lab.simulate.user import ModelUser, ScriptedUser

ROOT = Path(__file__).resolve().parents[2]
CIDA = ROOT / "personas" / "dona_cida.yaml"


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in [v for v in os.environ if v.startswith(("OPENAI_", "WALAB_"))]:
        monkeypatch.delenv(var)


def test_the_chats_flow_comes_first() -> None:
    choices = personas_for(ROOT, "lead_qualification")
    assert choices[0].name == "carlos_orcamento" and choices[0].flow == "lead_qualification"
    assert {c.flow for c in choices[1:]} != {"lead_qualification"}
    assert not any(c.path.name.endswith(".cassette.yaml") for c in choices)
    assert personas_for(ROOT / "flows", "x") == []  # no personas/ folder: none


class _Lab:
    def __init__(self, mode: str) -> None:
        self.llm_mode = mode


def test_a_chat_without_a_real_model_plays_the_script() -> None:
    persona = load_persona(CIDA)  # has a script and a model
    assert isinstance(autopilot_user(persona, _Lab("replay")), ScriptedUser)
    assert isinstance(autopilot_user(persona, _Lab("live")), ModelUser)


def test_stopped_between_moves_is_unjudged() -> None:
    persona = load_persona(CIDA)

    async def play() -> tuple:
        settings = load_settings(ROOT, env={}, flow="whatsapp_agent", llm_mode="scripted")
        replies = ScriptedReplies(persona.llm["scripted"], source=str(CIDA))
        clock = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)
        async with Lab.open(settings, clock_start=clock, scripted=replies) as lab:
            pilot = Autopilot(persona, settings.contacts[0].wa_id)
            seen = []

            def moved(move, turns) -> None:
                seen.append(move.step)
                if len(seen) == 2:
                    pilot.stop()  # as F12 does, between two moves

            return await pilot.run(lab, on_move=moved), seen

    conv, seen = asyncio.run(play())
    assert seen == [{"say": "Oi"}, {"tap": "Ver planos"}]
    assert conv.outcome == "stopped" and conv.verdict is None and len(conv.turns) == 2
    assert summary(conv) == "autopilot dona_cida: stopped, 2 turns"
