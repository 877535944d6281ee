"""The Lab session: events, threads, many contacts, timeouts, prompts, flows, serving on loopback."""

from __future__ import annotations

import asyncio
import socket
from datetime import timedelta

import httpx
import pytest
from waiting import eventually

from lab.conversation import events as ev
from lab.errors import ConfigError, LabError

from .conftest import CLOCK, MARIA, settings


async def test_events_of_a_turn_in_order(open_lab):
    seen: list = []
    async with open_lab() as lab:
        lab.subscribe(seen.append)
        turn = await lab.send_text(MARIA, "Oi")
        await lab.sandbox.drain()
    kinds = [type(e).__name__ for e in seen]
    assert kinds[0] == "TurnStarted" and "TurnFinished" in kinds
    assert kinds.index("ReplyCaptured") < kinds.index("TurnFinished")
    assert {"ExecutionUpdated", "LogReceived", "StatusChanged"} <= set(kinds)
    finished = next(e for e in seen if isinstance(e, ev.TurnFinished))
    assert finished.turn is turn
    replies = [e for e in seen if isinstance(e, ev.ReplyCaptured)]
    assert all(e.turn_index == turn.index for e in replies)
    assert turn.timings.webhook_ack_ms is not None and turn.timings.first_reply_ms is not None
    assert turn.timings.first_reply_ms <= turn.timings.terminal_ms


async def test_a_broken_listener_does_not_break_the_turn(open_lab):
    async with open_lab() as lab:
        lab.subscribe(lambda e: 1 / 0)
        turn = await lab.send_text(MARIA, "Oi")
        assert turn.verdict == "ok"


async def test_thread_transcript_and_contacts(open_lab):
    async with open_lab() as lab:
        assert lab.describe_target() == "embedded (Kestra 1.3 API)"
        assert lab.flow == "company.whatsapp.lead_qualification"
        await lab.send_text(MARIA, "Oi")
        await lab.tap(MARIA, "Ver planos")
        from lab.whatsapp.reply import visible

        everything = lab.thread(MARIA)
        assert [i.send.type for i in everything if i.send and not visible(i.send)] == [
            "read",
            "read",
        ]
        items = [i for i in everything if i.send is None or visible(i.send)]
        assert [i.side for i in items] == ["user", "business", "business", "user", "business"]
        assert items[0].text == "Oi" and items[1].text == "[template hello_world]"
        assert "Solar Casa" in items[-1].text and items[-1].turn_index == 2
        assert [t.contact for t in lab.transcript.turns] == [MARIA, MARIA]
        new = lab.add_contact("Ana Lima")
        assert new.wa_id.startswith("55") and new in lab.contacts
        with pytest.raises(LabError) as err:
            await lab.tap(MARIA, "Comprar agora")
        assert "Ver planos" in (err.value.fix or "")


async def test_many_contacts_at_once(open_lab):
    async with open_lab() as lab:
        people = [lab.add_contact(f"Pessoa {i}").wa_id for i in range(6)]
        turns = await asyncio.gather(*(lab.send_text(p, "Quero um orçamento") for p in people))
        for person, turn in zip(people, turns):
            assert turn.verdict == "ok" and turn.contact == person
            assert turn.replies and all(s.to in (person, "") for s in turn.replies)
        assert len({t.executions[0].id for t in turns}) == len(people)


async def test_unknown_flow_and_switching_flows(open_lab):
    async with open_lab() as lab:
        with pytest.raises(ConfigError, match="no flow 'nope'"):
            lab.use_flow("nope")
        lab.use_flow("faq_energy_assistant")
        assert lab.transcript.flow == "company.whatsapp.faq_energy_assistant"


async def test_apply_prompt_changes_the_system_prompt(open_lab):
    async with open_lab(
        flow="whatsapp_agent", scripted=[{"match": ".", "reply": '{"text": "ok"}'}]
    ) as lab:
        prompt = await lab.apply_prompt("whatsapp_agent.concise")
        turn = await lab.send_text(MARIA, "Oi")
        assert (
            turn.llm_calls[0].request["messages"][0]["content"].startswith(prompt.text.strip()[:60])
        )
        with pytest.raises(ConfigError):
            await lab.apply_prompt("whatsapp_agent.nope")


