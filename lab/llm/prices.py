"""Cost of an LLM call: what the upstream states, else genai-prices (a maintained price table),
never a table kept by hand.

The order, first that answers: the cost the upstream states (LiteLLM's proxy sends the
`x-litellm-response-cost` header, OpenRouter and others a `usage.cost`), then genai-prices by the
model the upstream reports, then by the model the request named (a proxy's alias such as
`team-chat` reports itself, a dated snapshot name may be unknown where its family is known), then
"price unknown". Each call says which one priced it (`LLMCall.priced_by`).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping

PRICE_UNKNOWN = "price unknown"
COST_HEADER = "x-litellm-response-cost"
# What priced a call (`LLMCall.priced_by`, a cassette entry's `priced_by`); None: price unknown.
BY_HEADER = COST_HEADER
BY_USAGE_COST = "usage.cost"
BY_MODEL = "genai-prices:model"
BY_ALIAS = "genai-prices:alias"
BY_SCRIPT = "scripted"
BY_NO_TOKENS = "no tokens"
PRICED_BY = {
    BY_HEADER: f"the upstream's own cost ({COST_HEADER} header)",
    BY_USAGE_COST: "the upstream's own cost (usage.cost)",
    BY_MODEL: "genai-prices, by the model the upstream reported",
    BY_ALIAS: "genai-prices, by the model the request named (the upstream's is not in it)",
    BY_SCRIPT: "nothing: scripted replies cost $0",
    BY_NO_TOKENS: "nothing: the call used no tokens (a failed call is not billed), $0",
}


def describe_priced_by(priced_by: str | None) -> str:
    """What priced a call, in words (`price unknown` when nothing did)."""
    if priced_by is None:
        return PRICE_UNKNOWN
    return PRICED_BY.get(priced_by, priced_by)


@dataclass(frozen=True, slots=True)
class StatedCost:
    """A cost the upstream stated for one call, and where it said it."""

    usd: float
    where: str


def _usd(value: Any) -> float | None:
    """A non-negative finite number of dollars, from a number or its text; None otherwise."""
    if isinstance(value, bool):
        return None
    try:
        usd = float(value)
    except (TypeError, ValueError):
        return None
    return usd if math.isfinite(usd) and usd >= 0 else None


def cost_from_headers(headers: Mapping[str, str] | None) -> StatedCost | None:
    """The cost a response's headers state (LiteLLM's proxy: `x-litellm-response-cost`)."""
    usd = _usd((headers or {}).get(COST_HEADER))
    return StatedCost(usd, BY_HEADER) if usd is not None else None


def cost_from_usage(usage: Any) -> StatedCost | None:
    """The cost a `usage` object states (`usage.cost`, as OpenRouter and LiteLLM's SDK report it)."""
    usd = _usd(usage.get("cost")) if isinstance(usage, dict) else None
    return StatedCost(usd, BY_USAGE_COST) if usd is not None else None


def price_call(
    *,
    stated: StatedCost | None,
    reported_model: str | None,
    requested_model: str | None,
    input_tokens: int,
    output_tokens: int,
    cached_tokens: int = 0,
) -> tuple[float | None, str | None]:
    """(cost, what priced it) in the order of this module's docstring; (None, None) when unknown."""
    if stated is not None:
        return stated.usd, stated.where
    for model, source in ((reported_model, BY_MODEL), (requested_model, BY_ALIAS)):
        if model:
            cost = cost_usd(model, input_tokens, output_tokens, cached_tokens)
            if cost is not None:
                return cost, source
    return None, None


@lru_cache(maxsize=4096)
def cost_usd(
    model: str,
    input_tokens: int,
    output_tokens: int,
    cached_tokens: int = 0,
    provider: str = "openai",
) -> float | None:
    """USD cost of a call, or None when genai-prices does not know the model (never 0 for unknown).

    `input_tokens` includes `cached_tokens`, as OpenAI's `prompt_tokens` does.
    Cached: one lookup costs ~80 µs and replayed calls repeat the same counts.
    """
    if not model:
        return None
    # lazy: start-up, the genai-prices table loads only when a call is priced
    from genai_prices import Usage, calc_price

    usage = Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cache_read_tokens=cached_tokens or None,
    )
    try:
        price = calc_price(usage, model, provider_id=provider)
    except LookupError:
        return None
    return float(price.total_price)


@lru_cache(maxsize=1024)
def transcription_cost_usd(
    model: str,
    audio_seconds: float | None,
    input_tokens: int = 0,
    output_tokens: int = 0,
    audio_tokens: int = 0,
    provider: str = "openai",
) -> float | None:
    """USD cost of a transcription: by audio duration for the models genai-prices prices per audio
    hour (whisper-1), by tokens for the token-priced ones (gpt-4o-transcribe); None when unknown.

    A price of $0 for a call that used something means genai-prices knows the model but not by
    what was measured (a duration for a token-priced model): that is unknown too, never free.
    """
    if not model:
        return None
    # lazy: start-up, the genai-prices table loads only when a call is priced
    from genai_prices import Usage, calc_price

    if input_tokens or output_tokens:
        usage = Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            input_audio_tokens=audio_tokens or None,
        )
    elif audio_seconds:
        usage = Usage(audio_seconds=audio_seconds)
    else:
        return None
    try:
        price = calc_price(usage, model, provider_id=provider)
    except (LookupError, ValueError):
        return None
    total = float(price.total_price)
    return total if total > 0 else None


_warming: list[threading.Thread] = []


def warm_up() -> None:
    """Load the price table in a background thread (about a second), once per process, so the
    first metered call does not wait for it."""
    if _warming:
        return
    thread = threading.Thread(
        target=cost_usd, args=("gpt-4o-mini", 1, 1), name="walab-prices", daemon=True
    )
    _warming.append(thread)
    thread.start()


def wait_warmed() -> None:
    """Block until `warm_up`'s thread is done (at once when it is, or never started)."""
    for thread in _warming:
        thread.join()


def format_cost(cost: float | None) -> str:
    """A cost as people read it: `$0.000435`, or `price unknown`."""
    if cost is None:
        return PRICE_UNKNOWN
    return f"${cost:.6f}"
