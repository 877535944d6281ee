"""A voice note the lab synthesises flows through each bundled agent: the flow downloads it through
the Graph API media endpoints, transcribes it through the gateway, and answers what was said, with
a scripted transcription and with one recorded in a cassette (then replayed, offline)."""

from __future__ import annotations

from typing import Any

import pytest
from conversation.conftest import CLOCK, MARIA, settings
from llm.conftest import UPSTREAM_KEY, FakeUpstream
from loopback import LoopbackServer

from lab.conversation.actions import SendVoice
from lab.conversation.lab import Lab
from lab.llm.scripted import ScriptedReplies
from lab.voice import synth

pytestmark = pytest.mark.skipif(
    bool(synth.missing_tools()), reason="needs espeak-ng and opusenc (opus-tools)"
)

SAID = "Quanto custa a instalação de placas solares?"
AGENTS = {  # flow -> (scripted chat replies, what the answer must say)
    "whatsapp_agent": (
        [{"match": "(?i)quanto custa", "reply": "A instalação começa em R$ 12 mil."}],
        "A instalação começa em R$ 12 mil.",
    ),
    "faq_energy_assistant": (
        [{"match": "(?i)instalação", "reply": "Um sistema residencial custa de R$ 12 a 25 mil."}],
        "Um sistema residencial custa de R$ 12 a 25 mil.",
    ),
    "lead_qualification": ([], None),
}


def texts(turn: Any) -> list[str]:
    out = []
    for send in turn.replies:
        body = (send.payload or {}).get("text") or {}
        out.append(
            str(
                body.get("body")
                or (send.payload or {}).get("interactive", {}).get("body", {}).get("text")
                or ""
            )
        )
    return out


def heard(turn: Any) -> list[Any]:
    return [c for c in turn.llm_calls if "transcription" in (c.request or {})]


@pytest.mark.parametrize("flow", sorted(AGENTS))
async def test_a_said_voice_note_drives_the_turn_with_a_scripted_transcription(flow):
    replies, answer = AGENTS[flow]
    async with Lab.open(
        settings(flow=flow, llm_mode="scripted"),
        clock_start=CLOCK,
        scripted=ScriptedReplies(replies, source="test"),
    ) as lab:
        turn = await lab.perform(MARIA, SendVoice(say=SAID))
        (call,) = heard(turn)
        assert call.status == 200 and call.response["text"] == SAID and call.mode == "scripted"
        tasks = {run.task_id for ex in turn.executions for run in ex.task_runs}
        assert {"voice_url", "download_voice", "transcribe", "heard"} <= tasks
        said = " ".join(texts(turn))
        if answer is not None:
            assert answer in said
            chat = [c for c in turn.llm_calls if "messages" in (c.request or {})]
            assert SAID in str(chat[0].request["messages"][-1]["content"])
        else:  # the lead flow's keywords place a price question as a quote request
            assert "orçamento" in said.lower() or "conta de luz" in said.lower(), said


def heard_text(turn: Any) -> str:
    return next(
        run.outputs["values"]["text"]
        for ex in turn.executions
        for run in ex.task_runs
        if run.task_id == "heard"
    )


@pytest.mark.parametrize("flow", sorted(AGENTS))
async def test_a_recorded_transcription_replays_offline_for_the_same_voice_note(flow, tmp_path):
    cassette = tmp_path / "voz.cassette.yaml"
    fake = FakeUpstream()
    with LoopbackServer(fake) as served:
        s = settings(
            flow=flow,
            llm_mode="record",
            llm_upstream_url=served.url + "/v1",
            llm_upstream_key=UPSTREAM_KEY,
        )
        async with Lab.open(s, clock_start=CLOCK, cassette=cassette) as lab:
            recorded = await lab.perform(MARIA, SendVoice(say=SAID))
    (call,) = heard(recorded)
    transcript = call.response["text"]
    assert transcript.startswith(
        "Oi, quero economizar na conta de luz"
    )  # what the stub upstream heard
    assert heard_text(recorded) == transcript  # the turn is driven by what was heard
    if AGENTS[flow][1] is not None:  # the LLM agents answer it (the stub upstream echoes the user)
        assert f"eco: {transcript}" in " ".join(texts(recorded))
    assert (
        "kind: transcription" in cassette.read_text() and UPSTREAM_KEY not in cassette.read_text()
    )

    async with Lab.open(
        settings(flow=flow, llm_mode="replay"), clock_start=CLOCK, cassette=cassette
    ) as lab:
        replayed = await lab.perform(MARIA, SendVoice(say=SAID))
        (call,) = heard(replayed)
        assert call.mode == "replay" and call.response["text"] == transcript
        assert texts(replayed) == texts(recorded)
        other = await lab.perform(MARIA, SendVoice(say="Uma frase que ninguém gravou"))
        misses = heard(other)  # the task's retry asks again; each is a miss that says why
        assert misses and all(
            m.status == 404 and "this audio was never transcribed while recording" in m.error
            for m in misses
        )


@pytest.mark.parametrize("flow", sorted(AGENTS))
async def test_a_redelivered_voice_note_is_transcribed_once(flow):
    """The flow claims the message before it downloads and transcribes: Meta's redelivery of the
    same voice note costs no second transcription (and gets no second answer)."""
    replies, _ = AGENTS[flow]
    async with Lab.open(
        settings(flow=flow, llm_mode="scripted"),
        clock_start=CLOCK,
        scripted=ScriptedReplies(replies, source="test"),
    ) as lab:
        lab.inject_fault(duplicate_next=1)  # Meta delivers the next webhook twice
        turn = await lab.perform(MARIA, SendVoice(say=SAID))
        agent = [ex for ex in turn.executions if ex.flow_id == flow]
        assert len(agent) == 2
        transcriptions = [c for c in lab.gateway.calls() if "transcription" in (c.request or {})]
        assert len(transcriptions) == 1, transcriptions
        downloads = [
            run
            for ex in agent
            for run in ex.task_runs
            if run.task_id in ("voice_url", "download_voice", "transcribe")
        ]
        assert len(downloads) == 3  # one execution fetched and transcribed it, once
        chat = [c for c in lab.gateway.calls() if "messages" in (c.request or {})]
        assert len(chat) == (1 if replies else 0)
