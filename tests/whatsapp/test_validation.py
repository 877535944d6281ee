"""Every validation rule of the send endpoint: the valid case and each violation, with Meta's
exact code, message, details and HTTP status."""

from __future__ import annotations

import copy

import pytest

from lab.whatsapp.errors import GraphError
from lab.whatsapp.validation import validate

TO = "5511987654321"
W = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFEQ2MkM5MDM5MDAwMDAwMDAwMDAxAA=="


def body(type_: str, node, **extra) -> dict:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": TO,
        "type": type_,
        type_: node,
        **extra,
    }


def buttons(*titles, ids=None) -> dict:
    ids = ids or [f"b{i}" for i in range(len(titles))]
    return {
        "type": "button",
        "body": {"text": "Escolha"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": i, "title": t}} for i, t in zip(ids, titles)
            ]
        },
    }


def listing(rows_per_section=(1,), **over) -> dict:
    sections = [
        {
            "title": f"S{s}",
            "rows": [
                {"id": f"r{s}-{r}", "title": f"Row {r}", "description": "d"} for r in range(n)
            ],
        }
        for s, n in enumerate(rows_per_section)
    ]
    node = {
        "type": "list",
        "body": {"text": "Escolha"},
        "action": {"button": "Ver opções", "sections": sections},
    }
    node.update(over)
    return node


def tpl(
    name="prosseguir_com_solicitacao", lang="pt_BR", params=("Maria", "energia solar"), **extra
) -> dict:
    comps = (
        [{"type": "body", "parameters": [{"type": "text", "text": p} for p in params]}]
        if params
        else []
    )
    return {"name": name, "language": {"code": lang}, "components": comps, **extra}


VALID = {
    "text": body("text", {"body": "Olá! 👋", "preview_url": True}),
    "text with context": body("text", {"body": "respondendo"}, context={"message_id": W}),
    "text to BSUID": {
        "messaging_product": "whatsapp",
        "recipient": "BR.1234567",
        "type": "text",
        "text": {"body": "x"},
    },
    "text with formatted to": body("text", {"body": "x"}) | {"to": "+55 (11) 98765-4321"},
    "text 4096": body("text", {"body": "x" * 4096}),
    "type defaults to text": {"messaging_product": "whatsapp", "to": TO, "text": {"body": "x"}},
    "template": body("template", tpl()),
    "template uppercase types + policy": body(
        "template",
        {
            "name": "prosseguir_com_solicitacao",
            "language": {"code": "pt_BR", "policy": "deterministic"},
            "components": [
                {
                    "type": "BODY",
                    "parameters": [{"type": "TEXT", "text": "a"}, {"type": "text", "text": "b"}],
                },
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": "0",
                    "parameters": [{"type": "payload", "payload": "sim"}],
                },
            ],
        },
    ),
    "template no params": body("template", tpl("hello_world", "en_US", params=())),
    "template named": body(
        "template",
        {
            "name": "confirmacao_visita_tecnica",
            "language": {"code": "pt_BR"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "parameter_name": n, "text": "x"}
                        for n in ("nome", "data", "hora")
                    ],
                }
            ],
        },
    ),
    "template url button": body(
        "template",
        tpl("oferta_energia_solar", params=("Maria", "30"))
        | {
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Maria"},
                        {"type": "text", "text": "30"},
                    ],
                },
                {
                    "type": "button",
                    "sub_type": "url",
                    "index": 0,
                    "parameters": [{"type": "text", "text": "abc"}],
                },
            ]
        },
    ),
    "buttons 3": body("interactive", buttons("Sim", "Não", "Talvez")),
    "buttons with header footer": body(
        "interactive",
        buttons("Sim")
        | {"header": {"type": "text", "text": "H" * 60}, "footer": {"text": "F" * 60}},
    ),
    "buttons image header": body(
        "interactive", buttons("Sim") | {"header": {"type": "image", "image": {"id": "123"}}}
    ),
    "button title 20": body("interactive", buttons("x" * 20)),
    "list 10 rows": body("interactive", listing((4, 6))),
    "list single untitled section": body(
        "interactive",
        {
            "type": "list",
            "body": {"text": "b" * 4096},
            "action": {
                "button": "Ver",
                "sections": [{"rows": [{"id": "a", "title": "t" * 24, "description": "d" * 72}]}],
            },
        },
    ),
    "cta_url": body(
        "interactive",
        {
            "type": "cta_url",
            "body": {"text": "Veja"},
            "action": {
                "name": "cta_url",
                "parameters": {"display_text": "x" * 20, "url": "https://solarsul.example"},
            },
        },
    ),
    "location request": body(
        "interactive",
        {
            "type": "location_request_message",
            "body": {"text": "Onde?"},
            "action": {"name": "send_location"},
        },
    ),
    "flow": body(
        "interactive",
        {
            "type": "flow",
            "body": {"text": "Agende"},
            "action": {
                "name": "flow",
                "parameters": {
                    "flow_message_version": "3",
                    "flow_name": "agenda",
                    "flow_cta": "Agendar",
                    "flow_token": "t",
                },
            },
        },
    ),
    "product_list recognised": body(
        "interactive", {"type": "product_list", "action": {"catalog_id": "1"}}
    ),
    "image by id": body("image", {"id": "1013859600285441", "caption": "c" * 1024}),
    "image by link": body("image", {"link": "https://x.example/a.png"}),
    "document": body("document", {"id": "1", "caption": "c", "filename": "f.pdf"}),
    "voice": body("audio", {"id": "1", "voice": True}),
    "video": body("video", {"link": "https://x.example/a.mp4", "caption": "v"}),
    "sticker": body("sticker", {"id": "1"}),
    "reaction": body("reaction", {"message_id": W, "emoji": "👍"}),
    "reaction removal": body("reaction", {"message_id": W, "emoji": ""}),
    "location": body(
        "location", {"latitude": "37.44", "longitude": -122.16, "name": "n", "address": "a"}
    ),
    "contacts": body(
        "contacts",
        [
            {
                "name": {"formatted_name": "Ana B", "first_name": "Ana", "last_name": None},
                "phones": [{"phone": "+55", "type": "CELL", "wa_id": None}],
            }
        ],
    ),
    "contacts as JSON string": body("contacts", '[{"name": {"formatted_name": "Ana"}}]'),
    "opaque 512": body("text", {"body": "x"}, biz_opaque_callback_data="o" * 512),
    "mark as read": {"messaging_product": "whatsapp", "status": "read", "message_id": W},
    "typing": {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": W,
        "typing_indicator": {"type": "text"},
    },
}


