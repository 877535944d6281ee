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
from lab.llm.prices import BY_SCRIPT, PRICE_UNKNOWN, describe_priced_by


@dataclass(slots=True)
class Usage:
    """Summed tokens and cost of some LLM calls."""

    calls: int = 0
    failed: int = 0  # calls that got no answer (a replay miss, a refused or broken upstream call)
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float = 0.0
    unknown_price: bool = False
    estimated: bool = False
    latency_ms: float = 0.0
    modes: set[str] = field(default_factory=set)
    priced_by: set[str] = field(
        default_factory=set
    )  # what priced the answered calls (lab.llm.prices)

    def add(self, call: LLMCall) -> None:
        self.calls += 1
        self.input_tokens += call.input_tokens
        self.output_tokens += call.output_tokens
        self.cached_tokens += call.cached_tokens
        self.latency_ms += call.latency_ms
        self.estimated |= call.estimated
        self.modes.add(call.mode)
        if failed(call):  # no answer, nothing billed: it costs $0, not "price unknown"
            self.failed += 1
        elif call.cost_usd is None:
            self.unknown_price = True
            self.priced_by.add(PRICE_UNKNOWN)
        else:
            self.cost_usd += call.cost_usd
            if (
                call.priced_by is not None and call.priced_by != BY_SCRIPT
            ):  # scripted: said below the tables
                self.priced_by.add(describe_priced_by(call.priced_by))


def failed(call: LLMCall) -> bool:
    """The call got no answer: the upstream (or the cassette) refused or failed it; nothing was billed."""
    return call.error is not None or not 200 <= call.status < 300


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
    """`$0.000123`; "price unknown" (never 0 for a model with no price); `≥$0.000123` when only some
    calls have a price (kept short: the panel is narrow, and a note under the table explains `≥`)."""
    if u.calls == 0:
        return Text("–", style="dim")
    if u.unknown_price:
        return Text(f"≥${u.cost_usd:.6f}" if u.cost_usd else "price unknown", style="yellow")
    return Text(f"${u.cost_usd:.6f}")


def priced_by_text(sources: set[str]) -> str:
    """What priced a model's calls, `priced by genai-prices, by the model the upstream reported`,
    with `price unknown` for those nothing priced."""
    known = sorted(sources - {PRICE_UNKNOWN})
    said = ["priced by " + "; ".join(known)] if known else []
    return "; ".join(said + ([PRICE_UNKNOWN] if PRICE_UNKNOWN in sources else []))


def calls_text(u: Usage) -> Text:
    """The number of calls, with the failed ones marked: `3 ✗2`."""
    out = Text(str(u.calls))
    if u.failed:
        out.append(f" ✗{u.failed}", style="red")
    return out


def cost_renderable(
    turn: Turn | None, conversation: list[Turn], session: list[Turn]
) -> RenderableType:
    """The three tables of the Tokens & cost tab."""
    table = Table(box=None, expand=True, header_style="dim", pad_edge=False)
    # The labels and token counts keep their width; a long cost folds rather than squeezing them out.
    table.add_column("", justify="left", no_wrap=True, min_width=12)
    for col in ("calls", "in", "out"):
        table.add_column(col, justify="right", no_wrap=True, min_width=len(col))
    table.add_column("cost", justify="right", no_wrap=True, min_width=9)
    rows = [
        ("this turn", usage_of(turn.llm_calls) if turn else Usage()),
        ("conversation", usage_of(c for t in conversation for c in t.llm_calls)),
        ("session", usage_of(c for t in session for c in t.llm_calls)),
    ]
    for name, u in rows:
        table.add_row(
            name,
            calls_text(u),
            tokens_text(u.input_tokens, u.estimated),
            tokens_text(u.output_tokens, u.estimated),
            cost_text(u),
        )
    models = Table(box=None, expand=True, header_style="dim", pad_edge=False, title_justify="left")
    models.add_column(
        "model · mode", justify="left", overflow="fold"
    )  # the modes go under the model's name
    for col in ("in", "out"):
        models.add_column(col, justify="right", no_wrap=True, min_width=len(col))
    models.add_column("cost", justify="right", no_wrap=True, min_width=9)
    by_model = per_model(c for t in session for c in t.llm_calls)
    for model, u in sorted(by_model.items()):
        name = Text(model)
        name.append("\n  " + ", ".join(sorted(u.modes)), style="dim")
        models.add_row(
            name,
            tokens_text(u.input_tokens, u.estimated),
            tokens_text(u.output_tokens, u.estimated),
            cost_text(u),
        )
    parts: list[RenderableType] = [Text("Tokens & cost", style="bold"), table, Text("")]
    if by_model:
        parts += [Text("per model (session)", style="bold"), models]
        parts += [
            Text(f"{model}: {priced_by_text(u.priced_by)}", style="dim")
            for model, u in sorted(by_model.items())
            if u.priced_by
        ]
    else:
        parts.append(Text("No LLM call yet in this session.", style="dim"))
    if turn is not None and turn.llm_calls:
        latency = sum(c.latency_ms for c in turn.llm_calls)
        parts.append(Text(f"\nthis turn's LLM latency: {latency:.0f} ms", style="dim"))
    session_usage = rows[-1][1]
    if session_usage.failed:
        # A legend of ✗, counted per row above: the session's count under this turn's latency read
        # as this turn's (another contact's failed calls showed up in every chat).
        parts.append(
            Text(
                "✗ failed calls: no answer, nothing billed ($0); the cause is in their turn's "
                "Timeline and Logs",
                style="dim italic",
            )
        )
    if session_usage.unknown_price and session_usage.cost_usd:
        parts.append(
            Text("≥ only the calls with a known model price are summed", style="dim italic")
        )
    if any(c.estimated for t in session for c in t.llm_calls):
        parts.append(
            Text(
                "~ estimated: counted with tiktoken, the upstream reported no usage",
                style="dim italic",
            )
        )
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
