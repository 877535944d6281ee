"""The Tokens·$ view says what priced each model's calls: the upstream's own cost, genai-prices by the
reported or the requested model, or nothing (price unknown)."""

from __future__ import annotations

import io

from rich.console import Console

from lab.conversation.model import InboundEvent, Turn
from lab.llm import prices
from lab.llm.model import LLMCall
from lab.tui.widgets.cost_view import cost_renderable


def call(model: str, cost: float | None, priced_by: str | None) -> LLMCall:
    return LLMCall(
        execution_id="e1",
        model=model,
        mode="live",
        input_tokens=10,
        output_tokens=20,
        cost_usd=cost,
        priced_by=priced_by,
    )


def test_each_model_says_what_priced_its_calls():
    turn = Turn(
        index=1,
        contact="5511987654321",
        inbound=InboundEvent("5511987654321", "text", "Oi", {}, b"", None, 0.0),
        llm_calls=[
            call("team-chat", 1.35e-05, prices.BY_HEADER),
            call("gpt-4o-mini", 1e-05, prices.BY_MODEL),
            call("my-alias", 2e-05, prices.BY_ALIAS),
            call("llama3.2", None, None),
        ],
    )
    console = Console(width=60, record=True, file=io.StringIO(), color_system=None)
    console.print(cost_renderable(turn, [turn], [turn]))
    text = " ".join(console.export_text().split())
    assert "team-chat: priced by the upstream's own cost (x-litellm-response-cost header)" in text
    assert "gpt-4o-mini: priced by genai-prices, by the model the upstream reported" in text
    assert "my-alias: priced by genai-prices, by the model the request named" in text
    assert "llama3.2: price unknown" in text
