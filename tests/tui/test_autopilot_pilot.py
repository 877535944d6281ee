"""Autopilot in the chat: a persona chats with the real agent as the contact on show, stoppable.

The real app on the embedded target (whatsapp_agent, its model scripted as dona_cida's `llm:`): the persona's acts go through
`Lab.perform`, so its bubbles and the agent's replies appear in the chat as the turns run; at the
end a note gives the outcome and the rubric's verdict. Typing takes over (no further move); F12
while it runs stops it.
"""

from __future__ import annotations

import asyncio
import shutil

import pytest
from waiting import eventually

from lab.simulate.persona import load_persona
from lab.tui.messages import AutopilotEnded
from lab.tui.screens.persona_picker import PersonaPickerModal
from lab.tui.widgets.composer import Composer

from .conftest import ROOT, opened, settle, texts

pytestmark = pytest.mark.slow

# The agent's model answers as in the persona's own `llm.scripted`.
AGENT_REPLIES = load_persona(ROOT / "personas" / "dona_cida.yaml").llm["scripted"]
SCRIPT = ["Oi", "Ver planos", "Família", "Agendar visita"]


@pytest.fixture
def personas(project):
    (project / "personas").mkdir()
    shutil.copy(ROOT / "personas" / "carlos_orcamento.yaml", project / "personas")
    shutil.copy(ROOT / "personas" / "dona_cida.yaml", project / "personas")
    return project / "personas"


def _ended(messages: list) -> list[AutopilotEnded]:
    """The AutopilotEnded messages, each once (the hook sees a message at every node it bubbles to)."""
    return list({id(m): m for m in messages if isinstance(m, AutopilotEnded)}.values())


async def _start(pilot, name: str) -> None:
    await pilot.press("f12")
    await pilot.pause()
    picker = pilot.app.screen
    assert isinstance(picker, PersonaPickerModal)
    names = [c.name for c in picker.choices]
    assert names[-1] == "carlos_orcamento"  # written for another flow: after the chat's own
    options = picker.query_one("#persona-options")
    options.highlighted = names.index(name)
    await pilot.press("enter")


async def test_a_persona_chats_live_and_is_judged(make_real_app, personas):
    app = make_real_app(flow="whatsapp_agent", scripted=AGENT_REPLIES)
    ended: list[AutopilotEnded] = []
    async with app.run_test(message_hook=lambda m: ended.append(m)) as pilot:
        await opened(pilot)
        await _start(pilot, "dona_cida")
        await settle(pilot)
        assert app.chat.autopilot is None
        turns = app.lab.transcript.turns
        assert [t.inbound.summary for t in turns][:4] == SCRIPT
        assert len(turns) == 7  # and a burst of three messages in a row
        shown = texts(app)
        assert "Oi" in shown and "pode ser sexta de manha" in shown  # the persona's bubbles
        assert any("visita técnica em Campinas" in t for t in shown)  # the agent's, live
        tapped = [b for b in app.chat.query(".bubble") if b.item.buttons and b.item.answered]
        assert tapped  # the buttons the persona tapped read as answered
        (end,) = _ended(ended)
        assert end.passed and end.summary.startswith("autopilot dona_cida: goal_reached")
        assert "rubric 1.00 (>= 0.7) pass" in end.summary
        assert end.summary in shown  # the note in the chat


def _gate(lab) -> asyncio.Event:
    """Hold every act at the lab's door until the event is set (the test decides when moves run)."""
    gate = asyncio.Event()
    perform = lab.perform

    async def gated(wa_id, action):
        await gate.wait()
        return await perform(wa_id, action)

    lab.perform = gated
    return gate


async def test_f12_stops_and_typing_takes_over(make_real_app, personas):
    app = make_real_app(flow="whatsapp_agent", scripted=AGENT_REPLIES)
    ended: list[AutopilotEnded] = []
    async with app.run_test(message_hook=lambda m: ended.append(m)) as pilot:
        await opened(pilot)
        gate = _gate(app.lab)
        await _start(pilot, "dona_cida")
        await eventually(
            lambda: app.chat.autopilot is not None, "the autopilot", pause=pilot.pause, step=0.01
        )
        await pilot.press("f12")  # stop: the move in flight finishes, no other is made
        assert app.chat.autopilot.stop_requested
        gate.set()
        await settle(pilot)
        (end,) = _ended(ended)
        assert end.summary.startswith("autopilot dona_cida: stopped, 1 turns")
        assert "rubric" not in end.summary and app.chat.autopilot is None
        assert [t.inbound.summary for t in app.lab.transcript.turns] == ["Oi"]
        assert end.summary in texts(app)

        # Again, and the person types while the persona's first move is in flight.
        ended.clear()
        gate.clear()
        await _start(pilot, "dona_cida")
        await eventually(
            lambda: app.chat.autopilot is not None, "the autopilot", pause=pilot.pause, step=0.01
        )
        composer = app.chat.query_one(Composer)
        composer.focus()
        composer.value = "Eu mesmo escrevo"
        await pilot.press("enter")
        gate.set()
        await settle(pilot)
        (end,) = _ended(ended)
        assert ": stopped," in end.summary
        said = [t.inbound.summary for t in app.lab.transcript.turns]
        assert said[:2] == ["Oi", "Oi"] and said[2:] == ["Eu mesmo escrevo"]
