"""The WhatsApp notification tasks (plugin-notifications, deprecated, and their plugin-meta
successors): an HTTP POST of a Meta-shaped inbound payload to `url`, no Authorization header."""

from __future__ import annotations

import json
from typing import Any

from lab.kestra.engine.tasks.base import Prop, RunnableTask, TaskFailed, register

_COMMON = {
    "url": Prop("string", required=True),
    "payload": Prop("any"),
    "templateUri": Prop("string"),
    "templateRenderMap": Prop("map"),
    "profileName": Prop("string"),
    "whatsAppIds": Prop("list"),
    "from": Prop("string"),
    "messageId": Prop("string"),
    "textBody": Prop("string"),
    "recipientId": Prop("string"),
    "options": Prop("map"),
}


def build_payload(ctx: Any, props: dict[str, Any], extra: dict[str, Any] | None = None) -> Any:
    """`payload` when given, else the template's shape filled from the properties."""
    if props.get("payload") is not None:
        payload = props["payload"]
        rendered = (
            ctx.render_str(payload) if isinstance(payload, str) else json.dumps(ctx.render(payload))
        )
        try:
            return json.loads(rendered)
        except ValueError:
            return rendered
    r = ctx.render_str
    ids = [r(i) for i in (props.get("whatsAppIds") or [])]
    body: dict[str, Any] = {
        "contacts": [{"profile": {"name": r(props.get("profileName"))}, "wa_id": i} for i in ids]
        or [{"profile": {"name": r(props.get("profileName"))}}],
        "messages": [
            {
                "from": r(props.get("from")),
                "id": r(props.get("messageId")),
                "text": {"body": r(props.get("textBody"))},
                "type": "text",
            }
        ],
        "recipient_id": r(props.get("recipientId")),
    }
    if extra:
        body.update(extra)
    return body


class _WhatsAppPost(RunnableTask):
    PROPERTIES = _COMMON

    def extra(self, ctx: Any, props: dict[str, Any]) -> dict[str, Any] | None:
        return None

    async def run(self, ctx: Any, props: dict[str, Any]) -> dict[str, Any]:
        url = ctx.render_str(props.get("url"))
        payload = build_payload(ctx, props, self.extra(ctx, props))
        content = payload if isinstance(payload, str) else json.dumps(payload)
        response = await ctx.http.post(
            url, content=content.encode("utf-8"), headers={"Content-Type": "application/json"}
        )
        if response.status_code >= 400:
            raise TaskFailed(
                f"WhatsApp webhook {url} answered {response.status_code}: {response.text[:200]}"
            )
        return {}


@register
class WhatsAppIncomingWebhook(_WhatsAppPost):
    """POST the payload to `url`."""

    TYPE = "io.kestra.plugin.notifications.whatsapp.WhatsAppIncomingWebhook"
    ALIASES = ("io.kestra.plugin.meta.whatsapp.WhatsAppIncomingWebhook",)


@register
class WhatsAppExecution(_WhatsAppPost):
    """POST a message about the current execution to `url`."""

    TYPE = "io.kestra.plugin.notifications.whatsapp.WhatsAppExecution"
    ALIASES = ("io.kestra.plugin.meta.whatsapp.WhatsAppExecution",)
    PROPERTIES = {
        **_COMMON,
        "executionId": Prop("string"),
        "customFields": Prop("map"),
        "customMessage": Prop("string"),
    }

    def extra(self, ctx: Any, props: dict[str, Any]) -> dict[str, Any] | None:
        extra: dict[str, Any] = {
            "executionId": ctx.render_str(props.get("executionId") or ctx.execution_id)
        }
        if props.get("customMessage"):
            extra["customMessage"] = ctx.render_str(props["customMessage"])
        if props.get("customFields"):
            extra["customFields"] = ctx.render(props["customFields"])
        return extra
