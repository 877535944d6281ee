"""The raw exchanges of a turn as highlighted JSON: the signed webhook, Graph API calls, LLM calls."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from lab.conversation.model import Turn
from lab.masking import SecretMask
from lab.redaction import Redactor

MAX_CHARS = 20_000  # a huge payload is cut so the panel stays responsive


def _json(value: Any, mask: SecretMask | None = None, redactor: Redactor | None = None) -> Syntax:
    if redactor is not None:
        value = redactor.data(value)
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    if mask:
        text = mask.text(text)
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS] + f"\n… ({len(text) - MAX_CHARS} more characters)"
    return Syntax(text, "json", theme="ansi_dark", word_wrap=True, background_color="default")


def _inbound_body(turn: Turn) -> Any:
    try:
        return json.loads(turn.inbound.body)
    except (ValueError, TypeError):
        return turn.inbound.payload


def payload_renderable(
    turn: Turn | None, mask: SecretMask | None = None, redactor: Redactor | None = None
) -> RenderableType:
    """Every exchange of the turn, in the order they happened; `mask` hides known secret values,
    `redactor` (walab.yaml `redaction: {payloads: true}`) personal data."""
    if turn is None:
        return Text("No turn yet.", style="dim")
    parts: list[RenderableType] = []
    sig = turn.inbound.signature or "(not signed)"
    parts.append(
        Text(
            f"▶ inbound webhook · {turn.inbound.kind} · X-Hub-Signature-256: {sig}",
            style="bold cyan",
        )
    )
    parts.append(_json(_inbound_body(turn), mask, redactor))
    for send in sorted(turn.replies, key=lambda s: s.seq):
        verdict = "ok" if send.verdict.ok else f"{send.verdict.code} {send.verdict.title or ''}"
        where = "notification plugin" if send.via == "notification" else "Graph API"
        parts.append(Text(f"\n◀ {where} request #{send.seq} · {send.type}", style="bold green"))
        parts.append(_json(send.payload, mask, redactor))
        parts.append(
            Text(
                f"  sandbox answered HTTP {send.verdict.http_status} · {verdict}",
                style="green" if send.verdict.ok else "bold red",
            )
        )
        parts.append(_json(send.response, mask, redactor))
    for i, call in enumerate(turn.llm_calls, 1):
        parts.append(
            Text(
                f"\n◆ LLM call {i} · {call.model} · {call.mode} · HTTP {call.status}",
                style="bold magenta",
            )
        )
        parts.append(Text("  request", style="dim"))
        parts.append(_json(call.request or {}, mask, redactor))
        parts.append(Text("  response", style="dim"))
        parts.append(
            _json(
                call.response if call.response is not None else {"error": call.error},
                mask,
                redactor,
            )
        )
    return Group(*parts)


class PayloadView(VerticalScroll):
    """Scrollable payloads of the selected turn."""

    DEFAULT_CSS = """
    PayloadView { height: 1fr; padding: 0 1; }
    PayloadView > Static { height: auto; width: 1fr; }
    """

    mask: SecretMask | None = None  # the session's known secrets (set when the lab opens)
    redactor: Redactor | None = None  # personal data, when walab.yaml asks (set when the lab opens)

    def compose(self):
        yield Static(id="payload-body")

    def show_turn(self, turn: Turn | None) -> None:
        self.query_one("#payload-body", Static).update(
            payload_renderable(turn, self.mask, self.redactor)
        )
        self.scroll_home(animate=False)
