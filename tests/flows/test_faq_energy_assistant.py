"""faq_energy_assistant through the lab on the embedded engine, the LLM gateway in scripted mode."""

from __future__ import annotations

from datetime import timedelta

from .conftest import MARIA


def bubbles(turn):
    from lab.whatsapp.reply import visible

    return [s for s in turn.replies if visible(s)]


ANSWER = "A garantia das placas é de 25 anos e a do inversor, de 10 anos."


async def test_answers_from_the_knowledge_base(open_lab):
    async with open_lab(flow="faq_energy_assistant", scripted=[ANSWER]) as lab:
        turn = await lab.send_text(MARIA, "Qual a garantia das placas?")
        assert turn.verdict == "ok", turn.error
        assert bubbles(turn)[0].payload["text"]["body"] == ANSWER
        system = turn.llm_calls[0].request["messages"][0]["content"]
        assert "BASE DE CONHECIMENTO" in system and "25 anos de desempenho das placas" in system


async def test_duplicate_and_rate_limit(open_lab):
    async with open_lab(flow="faq_energy_assistant", scripted=[ANSWER]) as lab:
        lab.inject_fault(rate_limit=2)
        turn = await lab.send_text(MARIA, "Qual a garantia?", duplicates=1)
        assert turn.verdict == "ok", turn.error
        assert len(bubbles(turn)) == 1 and len(turn.llm_calls) == 1
        runs = {t.task_id: t for t in turn.executions[0].task_runs}
        assert runs["mark_read"].attempts == 3
        assert "ignore_duplicate" in {t.task_id for t in turn.executions[1].task_runs}


async def test_llm_error_sends_the_fallback(open_lab):
    async with open_lab(flow="faq_energy_assistant", scripted=[]) as lab:
        turn = await lab.send_text(MARIA, "Quanto tempo leva a instalação?")
        assert turn.verdict == "error" and "at task answer" in turn.error
        assert "atendente" in bubbles(turn)[0].payload["text"]["body"]


async def test_expired_window(open_lab):
    async with open_lab(
        flow="faq_energy_assistant", scripted=[{"match": ".", "reply": ANSWER}]
    ) as lab:
        late = await lab.send_text(MARIA, "Qual a garantia?", delivered_after=timedelta(hours=30))
        assert bubbles(late)[0].verdict.code == 131047
