"""Independent check: a pywa client pointed at the sandbox on a real loopback port sends every
outbound type and gets Meta-shaped answers, including Meta's errors as pywa's typed exceptions."""

from __future__ import annotations

import httpx
import pytest
from loopback import LoopbackServer
from pywa import WhatsApp, errors
from pywa import types as pt
from pywa.types.templates import BodyText, QuickReplyButton, TemplateLanguage

from lab.whatsapp.ids import IdFactory
from lab.whatsapp.sandbox import GraphSandbox

from .conftest import MARIA, SECRET, TOKEN

TO = MARIA.wa_id


class ToSandbox(httpx.HTTPTransport):
    """Sends pywa's graph.facebook.com requests to the sandbox (public httpx API, no pywa internals)."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "graph.facebook.com":
            request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        return super().handle_request(request)


@pytest.fixture(scope="module")
def live(registry):
    from datetime import datetime, timezone

    from lab.clock import VirtualClock
    from lab.config import Business

    sb = GraphSandbox(
        access_token=TOKEN,
        app_secret=SECRET,
        business=Business(),
        clock=VirtualClock(datetime(2026, 11, 27, 12, tzinfo=timezone.utc)),
        templates=registry,
    )
    sb.note_inbound(MARIA.wa_id, name=MARIA.name)
    with LoopbackServer(sb) as server:
        server.sandbox = sb
        yield server


def client(live, token: str = TOKEN, version: str = "23.0") -> WhatsApp:
    return WhatsApp(
        phone_id="106540352242922",
        token=token,
        api_version=version,
        session=httpx.Client(transport=ToSandbox(live.port)),
    )


@pytest.fixture(scope="module")
def wa(live) -> WhatsApp:
    return client(live)


INBOUND = IdFactory("pywa-test").inbound_wamid(TO)

SENDS = {
    "text": lambda wa: wa.send_message(
        TO, "Olá Maria! Sua simulação está pronta ☀️ https://solarsul.example", preview_url=True
    ),
    "reply": lambda wa: wa.send_message(TO, "Respondendo", reply_to_message_id=INBOUND),
    "buttons": lambda wa: wa.send_message(
        TO,
        "Qual o tipo de imóvel?",
        header="Energia solar",
        footer="Solar Sul",
        buttons=[
            pt.Button("Casa", "casa"),
            pt.Button("Empresa", "empresa"),
            pt.Button("Rural", "rural"),
        ],
    ),
    "list": lambda wa: wa.send_message(
        TO,
        "Escolha a faixa da conta",
        buttons=pt.SectionList(
            "Ver faixas",
            sections=[
                pt.Section(
                    "Residencial",
                    rows=[
                        pt.SectionRow("Até R$ 300", "r1", "conta baixa"),
                        pt.SectionRow("Acima de R$ 300", "r2"),
                    ],
                ),
                pt.Section("Empresa", rows=[pt.SectionRow("Comercial", "c1")]),
            ],
        ),
    ),
    "cta_url": lambda wa: wa.send_message(
        TO, "Veja a simulação", buttons=pt.URLButton("Abrir", "https://solarsul.example/s")
    ),
    "location_request": lambda wa: wa.request_location(TO, "Onde fica o imóvel?"),
    "image": lambda wa: wa.send_image(
        TO, "https://solarsul.example/painel.jpg", caption="Painel instalado"
    ),
    "audio": lambda wa: wa.send_audio(TO, "https://solarsul.example/a.mp3"),
    "voice": lambda wa: wa.send_voice(TO, "https://solarsul.example/a.ogg"),
    "video": lambda wa: wa.send_video(TO, "https://solarsul.example/v.mp4", caption="Instalação"),
    "document": lambda wa: wa.send_document(
        TO, "https://solarsul.example/p.pdf", filename="proposta.pdf", caption="Proposta"
    ),
    "sticker": lambda wa: wa.send_sticker(TO, "https://solarsul.example/s.webp"),
    "reaction": lambda wa: wa.send_reaction(TO, "👍", INBOUND),
    "remove_reaction": lambda wa: wa.remove_reaction(TO, INBOUND),
    "location": lambda wa: wa.send_location(
        TO, -23.5505, -46.6333, "Solar Sul", "Av. Paulista, 1000"
    ),
    "contact": lambda wa: wa.send_contact(
        TO,
        pt.Contact(
            name=pt.Contact.Name(formatted_name="Solar Sul Vendas", first_name="Solar"),
            phones=[pt.Contact.Phone(phone="+55 11 4000-0000", type="WORK")],
        ),
    ),
    "template": lambda wa: wa.send_template(
        TO,
        "prosseguir_com_solicitacao",
        TemplateLanguage.PORTUGUESE_BR,
        params=[
            BodyText.params("Maria", "energia solar"),
            QuickReplyButton.params(callback_data="continuar", index=0),
        ],
    ),
    "template hello_world": lambda wa: wa.send_template(
        TO, "hello_world", TemplateLanguage.ENGLISH_US
    ),
}


@pytest.mark.parametrize("name", list(SENDS))
def test_every_outbound_type(live, wa, name):
    before = live.sandbox.last_seq
    sent = SENDS[name](wa)
    assert sent.id.startswith("wamid.")
    [cap] = live.sandbox.captured_since(before)
    assert cap.verdict.ok and cap.wamid == sent.id and cap.to == TO


def test_mark_as_read_and_typing(live, wa):
    assert wa.mark_message_as_read(INBOUND).success is True
    assert wa.indicate_typing(INBOUND).success is True
    assert [c.type for c in live.sandbox.thread(TO)[-2:]] == ["read", "typing"]


def test_media_round_trip(wa):
    up = wa.upload_media(b"%PDF-1.4 proposta", mime_type="application/pdf", filename="proposta.pdf")
    url = wa.get_media_url(up.id)
    assert url.mime_type == "application/pdf" and url.file_size == 17
    assert wa.get_media_bytes(url.url) == b"%PDF-1.4 proposta"
    assert wa.send_document(TO, up.id, filename="proposta.pdf").id.startswith("wamid.")
    assert wa.delete_media(up.id).success is True


def test_phone_number(wa):
    phone = wa.get_business_phone_number()
    assert phone.id == "106540352242922" and phone.verified_name == "Solar Sul Energia"


@pytest.mark.parametrize(
    "call,error,code",
    [
        (lambda wa: wa.send_message(TO, "x" * 4097), errors.WhatsAppError, 100),
        (
            lambda wa: wa.send_message(
                TO, "Escolha", buttons=[pt.Button(f"Opção {i}", f"o{i}") for i in range(4)]
            ),
            errors.InvalidParameter,
            131009,
        ),
        (
            lambda wa: wa.send_message(
                TO, "Escolha", buttons=[pt.Button("Um título longo demais aqui", "x")]
            ),
            errors.InvalidParameter,
            131009,
        ),
        (
            lambda wa: wa.send_message(
                TO,
                "Lista",
                buttons=pt.SectionList(
                    "Ver",
                    sections=[
                        pt.Section(
                            "S", rows=[pt.SectionRow(f"Linha {i}", f"l{i}") for i in range(11)]
                        )
                    ],
                ),
            ),
            errors.InvalidParameter,
            131009,
        ),
        (
            lambda wa: wa.send_template(TO, "nao_existe", TemplateLanguage.PORTUGUESE_BR),
            errors.TemplateNotExists,
            132001,
        ),
        (
            lambda wa: wa.send_template(
                TO,
                "prosseguir_com_solicitacao",
                TemplateLanguage.PORTUGUESE_BR,
                params=[BodyText.params("Maria")],
            ),
            errors.TemplateParamCountMismatch,
            132000,
        ),
        (
            lambda wa: wa.send_template(
                TO,
                "promocao_inverno",
                TemplateLanguage.PORTUGUESE_BR,
                params=[BodyText.params("x")],
            ),
            errors.TemplatePaused,
            132015,
        ),
        (lambda wa: wa.get_media_url("123456"), errors.WhatsAppError, 100),
    ],
)
def test_meta_errors_become_pywa_errors(wa, call, error, code):
    with pytest.raises(error) as info:
        call(wa)
    assert info.value.code == code and info.value.fbtrace_id.startswith("A")


def test_bad_token(live):
    with pytest.raises(errors.ExpiredAccessToken) as info:
        client(live, token="EAAW-wrong").send_message(TO, "x")
    assert info.value.code == 190 and info.value.raw_response.status_code == 401


def test_unknown_phone_number_id(live):
    bad = WhatsApp(
        phone_id="999999999999999",
        token=TOKEN,
        session=httpx.Client(transport=ToSandbox(live.port)),
    )
    with pytest.raises(errors.WhatsAppError) as info:
        bad.send_message(TO, "x")
    assert info.value.code == 100 and info.value.subcode == 33


def test_scripted_faults(live, wa):
    live.sandbox.faults.fail_next(1, 130429)
    with pytest.raises(errors.RateLimitHit):
        wa.send_message(TO, "x")
    live.sandbox.faults.server_error(1)
    with pytest.raises(errors.UnknownError) as info:
        wa.send_message(TO, "x")
    assert info.value.raw_response.status_code == 500
    assert wa.send_message(TO, "de volta").id


def test_default_pywa_version_is_accepted(live):
    assert client(live, version="26.0").send_message(TO, "v26").id
