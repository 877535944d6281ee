"""Validation of `POST /{phone_number_id}/messages` bodies, as Meta enforces it.

`validate(body, registry)` returns a `Send` or raises `GraphError` carrying Meta's code, message
and details (reference §3–§5). Key sets are precompiled; the text path is the hot one.
Interactive messages are checked in `interactive.py`, templates in `template_check.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from lab.whatsapp.errors import GraphError, invalid_parameter, missing, param_error
from lab.whatsapp.interactive import check_interactive
from lab.whatsapp.template_check import check_template
from lab.whatsapp.templates import Template, TemplateRegistry

TEXT_MAX = 4096
CAPTION_MAX = 1024
OPAQUE_MAX = 512
MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
SEND_TYPES = ("text", "template", "interactive", *MEDIA_TYPES, "reaction", "location", "contacts")
_TOP_KEYS = frozenset(
    {
        "messaging_product",
        "recipient_type",
        "to",
        "recipient",
        "type",
        "context",
        "biz_opaque_callback_data",
        "recipient_identity_key_hash",
        "status",
        "message_id",
        "typing_indicator",
        *SEND_TYPES,
    }
)
_TEXT_KEYS = frozenset({"body", "preview_url"})
_MEDIA_KEYS = {
    "image": frozenset({"id", "link", "caption"}),
    "video": frozenset({"id", "link", "caption"}),
    "document": frozenset({"id", "link", "caption", "filename"}),
    "audio": frozenset({"id", "link", "voice"}),
    "sticker": frozenset({"id", "link"}),
}
_LOCATION_KEYS = frozenset({"latitude", "longitude", "name", "address"})
_PHONE_CHARS = str.maketrans("", "", "+-() ")
_DIGITS = re.compile(r"[1-9][0-9]{6,14}")


@dataclass(slots=True)
class Send:
    """A send that passed validation."""

    type: str  # a SEND_TYPES member, or "read" / "typing"
    to: str  # the recipient's wa_id (digits)
    input: str  # `to` as the bot wrote it
    category: str = "service"  # pricing category: service for free-form, else the template's
    template: Template | None = None
    message_id: str | None = None  # mark-as-read / typing target; reply context otherwise
    biz_opaque: str | None = None


def unexpected(key: str, param: str) -> GraphError:
    return invalid_parameter(f'Unexpected key "{key}" on param "{param}".')


def check_keys(node: dict, allowed: frozenset, param: str) -> None:
    for key in node:
        if key not in allowed:
            raise unexpected(key, param)


def wa_id_of(to: Any) -> str:
    """Meta normalises `to`: drop +, -, (, ) and spaces; what remains must be a phone number."""
    if not isinstance(to, str) or not to:
        raise param_error("The parameter to is required.")
    digits = to.translate(_PHONE_CHARS)
    if not _DIGITS.fullmatch(digits):
        raise invalid_parameter(f"Parameter 'to' is not a valid WhatsApp phone number: {to!r}.")
    return digits


def validate(body: Any, registry: TemplateRegistry) -> Send:
    """Check a send body; returns the Send or raises Meta's error."""
    if not isinstance(body, dict):
        raise invalid_parameter("The request body must be a JSON object.")
    product = body.get("messaging_product")
    if product is None:
        raise param_error("The parameter messaging_product is required.")
    if product != "whatsapp":
        raise param_error(f'Param messaging_product must be one of {{WHATSAPP}} - got "{product}".')
    mtype = body.get("type", "text")
    if "status" not in body and mtype not in SEND_TYPES:
        raise GraphError(131051, f"Message type {mtype!r} is not supported.")
    for key in body:
        if key not in _TOP_KEYS:
            raise unexpected(key, "message")
    if "status" in body:
        return _read_or_typing(body)
    rtype = body.get("recipient_type", "individual")
    if rtype not in ("individual", "group"):
        raise param_error(
            f'Param recipient_type must be one of {{INDIVIDUAL, GROUP}} - got "{rtype}".'
        )
    to = body.get("to")
    if to is None and isinstance(body.get("recipient"), str):
        to = body["recipient"]  # business-scoped user id
        wa_id = to
    else:
        wa_id = wa_id_of(to)
    node = body.get(mtype)
    if node is None:
        raise param_error(f"The parameter {mtype} is required.")
    for key in SEND_TYPES:  # a second type node is a stray key
        if key != mtype and key in body:
            raise unexpected(key, "message")
    send = Send(mtype, wa_id, to)
    opaque = body.get("biz_opaque_callback_data")
    if opaque is not None:
        if not isinstance(opaque, str) or len(opaque) > OPAQUE_MAX:
            raise param_error(
                f"Param biz_opaque_callback_data must be at most {OPAQUE_MAX} characters long."
            )
        send.biz_opaque = opaque
    ctx = body.get("context")
    if ctx is not None:
        if not isinstance(ctx, dict) or not isinstance(ctx.get("message_id"), str):
            raise missing("Parameter 'context.message_id' is required when context is given.")
        check_keys(ctx, frozenset({"message_id"}), "context")
        if mtype == "reaction":
            raise unexpected("context", "message")
        send.message_id = ctx["message_id"]
    if mtype == "text":
        _text(node)
    elif mtype == "template":
        tpl = check_template(node, registry)
        send.template, send.category = tpl, tpl.category
    elif mtype == "interactive":
        check_interactive(node)
    elif mtype in MEDIA_TYPES:
        _media(mtype, node)
    elif mtype == "reaction":
        _reaction(node)
    elif mtype == "location":
        _location(node)
    else:
        _contacts(body)
    return send


