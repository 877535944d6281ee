"""lead_qualification through the lab on the embedded engine: no LLM key needed."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta

import pytest

from lab.conversation.actions import Advance

from .conftest import DATA, JOAO, MARIA


def bubbles(turn):
    from lab.whatsapp.reply import visible

    return [s for s in turn.replies if visible(s)]


async def test_new_lead_is_welcomed_then_qualified(open_lab):
    async with open_lab() as lab:
        first = await lab.send_text(MARIA, "Oi, bom dia")
        assert first.verdict == "ok", first.error
        sent = bubbles(first)
        assert [s.type for s in sent] == ["template", "interactive"]
        assert sent[0].payload["template"]["name"] == "hello_world"
        assert all(s.verdict.ok for s in sent)
        assert "Olá, Maria" in sent[1].payload["interactive"]["body"]["text"]
        assert any(s.type == "read" for s in first.replies)  # marked as read

        prices = await lab.send_text(MARIA, "Quero saber o preço")
        (plans,) = bubbles(prices)
        rows = plans.payload["interactive"]["action"]["sections"][0]["rows"]
        assert [r["id"] for r in rows] == [
            "solar_start",
            "solar_casa",
            "solar_plus",
            "solar_comercio",
        ]

        bill = await lab.send_text(MARIA, "Minha conta vem uns R$ 350,00")
        (offer,) = bubbles(bill)  # the follow-up template is not sent in the live turn
        assert "Solar Casa" in offer.payload["interactive"]["body"]["text"]
        lead = lab.engine.kv.get("company.whatsapp", f"lead_{MARIA}")
        lead = json.loads(lead) if isinstance(lead, str) else lead
        assert (
            lead["qualified"] is True and lead["plan"] == "solar_casa" and lead["bill_value"] == 350
        )
        assert lead["followed_up"] is False and lead["last_inbound"]


def templates_sent(lab, wa_id):
    from lab.whatsapp.reply import visible

    return [
        i.send.payload["template"]
        for i in lab.thread(wa_id)
        if i.side == "business" and visible(i.send) and i.send.type == "template"
    ]


async def test_a_quiet_qualified_lead_gets_the_template_once_a_day_later(open_lab):
    async with open_lab() as lab:
        await lab.send_text(MARIA, "Oi, bom dia")
        await lab.send_text(MARIA, "Minha conta vem uns R$ 350,00")
        await lab.send_text(JOAO, "Oi")
        assert [t["name"] for t in templates_sent(lab, MARIA)] == ["hello_world"]
        lead = lab.engine.kv.get("company.whatsapp", f"lead_{JOAO}")
        assert (json.loads(lead) if isinstance(lead, str) else lead)["qualified"] is False

        await lab.perform(MARIA, Advance(timedelta(hours=23), "23h"))  # still inside the window
        assert [t["name"] for t in templates_sent(lab, MARIA)] == ["hello_world"]

        await lab.perform(MARIA, Advance(timedelta(hours=2), "2h"))
        followup = templates_sent(lab, MARIA)[-1]
        assert followup["name"] == "prosseguir_com_solicitacao"
        params = followup["components"][0]["parameters"]
        assert [p["text"] for p in params] == ["Maria", "orçamento de energia solar"]
        sent = [i.send for i in lab.thread(MARIA) if i.side == "business"][-1]
        assert sent.verdict.ok  # a template may be sent outside the 24-hour window
        lead = lab.engine.kv.get("company.whatsapp", f"lead_{MARIA}")
        lead = json.loads(lead) if isinstance(lead, str) else lead
        assert lead["followed_up"] is True and lead["plan"] == "solar_casa"

        await lab.perform(MARIA, Advance(timedelta(hours=48), "48h"))  # sent once
        assert len(templates_sent(lab, MARIA)) == 2
        assert [t["name"] for t in templates_sent(lab, JOAO)] == ["hello_world"]  # not qualified
        runs = [x for x in lab.engine.executions() if x.flow_id == "lead_followup"]
        assert len(runs) == 73 and {x.state.current for x in runs} == {"SUCCESS"}


async def test_every_lead_due_in_the_same_hour_is_followed_up_by_one_run(open_lab):
    async with open_lab() as lab:
        await lab.send_text(MARIA, "Minha conta vem uns R$ 350,00")
        await lab.send_text(JOAO, "Minha conta de luz é R$ 620")
        await lab.perform(MARIA, Advance(timedelta(hours=25), "25h"))
        for who in (MARIA, JOAO):
            assert templates_sent(lab, who)[-1]["name"] == "prosseguir_com_solicitacao"
        (run,) = [
            x
            for x in lab.engine.executions()
            if x.flow_id == "lead_followup"
            and any(
                t.task_id == "send_template" and t.state.current == "SUCCESS" for t in x.task_runs
            )
        ]
        assert run.state.current == "SUCCESS"


async def test_tapping_a_button_reaches_a_person(open_lab):
    async with open_lab() as lab:
        await lab.send_text(JOAO, "olá")
        turn = await lab.tap(JOAO, "Falar com atendente")
        assert turn.inbound.kind == "button"
        (reply,) = bubbles(turn)
        assert "consultor" in reply.payload["text"]["body"]


async def test_duplicate_delivery_is_answered_once(open_lab):
    async with open_lab() as lab:
        turn = await lab.send_text(MARIA, "Quero um orçamento", duplicates=1)
        agent = [e for e in turn.executions if e.flow_id == "lead_qualification"]
        claims = [e for e in turn.executions if e.flow_id == "claim_message"]
        assert len(agent) == 2 and len(claims) == 2  # each delivery claims the message first
        assert {e.state for e in turn.executions} == {"SUCCESS"}
        assert {c.outputs["owner"] for c in claims} == {agent[0].id}  # the first owns it
        assert len(bubbles(turn)) == 2  # welcome + plans, once
        assert any("duplicate delivery" in line.message for line in turn.logs)


async def test_graph_rate_limit_is_retried(open_lab):
    async with open_lab() as lab:
        lab.inject_fault(rate_limit=1)
        turn = await lab.send_text(MARIA, "Quero um orçamento")
        assert turn.verdict == "ok", turn.error
        mark_read = next(t for t in turn.executions[0].task_runs if t.task_id == "mark_read")
        assert mark_read.attempts == 2 and mark_read.state == "SUCCESS"
        rejected = [s for s in turn.replies if not s.verdict.ok]
        assert [s.verdict.code for s in rejected] == [130429]


async def test_expired_window_only_the_template_is_delivered(open_lab):
    async with open_lab() as lab:
        await lab.send_text(MARIA, "Oi")
        await lab.restart(
            MARIA, new_user=True
        )  # the bot forgets her: the welcome template goes out again
        late = await lab.send_text(MARIA, "Quero um orçamento", delivered_after=timedelta(hours=25))
        template, reply = bubbles(late)
        assert template.type == "template" and template.state != "failed"
        assert reply.verdict.asynchronous and reply.verdict.code == 131047


async def test_llm_error_falls_back_to_the_keywords(open_lab):
    # scripted mode with no reply left: the optional LLM call fails, the heuristics decide
    async with open_lab(scripted=[]) as lab:
        turn = await lab.send_text(MARIA, "hmm talvez")
        assert turn.llm_calls and turn.llm_calls[0].error
        assert turn.state == "WARNING"
        assert bubbles(turn)[-1].type == "interactive"


async def test_llm_classifies_what_keywords_cannot(open_lab):
    async with open_lab(scripted=[{"match": "talvez", "reply": "orcamento"}]) as lab:
        turn = await lab.send_text(MARIA, "talvez eu queira isso pra minha casa")
        assert turn.verdict == "ok", turn.error
        assert turn.llm_calls[0].mode == "scripted"
        assert bubbles(turn)[-1].payload["interactive"]["type"] == "list"


async def test_status_webhooks_start_executions_outside_turns(open_lab):
    async with open_lab() as lab:
        turn = await lab.send_text(MARIA, "Oi")
        await lab.sandbox.drain()
        lab.read(MARIA)
        await lab.sandbox.drain()
        delivered = [d for d in lab.status_deliveries if d.execution_id]
        assert delivered and all(d.http_status == 200 for d in delivered)
        assert {"sent", "delivered", "read"} <= {s for d in delivered for s in d.statuses}
        assert all(d.execution_id not in {e.id for e in turn.executions} for d in delivered)
        status_run = await lab.client.wait_terminal(delivered[-1].execution_id, timeout=5)
        assert status_run.state.current == "SUCCESS"
        assert [t.task_id for t in status_run.task_runs] == [
            "inbound",
            "claim",  # skipped: a status claims nothing
            "hear_voice",
            "heard",
            "route",
            "ignore_status",
        ]


async def test_bill_photo_without_tesseract_says_so(open_lab, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    async with open_lab() as lab:
        turn = await lab.send_media(MARIA, "image", DATA / "conta_de_luz.png")
        assert turn.verdict == "ok", turn.error
        reply = bubbles(turn)[-1]
        assert "Tesseract" in reply.payload["text"]["body"]
        assert any(
            line.level == "WARN" and "Tesseract is not installed" in line.message
            for line in turn.logs
        )


@pytest.mark.needs_tesseract
@pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="needs tesseract-ocr with Portuguese data"
)
async def test_bill_photo_is_read_with_tesseract(open_lab):
    async with open_lab() as lab:
        turn = await lab.send_media(MARIA, "image", DATA / "conta_de_luz.png")
        assert turn.verdict == "ok", turn.error
        offer = bubbles(turn)[1]
        assert "R$ 387,45" in offer.payload["interactive"]["body"]["text"]
        lead = lab.engine.kv.get("company.whatsapp", f"lead_{MARIA}")
        lead = json.loads(lead) if isinstance(lead, str) else lead
        assert lead["qualified"] is True and lead["bill_from_photo"] is True


async def test_qualified_lead_is_posted_to_the_crm(open_lab):
    received: list[bytes] = []

    async def crm(scope, receive, send):  # a CRM endpoint on the lab server
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        received.append(body)
        await send(
            {
                "type": "http.response.start",
                "status": 201,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"id": 1}'})

    async with open_lab() as lab:
        lab.parts.server.mount("/crm", crm)
        lab.engine.kv.set("company.whatsapp", "LEAD_API_URL", f"{lab.settings.base_url}/crm/leads")
        await lab.send_text(MARIA, "Oi")
        await lab.send_text(MARIA, "Minha conta de luz é R$ 620")
        lead = json.loads(received[-1])
        assert lead["wa_id"] == MARIA and lead["plan"] == "solar_plus" and lead["qualified"] is True


async def test_a_failure_puts_the_contact_up_for_review(open_lab):
    async with open_lab() as lab:
        lab.engine.kv.set(
            "company.whatsapp", "PLANS_URL", f"{lab.settings.base_url}/files/missing.json"
        )
        turn = await lab.send_text(MARIA, "Quero um orçamento")
        assert turn.verdict == "error" and "at task plans" in turn.error
        plans = next(t for t in turn.executions[0].task_runs if t.task_id == "plans")
        assert plans.attempts == 3
        review = lab.engine.kv.get("company.whatsapp", f"review_{MARIA}")
        review = json.loads(review) if isinstance(review, str) else review
        assert review["text"] == "Quero um orçamento"
        assert "consultor" in bubbles(turn)[-1].payload["text"]["body"]
