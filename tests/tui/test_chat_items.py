"""How replies read in the chat, from the headless models (no screen)."""

from __future__ import annotations

from lab.tui.chat_items import flag_for, item_from_send, thread_items
from lab.whatsapp.model import CapturedSend, StatusEvent, Verdict

from .fake_lab import FakeLab


def send(
    kind: str, payload: dict, verdict: Verdict | None = None, statuses=None, seq: int = 1
) -> CapturedSend:
    return CapturedSend(
        seq,
        f"wamid.{seq}",
        "5511987654321",
        "106540352242922",
        kind,
        {"messaging_product": "whatsapp", "type": kind, **payload},
        verdict or Verdict(True),
        {},
        1767614400.0,
        statuses=statuses or [],
    )


def test_buttons_list_template_media_location_contacts():
    buttons = item_from_send(
        send(
            "interactive",
            {
                "interactive": {
                    "type": "button",
                    "body": {"text": "Oi"},
                    "action": {
                        "buttons": [{"type": "reply", "reply": {"id": "a", "title": "Ver planos"}}]
                    },
                }
            },
        )
    )
    assert (
        buttons.text == "Oi"
        and [c.title for c in buttons.buttons] == ["Ver planos"]
        and buttons.interactive
    )
    listing = item_from_send(
        send(
            "interactive",
            {
                "interactive": {
                    "type": "list",
                    "body": {"text": "Escolha"},
                    "action": {
                        "button": "Planos",
                        "sections": [
                            {
                                "title": "Casa",
                                "rows": [{"id": "p", "title": "Plus", "description": "600"}],
                            }
                        ],
                    },
                }
            },
        )
    )
    assert (
        listing.list_button == "Planos"
        and listing.rows[0].section == "Casa"
        and listing.rows[0].description == "600"
    )
    template = item_from_send(
        send(
            "template",
            {
                "template": {
                    "name": "hello",
                    "language": {"code": "pt_BR"},
                    "components": [
                        {"type": "body", "parameters": [{"type": "text", "text": "Maria"}]}
                    ],
                }
            },
        )
    )
    assert template.label == "📋 template hello (pt_BR)" and template.text == "body: {{1}}=Maria"
    image = item_from_send(send("image", {"image": {"id": "123", "caption": "sua conta"}}))
    assert image.label == "🖼 image · 123" and image.text == "sua conta"
    loc = item_from_send(
        send("location", {"location": {"latitude": -23.5, "longitude": -46.6, "name": "Loja"}})
    )
    assert loc.text == "Loja\n-23.5, -46.6"
    card = item_from_send(
        send(
            "contacts",
            {"contacts": [{"name": {"formatted_name": "Ana"}, "phones": [{"phone": "+55"}]}]},
        )
    )
    assert card.text == "Ana · +55"
    assert item_from_send(send("read", {"status": "read", "message_id": "x"})) is None


def test_flags_name_the_rule_and_code_sync_and_async():
    rejected = send(
        "text",
        {"text": {"body": "x"}},
        Verdict(False, 131047, "Re-engagement message", http_status=400),
    )
    assert flag_for(rejected) == "24-hour window · 131047 Re-engagement message"
    assert item_from_send(rejected).state == "rejected"
    later = send(
        "text",
        {"text": {"body": "x"}},
        Verdict(False, 131047, "Re-engagement message", asynchronous=True),
        statuses=[
            StatusEvent("sent", 1.0),
            StatusEvent("failed", 2.0, {"code": 131047, "title": "Re-engagement message"}),
        ],
    )
    assert (
        flag_for(later) == "24-hour window · 131047 Re-engagement message"
        and item_from_send(later).state == "failed"
    )
    assert flag_for(send("text", {"text": {"body": "ok"}})) == ""


def test_ticks_follow_statuses_and_reactions_fold_onto_their_bubble():
    delivered = send(
        "text",
        {"text": {"body": "x"}},
        statuses=[StatusEvent("sent", 1.0), StatusEvent("delivered", 2.0)],
    )
    assert item_from_send(delivered).state == "delivered"
    delivered.statuses.append(StatusEvent("read", 3.0))
    assert item_from_send(delivered).state == "read"
    lab = FakeLab()
    import asyncio

    asyncio.run(lab.send_text("5511987654321", "menu"))
    target = lab.transcript.turns[0].replies[0].wamid
    asyncio.run(lab.react("5511987654321", "👍", to_wamid=target))
    items = thread_items(lab.transcript.turns)
    assert [i.kind for i in items] == ["text", "interactive/button"]
    assert items[1].reactions == ["👍"]


def test_whatsapp_formatting_is_rendered_not_shown():
    from lab.tui.widgets.chat_bubble import whatsapp_text

    text = whatsapp_text("o plano *Solar Casa* é _bom_, ~caro~ não; 2*3*4 e snake_case ficam")
    assert text.plain == "o plano Solar Casa é bom, caro não; 2*3*4 e snake_case ficam"
    assert [str(s.style) for s in text.spans] == ["bold", "italic", "strike"]


def test_templates_read_as_whatsapp_shows_them_with_the_registry():
    from lab.whatsapp.templates import TemplateRegistry

    registry = TemplateRegistry.load()
    payload = {
        "template": {
            "name": "prosseguir_com_solicitacao",
            "language": {"code": "pt_BR"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Maria"},
                        {"type": "text", "text": "orçamento"},
                    ],
                }
            ],
        }
    }
    item = item_from_send(send("template", payload), templates=registry)
    if registry.get("prosseguir_com_solicitacao", "pt_BR") is None:  # packaged registry without it
        return
    assert item.text.startswith(
        "Olá Maria! Ficou alguma dúvida sobre a sua solicitação de orçamento?"
    )
    assert [c.title for c in item.buttons] == ["Sim, continuar", "Agora não"] and item.interactive
    assert item_from_send(send("template", payload)).text == "body: {{1}}=Maria, {{2}}=orçamento"


def test_bubble_text_wraps_by_terminal_cells_so_an_emoji_costs_no_letter():
    from rich.cells import cell_len

    from lab.tui.widgets.chat_bubble import _wrap

    greeting = "Olá, Maria! 👋 Sou a assistente virtual da Solar Sul Energia. Posso simular quanto você economiza."
    for width in range(24, 48):
        lines = _wrap(greeting, width).split("\n")
        assert all(cell_len(line) <= width for line in lines), (
            width,
            lines,
        )  # 👋 is two cells wide
        assert " ".join(lines).split() == greeting.split()  # nothing lost
