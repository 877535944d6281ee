"""whatsapp_agent through the lab on the embedded engine, the LLM gateway in scripted mode."""

from __future__ import annotations

from datetime import timedelta

from .conftest import DATA, JOAO, MARIA


def bubbles(turn):
    from lab.whatsapp.reply import visible

    return [s for s in turn.replies if visible(s)]


async def test_text_reply_and_memory(open_lab):
    replies = [
        {"json": {"text": "Olá, Maria! Como posso ajudar?"}},
        {"json": {"text": "Uma conta de R$ 300 indica o plano Solar Casa."}},
    ]
    async with open_lab(flow="whatsapp_agent", scripted=replies) as lab:
        first = await lab.send_text(MARIA, "Oi")
        assert first.verdict == "ok", first.error
        (reply,) = bubbles(first)
        assert reply.payload["text"]["body"] == "Olá, Maria! Como posso ajudar?"
        assert (
            first.llm_calls[0].mode == "scripted"
            and first.llm_calls[0].execution_id == first.executions[0].id
        )
        assert first.input_tokens > 0

        second = await lab.send_text(MARIA, "Minha conta é de R$ 300")
        system = second.llm_calls[0].request["messages"][0]["content"]
        assert "Solar Sul Energia" in system  # the deployed prompt file
        assert (
            "Cliente: Oi" in system and "Você: Olá, Maria! Como posso ajudar?" in system
        )  # memory from KV


async def test_memory_is_bounded(open_lab):
    async with open_lab(
        flow="whatsapp_agent", scripted=[{"match": ".", "reply": '{"text": "ok"}'}]
    ) as lab:
        for i in range(7):
            await lab.send_text(JOAO, f"mensagem {i}")
        memory = lab.engine.kv.get("company.whatsapp", f"memory_{JOAO}")
        assert len(memory) == 10 and memory[-2]["content"] == "mensagem 6"


async def test_buttons_and_a_tap(open_lab):
    replies = [
        {"json": {"text": "Quer ver os planos?", "buttons": ["Ver planos", "Agora não"]}},
        {
            "json": {
                "text": "Escolha um:",
                "list": {
                    "button": "Planos",
                    "rows": [
                        {
                            "id": "casa",
                            "title": "Solar Casa",
                            "description": "contas de R$ 250 a R$ 499",
                        },
                        {"id": "plus", "title": "Solar Plus"},
                    ],
                },
            }
        },
        {"json": {"text": "Ótima escolha!"}},
    ]
    async with open_lab(flow="whatsapp_agent", scripted=replies) as lab:
        turn = await lab.send_text(MARIA, "Oi")
        (buttons,) = bubbles(turn)
        assert buttons.verdict.ok
        assert [
            b["reply"]["title"] for b in buttons.payload["interactive"]["action"]["buttons"]
        ] == ["Ver planos", "Agora não"]
        listed = await lab.tap(MARIA, "Ver planos")
        assert (
            listed.inbound.payload["entry"][0]["changes"][0]["value"]["messages"][0]["interactive"][
                "type"
            ]
            == "button_reply"
        )
        (menu,) = bubbles(listed)
        assert menu.payload["interactive"]["type"] == "list" and menu.verdict.ok
        chosen = await lab.tap(MARIA, "Solar Casa")
        assert chosen.llm_calls[0].request["messages"][-1]["content"] == "Solar Casa"
        assert bubbles(chosen)[0].payload["text"]["body"] == "Ótima escolha!"


async def test_plain_text_from_the_model_is_sent_as_text(open_lab):
    async with open_lab(flow="whatsapp_agent", scripted=["Claro! Posso ajudar com isso."]) as lab:
        turn = await lab.send_text(MARIA, "Oi")
        assert bubbles(turn)[0].payload["text"]["body"] == "Claro! Posso ajudar com isso."


async def test_media_is_acknowledged_without_a_model(open_lab):
    async with open_lab(flow="whatsapp_agent", scripted=[]) as lab:
        turn = await lab.send_media(MARIA, "image", DATA / "conta_de_luz.png")
        assert turn.verdict == "ok", turn.error
        assert not turn.llm_calls
        assert "só consigo ler mensagens de texto" in bubbles(turn)[0].payload["text"]["body"]


async def test_duplicate_delivery_is_answered_once(open_lab):
    async with open_lab(flow="whatsapp_agent", scripted=[{"json": {"text": "Oi!"}}]) as lab:
        turn = await lab.send_text(MARIA, "Oi", duplicates=2)
        agent = [e for e in turn.executions if e.flow_id == "whatsapp_agent"]
        claims = [e for e in turn.executions if e.flow_id == "claim_message"]
        assert len(agent) == 3 and len(claims) == 3
        assert len(bubbles(turn)) == 1 and len(turn.llm_calls) == 1
        assert sum("duplicate delivery" in line.message for line in turn.logs) == 2


async def test_graph_rate_limit_on_the_reply_is_retried(open_lab):
    async with open_lab(flow="whatsapp_agent", scripted=[{"json": {"text": "Oi!"}}]) as lab:
        from lab.conversation.events import ReplyCaptured

        lab.inject_fault(rate_limit=1)  # the read mark is the first send
        armed = []

        def arm_reply_faults(
            event,
        ):  # once the read mark is through, the reply is rate-limited twice
            if (
                isinstance(event, ReplyCaptured)
                and event.send.type == "read"
                and event.send.verdict.ok
                and not armed
            ):
                armed.append(True)
                lab.inject_fault(rate_limit=2)

        lab.subscribe(arm_reply_faults)
        turn = await lab.send_text(MARIA, "Oi")
        assert turn.verdict == "ok", turn.error
        runs = {t.task_id: t for t in turn.executions[0].task_runs}
        assert runs["mark_read"].attempts == 2 and runs["send_reply"].attempts == 3
        assert [s.verdict.code for s in turn.replies if not s.verdict.ok] == [
            130429,
            130429,
            130429,
        ]
        assert bubbles(turn)[-1].verdict.ok


async def test_llm_error_sends_the_fallback_and_says_why(open_lab):
    async with open_lab(flow="whatsapp_agent", scripted=[]) as lab:
        turn = await lab.send_text(MARIA, "Oi")
        assert turn.verdict == "error" and turn.state == "FAILED"
        assert "at task llm" in turn.error and "scripted mode has no reply left" in turn.error
        llm = next(t for t in turn.executions[0].task_runs if t.task_id == "llm")
        assert llm.attempts == 3  # retried with back-off before giving up
        (fallback,) = bubbles(turn)
        assert fallback.payload["text"]["body"].startswith("Desculpe")


async def test_replay_without_a_cassette_says_no_model_answered(open_lab, tmp_path):
    async with open_lab(
        flow="whatsapp_agent", llm_mode="replay", cassette=tmp_path / "none.cassette.yaml"
    ) as lab:
        turn = await lab.send_text(MARIA, "Oi")
        assert turn.verdict == "error"
        assert "no recording" in turn.error


async def test_expired_window_reply_fails_with_131047(open_lab):
    async with open_lab(
        flow="whatsapp_agent", scripted=[{"match": ".", "json": {"text": "Oi!"}}]
    ) as lab:
        ok = await lab.send_text(MARIA, "Oi")
        assert bubbles(ok)[0].verdict.ok
        late = await lab.send_text(MARIA, "Ainda está aí?", delivered_after=timedelta(hours=25))
        (reply,) = bubbles(late)
        assert reply.verdict.code == 131047 and reply.verdict.asynchronous
        await lab.sandbox.drain()
        assert reply.state == "failed"