def _text(node: Any) -> None:
    if not isinstance(node, dict):
        raise param_error("Param text must be an object.")
    text = node.get("body")
    if text is None:
        raise param_error("The parameter text['body'] is required.")
    if not isinstance(text, str):
        raise param_error("Param text['body'] must be a string.")
    if len(text) > TEXT_MAX:
        raise param_error(f"Param text['body'] must be at most {TEXT_MAX} characters long.")
    if not text.strip():
        raise param_error("Param text['body'] must be at least 1 character long.")
    if len(node) > 1:
        check_keys(node, _TEXT_KEYS, "text")
        if "preview_url" in node and not isinstance(node["preview_url"], bool):
            raise param_error("Param text['preview_url'] must be a boolean.")


def _media(kind: str, node: Any) -> None:
    if not isinstance(node, dict):
        raise param_error(f"Param {kind} must be an object.")
    node = {k: v for k, v in node.items() if v is not None}
    check_keys(node, _MEDIA_KEYS[kind], kind)
    has_id, has_link = "id" in node, "link" in node
    if has_id == has_link:
        raise invalid_parameter(f"Exactly one of {kind}['id'] or {kind}['link'] must be given.")
    if has_id and not (isinstance(node["id"], str) and node["id"].isdigit()):
        raise invalid_parameter(f"Param {kind}['id'] must be a valid media id.")
    if has_link and not (
        isinstance(node["link"], str) and node["link"].startswith(("http://", "https://"))
    ):
        raise invalid_parameter(f"Param {kind}['link'] must be a valid http(s) URL.")
    caption = node.get("caption")
    if caption is not None and (not isinstance(caption, str) or len(caption) > CAPTION_MAX):
        raise param_error(f"Param {kind}['caption'] must be at most {CAPTION_MAX} characters long.")
    if "voice" in node and not isinstance(node["voice"], bool):
        raise param_error("Param audio['voice'] must be a boolean.")


def _reaction(node: Any) -> None:
    if not isinstance(node, dict):
        raise param_error("Param reaction must be an object.")
    check_keys(node, frozenset({"message_id", "emoji"}), "reaction")
    if not isinstance(node.get("message_id"), str) or not node["message_id"]:
        raise missing("Parameter 'reaction.message_id' is required.")
    emoji = node.get("emoji")
    if not isinstance(emoji, str):
        raise missing(
            "Parameter 'reaction.emoji' is required (an empty string removes the reaction)."
        )
    if len(emoji) > 10:
        raise GraphError(131009, "Reaction emoji must be a single emoji.")


def _number(value: Any, name: str, limit: float) -> None:
    try:
        n = float(value)
    except (TypeError, ValueError):
        raise missing(f"Parameter 'location.{name}' is required and must be a number.") from None
    if not -limit <= n <= limit:
        raise GraphError(
            131009, f"Parameter 'location.{name}' must be between {-limit:g} and {limit:g}."
        )


def _location(node: Any) -> None:
    if not isinstance(node, dict):
        raise param_error("Param location must be an object.")
    check_keys(node, _LOCATION_KEYS, "location")
    _number(node.get("latitude"), "latitude", 90)
    _number(node.get("longitude"), "longitude", 180)


def _contacts(body: dict) -> None:
    cards = body["contacts"]
    if isinstance(cards, str):  # whatsapp-api-js sends the array as a JSON string
        try:
            cards = orjson.loads(cards)
        except orjson.JSONDecodeError:
            raise param_error("Param contacts must be an array.") from None
    if not isinstance(cards, list) or not cards:
        raise param_error("Param contacts must be a non-empty array.")
    for i, card in enumerate(cards):
        name = card.get("name") if isinstance(card, dict) else None
        if not isinstance(name, dict) or not name.get("formatted_name"):
            raise param_error(f"The parameter contacts[{i}]['name']['formatted_name'] is required.")


def _read_or_typing(body: dict) -> Send:
    if body.get("status") != "read":
        raise param_error(f'Param status must be one of {{READ}} - got "{body.get("status")}".')
    mid = body.get("message_id")
    if not isinstance(mid, str) or not mid:
        raise param_error("The parameter message_id is required.")
    if not mid.startswith("wamid."):
        raise invalid_parameter(f"Param message_id {mid!r} is not a valid message id.")
    typing = body.get("typing_indicator")
    if typing is not None and (not isinstance(typing, dict) or typing.get("type") != "text"):
        raise param_error(
            "Param typing_indicator['type'] must be one of {TEXT} - got \"%s\"."
            % (typing.get("type") if isinstance(typing, dict) else typing)
        )
    return Send("typing" if typing is not None else "read", "", "", message_id=mid)