async def test_a_hung_turn_times_out_with_a_reason(tmp_path):
    from lab.conversation.lab import Lab

    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "slow.yml").write_text(
        "id: slow\nnamespace: company.whatsapp\ntasks:\n"
        "  - id: think\n    type: io.kestra.plugin.scripts.shell.Commands\n"
        "    taskRunner:\n      type: io.kestra.plugin.core.runner.Process\n"
        "    commands:\n      - sleep 20\n"
        "triggers:\n  - id: wa\n    type: io.kestra.plugin.core.trigger.Webhook\n    key: k\n",
        encoding="utf-8",
    )
    from lab.config import load_settings

    s = load_settings(tmp_path, env={}, flow="slow")
    async with Lab.open(s, clock_start=CLOCK, turn_timeout=0.5) as lab:
        turn = await lab.send_text(MARIA, "Oi")
        assert turn.verdict == "timeout"
        assert "did not finish within 0.5 s" in turn.error and "task think" in turn.error
        assert "was killed" in turn.error


async def test_serving_on_loopback(tmp_path):
    from lab.conversation.lab import Lab

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    s = settings(port=port)
    async with Lab.open(s, serve=True, clock_start=CLOCK) as lab:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            assert (await http.get("/health")).status_code == 200
            plans = await http.get(f"/files/{s.files_key}/plans.json")
            assert plans.status_code == 200 and plans.json()[0]["id"] == "solar_start"
            assert (
                await http.get("/files/plans.json")
            ).status_code == 401  # the key is the credential
            assert (await http.get(f"/files/{s.files_key}/..%2Fwalab")).status_code == 404
            assert (await http.get("/api/v1/configs")).status_code == 200
        turn = await lab.send_text(MARIA, "Oi")
        assert turn.verdict == "ok"


async def test_advance_and_the_window(open_lab):
    async with open_lab() as lab:
        await lab.send_text(MARIA, "Oi")
        assert lab.sandbox.window_open(MARIA)
        lab.advance(timedelta(hours=24, minutes=1))
        assert not lab.sandbox.window_open(MARIA)


def test_deploy_plan_lists_no_secret():
    from lab.conversation import deploy

    s = settings()
    plan = deploy.plan(s)
    listing = "\n".join(plan.lines())
    assert "whatsapp_agent" in listing and "plans.json" in listing
    for secret in s.secret_values():
        assert secret not in listing
    assert {f.id for f in plan.flows} == {
        "whatsapp_agent",
        "lead_qualification",
        "faq_energy_assistant",
        "claim_message",
        "lead_followup",
    }
    assert plan.kv["LLM_BASE_URL"].endswith("/llm") and plan.files["prompts/whatsapp_agent.md"]


async def test_status_webhooks_reach_the_flow_and_start_executions(open_lab):
    async with open_lab(
        flow="whatsapp_agent", scripted=[{"match": ".", "reply": '{"text": "Olá!"}'}]
    ) as lab:
        turn = await lab.send_text(MARIA, "Oi")
        assert turn.verdict == "ok"
        # the sandbox delivers statuses asynchronously, as Meta does
        await eventually(lambda: len(lab.status_deliveries) >= 2, "two status webhooks delivered")
        deliveries = lab.status_deliveries
        assert deliveries and all(d.http_status == 200 and d.execution_id for d in deliveries)
        assert {s for d in deliveries for s in d.statuses} >= {"sent"}
        for d in deliveries:  # each started an execution of the session's flow on the engine
            execution = await lab.engine.wait(d.execution_id, 5)
            assert execution.flow_id == "whatsapp_agent" and execution.state.current == "SUCCESS"
        assert all(lab.turns.turn_of_execution(d.execution_id) is None for d in deliveries)


async def test_a_closed_lab_lets_go_of_what_it_captured(open_lab):
    """A scenario suite opens one lab per case: what a closed session held is freed by reference
    counting, not left to the cycle collector (its parts refer to each other), by the time the task
    that closed it is back in the event loop. Not before: closing cancels the status dispatcher, and
    the CancelledError the task's step throws into `close` lives until that step ends; from Python
    3.12 the finished frames in its traceback keep their callers (`Lab.close` and its `self`)."""
    import gc
    import weakref

    async with open_lab() as lab:
        turn = await lab.send_text(MARIA, "Oi")
        assert turn.verdict == "ok" and turn.replies
        execution_id = turn.executions[0].id
        engine, sandbox, gateway = lab.engine, lab.sandbox, lab.gateway
        assert engine.execution(execution_id) is not None
    assert lab.transcript.turns == [turn]  # still readable after close
    assert engine.execution(execution_id) is None and engine.logs(execution_id) == []
    assert sandbox.thread(MARIA) == [] and gateway.calls() == []
    session = weakref.ref(lab)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        del lab, turn, engine, sandbox, gateway
        await asyncio.sleep(0)  # the closing step ends
        assert session() is None  # the Lab (and its transcript) went without a collection
    finally:
        if was_enabled:
            gc.enable()
