"""Tokens and cost: this turn, this conversation, and per model; estimates and unknown prices marked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from lab.conversation.model import Turn
from lab.llm.model import LLMCall


@dataclass(slots=True)
class Usage:
    """Summed tokens and cost of some LLM calls."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float = 0.0
    unknown_price: bool = False
    estimated: bool = False
    latency_ms: float = 0.0
    modes: set[str] = field(default_factory=set)

    def add(self, call: LLMCall) -> None:
        self.calls += 1
        self.input_tokens += call.input_tokens
        self.output_tokens += call.output_tokens
        self.cached_tokens += call.cached_tokens
        self.latency_ms += call.latency_ms
        self.estimated |= call.estimated
        self.modes.add(call.mode)
        if call.cost_usd is None:
            self.unknown_price = True
        else:
            self.cost_usd += call.cost_usd


def usage_of(calls: Iterable[LLMCall]) -> Usage:
    u = Usage()
    for c in calls:
        u.add(c)
    return u


def per_model(calls: Iterable[LLMCall]) -> dict[str, Usage]:
    out: dict[str, Usage] = {}
    for c in calls:
        out.setdefault(c.model, Usage()).add(c)
    return out


def tokens_text(n: int, estimated: bool) -> Text:
    return Text(("~" if estimated else "") + f"{n:,}", style="italic" if estimated else "")


def cost_text(u: Usage) -> Text:
    """`$0.000123`, or "price unknown" (never 0 for a model with no price)."""
    if u.calls == 0:
        return Text("–", style="dim")
    if u.unknown_price:
        known = f" (+${u.cost_usd:.6f} known)" if u.cost_usd else ""
        return Text("price unknown" + known, style="yellow")
    return Text(f"${u.cost_usd:.6f}")


def cost_renderable(turn: Turn | None, conversation: list[Turn], session: list[Turn]) -> RenderableType:
    """The three tables of the Tokens & cost tab."""
    table = Table(box=None, expand=True, header_style="dim", pad_edge=False)
    for col, justify in (("", "left"), ("calls", "right"), ("in", "right"), ("out", "right"), ("cost", "right")):
        table.add_column(col, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    rows = [("this turn", usage_of(turn.llm_calls) if turn else Usage()),
            ("conversation", usage_of(c for t in conversation for c in t.llm_calls)),
            ("session", usage_of(c for t in session for c in t.llm_calls))]
    for name, u in rows:
        table.add_row(name, str(u.calls), tokens_text(u.input_tokens, u.estimated),
                      tokens_text(u.output_tokens, u.estimated), cost_text(u))
    models = Table(box=None, expand=True, header_style="dim", pad_edge=False, title_justify="left")
    for col, justify in (("model", "left"), ("mode", "left"), ("in", "right"), ("out", "right"), ("cost", "right")):
        models.add_column(col, justify=justify, no_wrap=True, overflow="ellipsis")  # type: ignore[arg-type]
    by_model = per_model(c for t in session for c in t.llm_calls)
    for model, u in sorted(by_model.items()):
        models.add_row(model, ",".join(sorted(u.modes)), tokens_text(u.input_tokens, u.estimated),
                       tokens_text(u.output_tokens, u.estimated), cost_text(u))
    parts: list[RenderableType] = [Text("Tokens & cost", style="bold"), table, Text("")]
    if by_model:
        parts += [Text("per model (session)", style="bold"), models]
    else:
        parts.append(Text("No LLM call yet in this session.", style="dim"))
    if turn is not None and turn.llm_calls:
        latency = sum(c.latency_ms for c in turn.llm_calls)
        parts.append(Text(f"\nthis turn's LLM latency: {latency:.0f} ms", style="dim"))
    if any(c.estimated for t in session for c in t.llm_calls):
        parts.append(Text("~ estimated: counted with tiktoken, the upstream reported no usage", style="dim italic"))
    if any(c.mode == "scripted" for t in session for c in t.llm_calls):
        parts.append(Text("scripted replies: no model was called", style="dim italic"))
    return Group(*parts)


class CostView(Static):
    """Renders tokens and cost for the selected turn and its conversation."""

    DEFAULT_CSS = """
    CostView { height: auto; width: 1fr; padding: 0 1; }
    """

    def show_turn(self, turn: Turn | None, conversation: list[Turn], session: list[Turn]) -> None:
        self.update(cost_renderable(turn, conversation, session))
