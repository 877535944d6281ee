"""Kestra's WhatsApp notification tasks, received as they post: `POST /notify/whatsapp`.

`io.kestra.plugin.notifications.whatsapp.WhatsAppIncomingWebhook` / `WhatsAppExecution` (and
their plugin-meta successors) do not call the Cloud API: they POST an inbound-webhook-like body
(`contacts[].wa_id` from `whatsAppIds`, `profileName`, `messages[0].text.body`, `recipient_id`)
to their `url`, without an Authorization header: the sandbox wants its access token in that url
(`.../notify/whatsapp?token=...`). Each addressed contact gets the text in its thread, marked
`via="notification"`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request

from lab.whatsapp.control import read_body
from lab.whatsapp.errors import invalid_parameter, param_error, unsupported_body

if TYPE_CHECKING:
    from lab.whatsapp.sandbox import GraphSandbox

MAX_NOTIFICATION = 1024 * 1024


def notification_text(message: dict[str, Any]) -> str:
    """The message text: the plugin's template sends `text.body` as a list of lines."""
    text = message.get("text")
    body = text.get("body") if isinstance(text, dict) else text
    if isinstance(body, list):
        return "\n".join(str(line) for line in body)
    return "" if body is None else str(body)


def recipients(payload: dict[str, Any]) -> list[str]:
    """The addressed wa_ids: `contacts[].wa_id` (whatsAppIds), else `recipient_id`."""
    ids = [
        str(c["wa_id"])
        for c in payload.get("contacts") or []
        if isinstance(c, dict) and c.get("wa_id")
    ]
    if not ids and payload.get("recipient_id"):
        ids = [str(payload["recipient_id"])]
    return list(dict.fromkeys(ids))


async def capture_notification(sandbox: GraphSandbox, request: Request) -> dict[str, Any]:
    """Validate and capture one notification; returns the answer body."""

    refused = unsupported_body(request.headers.get("content-type", "").encode("latin-1") or None)
    if refused is not None:
        raise refused
    body = await read_body(request, MAX_NOTIFICATION)
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise invalid_parameter(f"The notification body is not valid JSON: {exc}.") from None
    if not isinstance(payload, dict):
        raise invalid_parameter("The notification body must be a JSON object.")
    messages = payload.get("messages")
    if not isinstance(messages, list) or not messages or not isinstance(messages[0], dict):
        raise param_error(
            "The parameter messages is required (the plugin sends messages[0].text.body)."
        )
    to = recipients(payload)
    if not to:
        raise param_error(
            "No recipient: set whatsAppIds (contacts[].wa_id) or recipientId on the task."
        )
    text = notification_text(messages[0])
    captured = []
    for wa_id in to:
        cap = sandbox.capture_notification(
            {
                "wamid": sandbox.ids.outbound_wamid(wa_id),
                "to": wa_id,
                "phone_number_id": sandbox.business.phone_number_id,
                "type": "notification",
                "payload": payload | {"text": text},
                "response": {"success": True},
            }
        )
        captured.append(cap.wamid)
    return {"success": True, "captured": captured}