@pytest.mark.parametrize("name", list(VALID))
def test_valid_sends(name, registry):
    send = validate(copy.deepcopy(VALID[name]), registry)
    assert send.type in (
        "text",
        "template",
        "interactive",
        "image",
        "audio",
        "video",
        "document",
        "sticker",
        "reaction",
        "location",
        "contacts",
        "read",
        "typing",
    )


def test_send_fields(registry):
    s = validate(VALID["text with formatted to"], registry)
    assert (s.to, s.input, s.category) == (TO, "+55 (11) 98765-4321", "service")
    s = validate(VALID["template"], registry)
    assert s.category == "utility" and s.template.name == "prosseguir_com_solicitacao"
    assert validate(VALID["typing"], registry).message_id == W


P100 = (100, 400)
V = (131009, 400)
# name -> (body, code, http status, message (exact), details (exact; None = absent))
INVALID = {
    "not an object": (
        [1],
        100,
        400,
        "(#100) Invalid parameter",
        "The request body must be a JSON object.",
    ),
    "no messaging_product": (
        {"to": TO, "type": "text", "text": {"body": "x"}},
        100,
        400,
        "(#100) The parameter messaging_product is required.",
        None,
    ),
    "wrong messaging_product": (
        body("text", {"body": "x"}) | {"messaging_product": "sms"},
        100,
        400,
        '(#100) Param messaging_product must be one of {WHATSAPP} - got "sms".',
        None,
    ),
    "unknown top-level field": (
        body("text", {"body": "x"}, colour="red"),
        100,
        400,
        "(#100) Invalid parameter",
        'Unexpected key "colour" on param "message".',
    ),
    "unknown text field": (
        body("text", {"body": "x", "previewurl": True}),
        100,
        400,
        "(#100) Invalid parameter",
        'Unexpected key "previewurl" on param "text".',
    ),
    "two type nodes": (
        body("text", {"body": "x"}, image={"id": "1"}),
        100,
        400,
        "(#100) Invalid parameter",
        'Unexpected key "image" on param "message".',
    ),
    "no to": (
        {"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}},
        100,
        400,
        "(#100) The parameter to is required.",
        None,
    ),
    "bad to": (
        body("text", {"body": "x"}) | {"to": "abc"},
        100,
        400,
        "(#100) Invalid parameter",
        "Parameter 'to' is not a valid WhatsApp phone number: 'abc'.",
    ),
    "bad recipient_type": (
        body("text", {"body": "x"}) | {"recipient_type": "bulk"},
        100,
        400,
        '(#100) Param recipient_type must be one of {INDIVIDUAL, GROUP} - got "bulk".',
        None,
    ),
    "unknown type": (
        body("poll", {"q": 1}),
        131051,
        400,
        "(#131051) Unsupported message type",
        "Message type 'poll' is not supported.",
    ),
    "missing type node": (
        {"messaging_product": "whatsapp", "to": TO, "type": "image"},
        100,
        400,
        "(#100) The parameter image is required.",
        None,
    ),
    "text too long": (
        body("text", {"body": "x" * 4097}),
        100,
        400,
        "(#100) Param text['body'] must be at most 4096 characters long.",
        None,
    ),
    "text missing body": (
        body("text", {}),
        100,
        400,
        "(#100) The parameter text['body'] is required.",
        None,
    ),
    "text empty": (
        body("text", {"body": "  "}),
        100,
        400,
        "(#100) Param text['body'] must be at least 1 character long.",
        None,
    ),
    "preview_url not bool": (
        body("text", {"body": "x", "preview_url": "yes"}),
        100,
        400,
        "(#100) Param text['preview_url'] must be a boolean.",
        None,
    ),
    "opaque too long": (
        body("text", {"body": "x"}, biz_opaque_callback_data="o" * 513),
        100,
        400,
        "(#100) Param biz_opaque_callback_data must be at most 512 characters long.",
        None,
    ),
    "context without message_id": (
        body("text", {"body": "x"}, context={}),
        131008,
        400,
        "(#131008) Required parameter is missing",
        "Parameter 'context.message_id' is required when context is given.",
    ),
    # interactive
    "no buttons": (
        body("interactive", buttons()),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "Buttons count invalid. Min count: 1, Max count: 3, got: 0",
    ),
    "4 buttons": (
        body("interactive", buttons("a", "b", "c", "d")),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "Buttons count invalid. Min count: 1, Max count: 3, got: 4",
    ),
    "button title 21": (
        body("interactive", buttons("x" * 21)),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "Button title length invalid. Min length: 1, Max length: 20",
    ),
    "button title empty": (
        body("interactive", buttons("")),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "Button title length invalid. Min length: 1, Max length: 20",
    ),
    "duplicate titles": (
        body("interactive", buttons("Sim", "Sim")),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "Duplicate button title: Sim. Button titles must be unique",
    ),
    "duplicate ids": (
        body("interactive", buttons("Sim", "Não", ids=["a", "a"])),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "Duplicate button id: a. Button ids must be unique",
    ),
    "button id too long": (
        body("interactive", buttons("Sim", ids=["i" * 257])),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "Button id length invalid. Min length: 1, Max length: 256",
    ),
    "button title spaces": (
        body("interactive", buttons(" Sim")),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "Button title must not have leading or trailing spaces",
    ),
    "button body too long": (
        body("interactive", buttons("Sim") | {"body": {"text": "b" * 1025}}),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "Body text length invalid. Min length: 1, Max length: 1024",
    ),
    "no body": (
        body("interactive", {"type": "button", "action": buttons("a")["action"]}),
        131008,
        400,
        "(#131008) Required parameter is missing",
        "Parameter 'interactive.body.text' is required.",
    ),
    "header too long": (
        body("interactive", buttons("Sim") | {"header": {"type": "text", "text": "h" * 61}}),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "Header text length invalid. Min length: 1, Max length: 60",
    ),
    "footer too long": (
        body("interactive", buttons("Sim") | {"footer": {"text": "f" * 61}}),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "Footer text length invalid. Min length: 1, Max length: 60",
    ),
    "unknown interactive type": (
        body("interactive", {"type": "poll", "action": {}}),
        100,
        400,
        None,
        None,
    ),
    "unknown interactive key": (
        body("interactive", buttons("a") | {"extra": 1}),
        100,
        400,
        "(#100) Invalid parameter",
        'Unexpected key "extra" on param "interactive".',
    ),
    "list 11 rows": (
        body("interactive", listing((5, 6))),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "Total row count exceed max allowed count: 10",
    ),
    "list 11 sections": (
        body("interactive", listing((1,) * 11)),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "Sections count invalid. Min count: 1, Max count: 10, got: 11",
    ),
    "list button too long": (
        body("interactive", listing() | {"action": listing()["action"] | {"button": "b" * 21}}),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "Button text length invalid. Min length: 1, Max length: 20",
    ),
    "list body too long": (
        body("interactive", listing() | {"body": {"text": "b" * 4097}}),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "Body text length invalid. Min length: 1, Max length: 4096",
    ),
    "list image header": (
        body("interactive", listing() | {"header": {"type": "image", "image": {"id": "1"}}}),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "List messages support only a text header",
    ),
    "row title too long": (
        body(
            "interactive",
            {
                "type": "list",
                "body": {"text": "b"},
                "action": {
                    "button": "Ver",
                    "sections": [{"rows": [{"id": "a", "title": "t" * 25}]}],
                },
            },
        ),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "Row title is too long. Max length is 24",
    ),
    "row description too long": (
        body(
            "interactive",
            {
                "type": "list",
                "body": {"text": "b"},
                "action": {
                    "button": "Ver",
                    "sections": [{"rows": [{"id": "a", "title": "t", "description": "d" * 73}]}],
                },
            },
        ),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "Row description is too long. Max length is 72",
    ),
    "row id too long": (
        body(
            "interactive",
            {
                "type": "list",
                "body": {"text": "b"},
                "action": {
                    "button": "Ver",
                    "sections": [{"rows": [{"id": "i" * 201, "title": "t"}]}],
                },
            },
        ),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "Row id is too long. Max length is 200",
    ),
    "duplicate row ids": (
        body(
            "interactive",
            {
                "type": "list",
                "body": {"text": "b"},
                "action": {
                    "button": "Ver",
                    "sections": [{"rows": [{"id": "a", "title": "t"}, {"id": "a", "title": "u"}]}],
                },
            },
        ),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "Duplicate row id: a. Row ids must be unique",
    ),
    "section title too long": (
        body(
            "interactive",
            {
                "type": "list",
                "body": {"text": "b"},
                "action": {
                    "button": "Ver",
                    "sections": [{"title": "s" * 25, "rows": [{"id": "a", "title": "t"}]}],
                },
            },
        ),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "Section title is too long. Max length is 24",
    ),
    "untitled sections": (
        body(
            "interactive",
            {
                "type": "list",
                "body": {"text": "b"},
                "action": {
                    "button": "Ver",
                    "sections": [
                        {"rows": [{"id": "a", "title": "t"}]},
                        {"rows": [{"id": "b", "title": "t"}]},
                    ],
                },
            },
        ),
        131008,
        400,
        "(#131008) Required parameter is missing",
        "Section title is required when there is more than one section",
    ),
    "empty section": (
        body(
            "interactive",
            {
                "type": "list",
                "body": {"text": "b"},
                "action": {"button": "Ver", "sections": [{"title": "s", "rows": []}]},
            },
        ),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "Section rows count invalid. Min count: 1",
    ),
    "cta text too long": (
        body(
            "interactive",
            {
                "type": "cta_url",
                "body": {"text": "b"},
                "action": {
                    "name": "cta_url",
                    "parameters": {"display_text": "d" * 21, "url": "https://x"},
                },
            },
        ),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "Display text length invalid. Min length: 1, Max length: 20",
    ),
    "cta bad url": (
        body(
            "interactive",
            {
                "type": "cta_url",
                "body": {"text": "b"},
                "action": {
                    "name": "cta_url",
                    "parameters": {"display_text": "d", "url": "ftp://x"},
                },
            },
        ),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "Parameter 'url' must be a valid http(s) URL",
    ),
    "location request wrong action": (
        body(
            "interactive",
            {"type": "location_request_message", "body": {"text": "b"}, "action": {"name": "send"}},
        ),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "Action name must be send_location",
    ),
    "flow id and name": (
        body(
            "interactive",
            {
                "type": "flow",
                "body": {"text": "b"},
                "action": {
                    "name": "flow",
                    "parameters": {
                        "flow_message_version": "3",
                        "flow_name": "a",
                        "flow_id": "1",
                        "flow_cta": "Ir",
                    },
                },
            },
        ),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "Exactly one of flow_id or flow_name must be given",
    ),
    # media
    "media id and link": (
        body("image", {"id": "1", "link": "https://x"}),
        100,
        400,
        "(#100) Invalid parameter",
        "Exactly one of image['id'] or image['link'] must be given.",
    ),
    "media neither": (
        body("video", {"caption": "c"}),
        100,
        400,
        "(#100) Invalid parameter",
        "Exactly one of video['id'] or video['link'] must be given.",
    ),
    "media bad id": (
        body("image", {"id": "abc"}),
        100,
        400,
        "(#100) Invalid parameter",
        "Param image['id'] must be a valid media id.",
    ),
    "media bad link": (
        body("image", {"link": "file:///etc/passwd"}),
        100,
        400,
        "(#100) Invalid parameter",
        "Param image['link'] must be a valid http(s) URL.",
    ),
    "caption too long": (
        body("image", {"id": "1", "caption": "c" * 1025}),
        100,
        400,
        "(#100) Param image['caption'] must be at most 1024 characters long.",
        None,
    ),
    "caption on audio": (
        body("audio", {"id": "1", "caption": "c"}),
        100,
        400,
        "(#100) Invalid parameter",
        'Unexpected key "caption" on param "audio".',
    ),
    "filename on image": (
        body("image", {"id": "1", "filename": "f"}),
        100,
        400,
        "(#100) Invalid parameter",
        'Unexpected key "filename" on param "image".',
    ),
    # reaction, location, contacts
    "reaction without message_id": (
        body("reaction", {"emoji": "👍"}),
        131008,
        400,
        "(#131008) Required parameter is missing",
        "Parameter 'reaction.message_id' is required.",
    ),
    "reaction without emoji": (
        body("reaction", {"message_id": W}),
        131008,
        400,
        "(#131008) Required parameter is missing",
        "Parameter 'reaction.emoji' is required (an empty string removes the reaction).",
    ),
    "reaction with context": (
        body("reaction", {"message_id": W, "emoji": "👍"}, context={"message_id": W}),
        100,
        400,
        "(#100) Invalid parameter",
        'Unexpected key "context" on param "message".',
    ),
    "location missing latitude": (
        body("location", {"longitude": 1}),
        131008,
        400,
        "(#131008) Required parameter is missing",
        "Parameter 'location.latitude' is required and must be a number.",
    ),
    "location out of range": (
        body("location", {"latitude": 91, "longitude": 1}),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "Parameter 'location.latitude' must be between -90 and 90.",
    ),
    "contacts without name": (
        body("contacts", [{"phones": []}]),
        100,
        400,
        "(#100) The parameter contacts[0]['name']['formatted_name'] is required.",
        None,
    ),
    "contacts empty": (
        body("contacts", []),
        100,
        400,
        "(#100) Param contacts must be a non-empty array.",
        None,
    ),
    # templates
    "template unknown": (
        body("template", tpl("nao_existe")),
        132001,
        404,
        "(#132001) Template name does not exist in the translation",
        "template name (nao_existe) does not exist in pt_BR",
    ),
    "template wrong language": (
        body("template", tpl(lang="en_US")),
        132001,
        404,
        "(#132001) Template name does not exist in the translation",
        "template name (prosseguir_com_solicitacao) does not exist in en_US",
    ),
    "template too few params": (
        body("template", tpl(params=("Maria",))),
        132000,
        400,
        "(#132000) Number of parameters does not match the expected number of params",
        "body: number of localizable_params (1) does not match the expected number of params (2)",
    ),
    "template too many params": (
        body("template", tpl("hello_world", "en_US", params=("x",))),
        132000,
        400,
        "(#132000) Number of parameters does not match the expected number of params",
        "body: number of localizable_params (1) does not match the expected number of params (0)",
    ),
    "template no components": (
        body("template", tpl(params=())),
        132000,
        400,
        "(#132000) Number of parameters does not match the expected number of params",
        "body: number of localizable_params (0) does not match the expected number of params (2)",
    ),
    "template paused": (
        body("template", tpl("promocao_inverno", params=("x",))),
        132015,
        400,
        "(#132015) Template is Paused",
        "Template promocao_inverno is paused because of low quality.",
    ),
    "template positional given names": (
        body(
            "template",
            {
                "name": "prosseguir_com_solicitacao",
                "language": {"code": "pt_BR"},
                "components": [
                    {
                        "type": "body",
                        "parameters": [
                            {"type": "text", "parameter_name": "a", "text": "x"},
                            {"type": "text", "parameter_name": "b", "text": "y"},
                        ],
                    }
                ],
            },
        ),
        132012,
        400,
        "(#132012) Parameter format does not match format in the created template",
        "body: the template uses positional parameters; remove parameter_name",
    ),
    "template named given positional": (
        body(
            "template",
            {
                "name": "confirmacao_visita_tecnica",
                "language": {"code": "pt_BR"},
                "components": [{"type": "body", "parameters": [{"type": "text", "text": "x"}] * 3}],
            },
        ),
        132012,
        400,
        "(#132012) Parameter format does not match format in the created template",
        "body: named parameters [None, None, None] do not match the template's ['nome', 'data', 'hora']",
    ),
    "template url button missing param": (
        body("template", tpl("oferta_energia_solar", params=("Maria", "30"))),
        132000,
        400,
        "(#132000) Number of parameters does not match the expected number of params",
        "button: number of localizable_params (0) does not match the expected number of params (1)",
    ),
    "template button index out of range": (
        body(
            "template",
            tpl()
            | {
                "components": tpl()["components"]
                + [{"type": "button", "sub_type": "quick_reply", "index": "5", "parameters": []}]
            },
        ),
        131009,
        400,
        "(#131009) Parameter value is not valid",
        "Button at index 5 does not exist in template prosseguir_com_solicitacao.",
    ),
    "template without name": (
        body("template", {"language": {"code": "pt_BR"}}),
        131008,
        400,
        "(#131008) Required parameter is missing",
        "Parameter 'template.name' is required.",
    ),
    # mark as read / typing
    "read without message_id": (
        {"messaging_product": "whatsapp", "status": "read"},
        100,
        400,
        "(#100) The parameter message_id is required.",
        None,
    ),
    "read not a wamid": (
        {"messaging_product": "whatsapp", "status": "read", "message_id": "123"},
        100,
        400,
        "(#100) Invalid parameter",
        "Param message_id '123' is not a valid message id.",
    ),
    "status not read": (
        {"messaging_product": "whatsapp", "status": "delivered", "message_id": W},
        100,
        400,
        '(#100) Param status must be one of {READ} - got "delivered".',
        None,
    ),
    "typing wrong type": (
        {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": W,
            "typing_indicator": {"type": "audio"},
        },
        100,
        400,
        "(#100) Param typing_indicator['type'] must be one of {TEXT} - got \"audio\".",
        None,
    ),
}


@pytest.mark.parametrize("name", list(INVALID))
def test_violations(name, registry):
    payload, code, http, message, details = INVALID[name]
    with pytest.raises(GraphError) as info:
        validate(copy.deepcopy(payload), registry)
    err = info.value
    assert (err.code, err.http_status) == (code, http)
    if message is not None:
        assert err.message == message
    env = err.envelope("Atrace")["error"]
    assert env["code"] == code and env["type"] == "OAuthException" and env["fbtrace_id"] == "Atrace"
    if message is not None:
        assert env.get("error_data", {}).get("details") == details
