"""lead_qualification answers as a salesperson would: savings said as a believable estimate, and a
reaction, a location or a contact card answered for what it is, not with the sales pitch again."""

from __future__ import annotations

import re

import pytest

from .conftest import MARIA


def bubbles(turn):
    from lab.whatsapp.reply import visible

    return [s for s in turn.replies if visible(s)]


def body_of(send) -> str:
    return (
        send.payload["interactive"]["body"]["text"]
        if send.type == "interactive"
        else send.payload["text"]["body"]
    )


def reais(text: str) -> float:
    return float(text.replace(".", "").replace(",", "."))


@pytest.mark.parametrize("bill", [380, 900, 2500])
async def test_the_saving_is_an_estimate_below_the_bill(open_lab, bill: int):
    async with open_lab() as lab:
        turn = await lab.send_text(MARIA, f"Minha conta de luz vem uns R$ {bill} por mês")
        offer = next(
            body_of(b)
            for b in bubbles(turn)
            if b.type in ("text", "interactive") and "economia" in body_of(b)
        )
    saving = re.search(r"economia estimada de cerca de R\$ ([\d.]+(?:,\d{2})?) por mês", offer)
    assert saving, offer
    assert (
        0 < reais(saving.group(1)) <= 0.9 * bill
    )  # a share of the bill: the utility's minimum charges stay


async def test_a_plan_without_a_bill_gives_the_saving_as_a_range(open_lab):
    async with open_lab() as lab:
        await lab.send_text(MARIA, "Quero saber o preço")
        body = body_of(bubbles(await lab.tap(MARIA, "Solar Comércio"))[0])
    low, high = re.search(
        r"economia estimada de R\$ ([\d.]+) a R\$ ([\d.]+) por mês", body
    ).groups()
    assert reais(low) < 900 and reais(high) < 3000 and reais(low) < reais(high)


async def test_a_thumbs_up_is_not_answered_with_the_pitch(open_lab):
    async with open_lab() as lab:
        await lab.send_text(MARIA, "Minha conta vem uns R$ 350")
        turn = await lab.react(MARIA, "👍")
        assert turn.verdict == "ok", turn.error
        assert bubbles(turn) == []  # a person does not answer a thumbs-up
        assert turn.state == "SUCCESS"


async def test_a_location_is_acknowledged_for_the_visit(open_lab):
    async with open_lab() as lab:
        await lab.send_text(MARIA, "Oi")
        turn = await lab.send_location(
            MARIA, -25.4284, -49.2733, name="Rua XV de Novembro, Curitiba"
        )
        (reply,) = bubbles(turn)
    text = body_of(reply)
    assert "localização" in text and "Rua XV de Novembro, Curitiba" in text
    assert "Sou a assistente virtual" not in text


async def test_a_contact_card_is_acknowledged_by_name(open_lab):
    async with open_lab() as lab:
        await lab.send_text(MARIA, "Oi")
        turn = await lab.send_contacts(
            MARIA, [{"name": "João Pereira", "phone": "+55 21 97777-1234"}]
        )
        (reply,) = bubbles(turn)
    text = body_of(reply)
    assert "João Pereira" in text and "Sou a assistente virtual" not in text
