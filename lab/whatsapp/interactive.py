"""Interactive messages (reply buttons, lists, CTA URL, location request, flows...), Meta's limits.

Violations answer `(#131009) Parameter value is not valid` with Meta's details lines, e.g.
`Button title length invalid. Min length: 1, Max length: 20` and
`Total row count exceed max allowed count: 10` (reference §4.1).
"""

from __future__ import annotations

from typing import Any

from lab.whatsapp.errors import GraphError, missing, param_error

BODY_MAX = 1024
LIST_BODY_MAX = 4096
HEADER_MAX = 60
FOOTER_MAX = 60
BUTTON_TITLE_MAX = 20
BUTTON_ID_MAX = 256
LIST_BUTTON_MAX = 20
SECTIONS_MAX = 10
ROWS_MAX = 10
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
ROW_ID_MAX = 200
SECTION_TITLE_MAX = 24
CTA_TEXT_MAX = 20

CHECKED = ("button", "list", "cta_url", "location_request_message", "flow")
# Recognised and passed with structural checks only (catalog, carousel, calls...).
RECOGNISED = (
    "product",
    "product_list",
    "catalog_message",
    "carousel",
    "address_message",
    "call_permission_request",
    "voice_call",
)
_KEYS = frozenset({"type", "header", "body", "footer", "action"})
_HEADER_TYPES = ("text", "image", "video", "document")


def invalid(details: str) -> GraphError:
    return GraphError(131009, details)


def _length(value: Any, what: str, max_len: int, min_len: int = 1) -> None:
    if not isinstance(value, str) or not min_len <= len(value) <= max_len:
        raise invalid(f"{what} length invalid. Min length: {min_len}, Max length: {max_len}")


def check_interactive(node: Any) -> None:
    """Validate an `interactive` object; raises GraphError."""
    if not isinstance(node, dict):
        raise param_error("Param interactive must be an object.")
    for key in node:
        if key not in _KEYS:
            # cycle: lab.whatsapp.validation imports this module
            from lab.whatsapp.validation import unexpected

            raise unexpected(key, "interactive")
    itype = node.get("type")
    if itype is None:
        raise param_error("The parameter interactive['type'] is required.")
    if itype not in CHECKED and itype not in RECOGNISED:
        raise param_error(
            f"Param interactive['type'] must be one of {{{', '.join(t.upper() for t in CHECKED + RECOGNISED)}}}"
            f' - got "{itype}".'
        )
    action = node.get("action")
    if not isinstance(action, dict):
        raise missing("Parameter 'interactive.action' is required.")
    if itype in RECOGNISED:
        return
    body = node.get("body")
    if itype != "flow" or body is not None:
        if not isinstance(body, dict) or "text" not in body:
            raise missing("Parameter 'interactive.body.text' is required.")
        _length(body["text"], "Body text", LIST_BODY_MAX if itype == "list" else BODY_MAX)
    header = node.get("header")
    if header is not None:
        _header(header, itype)
    footer = node.get("footer")
    if footer is not None:
        if not isinstance(footer, dict):
            raise missing("Parameter 'interactive.footer.text' is required.")
        _length(footer.get("text"), "Footer text", FOOTER_MAX)
    if itype == "button":
        _buttons(action)
    elif itype == "list":
        _list(action)
    elif itype == "cta_url":
        _cta(action)
    elif itype == "location_request_message":
        if action.get("name") != "send_location":
            raise invalid("Action name must be send_location")
        if header is not None or footer is not None:
            raise invalid("Location request messages support only a body")
    else:
        _flow(action)


def _header(header: Any, itype: str) -> None:
    if not isinstance(header, dict) or header.get("type") not in _HEADER_TYPES:
        raise invalid(f"Header type must be one of {', '.join(_HEADER_TYPES)}")
    htype = header["type"]
    if itype == "list" and htype != "text":
        raise invalid("List messages support only a text header")
    if itype == "location_request_message":
        return
    if htype == "text":
        _length(header.get("text"), "Header text", HEADER_MAX)
    else:
        media = header.get(htype)
        if not isinstance(media, dict) or ("id" in media) == ("link" in media):
            raise invalid(f"Header {htype} needs exactly one of id or link")


