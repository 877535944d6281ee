"""lead_qualification: tapping a plan in the plans list answers about that plan (not the greeting again)."""

from __future__ import annotations

from flows.conftest import MARIA, open_lab  # noqa: F401 - the fixture is used by name


def bubbles(turn):
    from lab.whatsapp.reply import visible

    return [s for s in turn.replies if visible(s)]


async def test_tapping_a_plan_row_describes_that_plan(open_lab):  # noqa: F811
    async with open_lab() as lab:
        await lab.send_text(MARIA, "Oi")
        await lab.send_text(MARIA, "Quero saber o preço")
        turn = await lab.tap(MARIA, "Solar Casa")
        assert turn.verdict == "ok", turn.error
        (reply,) = bubbles(turn)
        body = reply.payload["interactive"]["body"]["text"]
        assert "*Solar Casa*" in body and "R$ 19.900" in body and "R$ 250 a R$ 499" in body
        assert "valor médio da sua conta" in body  # no bill yet: it asks for one
        assert "Olá" not in body


async def test_after_a_plan_row_the_bill_still_qualifies_the_lead(open_lab):  # noqa: F811
    async with open_lab() as lab:
        await lab.send_text(MARIA, "Quero ver os planos")
        await lab.tap(MARIA, "Solar Plus")
        turn = await lab.send_text(MARIA, "Minha conta é R$ 600")
        offer = bubbles(turn)[0]
        assert "*Solar Plus*" in offer.payload["interactive"]["body"]["text"]