def _buttons(action: dict) -> None:
    buttons = action.get("buttons")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        n = len(buttons) if isinstance(buttons, list) else 0
        raise invalid(f"Buttons count invalid. Min count: 1, Max count: 3, got: {n}")
    titles, ids = set(), set()
    for b in buttons:
        reply = b.get("reply") if isinstance(b, dict) and b.get("type") == "reply" else None
        if not isinstance(reply, dict):
            raise invalid("Button type must be reply, with a reply object of id and title")
        title, bid = reply.get("title"), reply.get("id")
        _length(title, "Button title", BUTTON_TITLE_MAX)
        _length(bid, "Button id", BUTTON_ID_MAX)
        if title != title.strip():
            raise invalid("Button title must not have leading or trailing spaces")
        if title in titles:
            raise invalid(f"Duplicate button title: {title}. Button titles must be unique")
        if bid in ids:
            raise invalid(f"Duplicate button id: {bid}. Button ids must be unique")
        titles.add(title)
        ids.add(bid)


def _list(action: dict) -> None:
    _length(action.get("button"), "Button text", LIST_BUTTON_MAX)
    sections = action.get("sections")
    if not isinstance(sections, list) or not 1 <= len(sections) <= SECTIONS_MAX:
        n = len(sections) if isinstance(sections, list) else 0
        raise invalid(f"Sections count invalid. Min count: 1, Max count: {SECTIONS_MAX}, got: {n}")
    total, ids = 0, set()
    for s in sections:
        if not isinstance(s, dict):
            raise invalid("Each section must be an object with rows")
        title = s.get("title")
        if title is None and len(sections) > 1:
            raise missing("Section title is required when there is more than one section")
        if title is not None and (not isinstance(title, str) or len(title) > SECTION_TITLE_MAX):
            raise invalid(f"Section title is too long. Max length is {SECTION_TITLE_MAX}")
        rows = s.get("rows")
        if not isinstance(rows, list) or not rows:
            raise invalid("Section rows count invalid. Min count: 1")
        total += len(rows)
        if total > ROWS_MAX:
            raise invalid(f"Total row count exceed max allowed count: {ROWS_MAX}")
        for r in rows:
            if not isinstance(r, dict):
                raise invalid("Each row must be an object with id and title")
            rid, rtitle, desc = r.get("id"), r.get("title"), r.get("description")
            if not isinstance(rtitle, str) or not rtitle:
                raise missing("Row title is required")
            if len(rtitle) > ROW_TITLE_MAX:
                raise invalid(f"Row title is too long. Max length is {ROW_TITLE_MAX}")
            if not isinstance(rid, str) or not rid:
                raise missing("Row id is required")
            if len(rid) > ROW_ID_MAX:
                raise invalid(f"Row id is too long. Max length is {ROW_ID_MAX}")
            if desc is not None and (not isinstance(desc, str) or len(desc) > ROW_DESCRIPTION_MAX):
                raise invalid(f"Row description is too long. Max length is {ROW_DESCRIPTION_MAX}")
            if rid in ids:
                raise invalid(f"Duplicate row id: {rid}. Row ids must be unique")
            ids.add(rid)


def _cta(action: dict) -> None:
    if action.get("name") != "cta_url":
        raise invalid("Action name must be cta_url")
    params = action.get("parameters")
    if not isinstance(params, dict):
        raise missing("Parameter 'action.parameters' is required")
    _length(params.get("display_text"), "Display text", CTA_TEXT_MAX)
    url = params.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise invalid("Parameter 'url' must be a valid http(s) URL")


def _flow(action: dict) -> None:
    params = action.get("parameters")
    if action.get("name") != "flow" or not isinstance(params, dict):
        raise missing("Parameters 'action.name' (flow) and 'action.parameters' are required")
    if ("flow_id" in params) == ("flow_name" in params):
        raise invalid("Exactly one of flow_id or flow_name must be given")
    _length(params.get("flow_cta"), "Flow CTA", 30)
    if str(params.get("flow_message_version", "")) != "3":
        raise invalid("flow_message_version must be 3")
