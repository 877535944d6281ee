"""Cost of an LLM call from genai-prices (a maintained price table), never a table kept by hand."""

from __future__ import annotations

from functools import lru_cache

PRICE_UNKNOWN = "price unknown"


@lru_cache(maxsize=4096)
def cost_usd(model: str, input_tokens: int, output_tokens: int, cached_tokens: int = 0,
             provider: str = "openai") -> float | None:
    """USD cost of a call, or None when genai-prices does not know the model (never 0 for unknown).

    `input_tokens` includes `cached_tokens`, as OpenAI's `prompt_tokens` does.
    Cached: one lookup costs ~80 µs and replayed calls repeat the same counts.
    """
    if not model:
        return None
    from genai_prices import Usage, calc_price

    usage = Usage(input_tokens=input_tokens, output_tokens=output_tokens,
                  cache_read_tokens=cached_tokens or None)
    try:
        price = calc_price(usage, model, provider_id=provider)
    except LookupError:
        return None
    return float(price.total_price)


_warming: list[bool] = []


def warm_up() -> None:
    """Load the price table in a background thread (about a second), once per process, so the
    first metered call does not wait for it."""
    if _warming:
        return
    _warming.append(True)
    import threading

    threading.Thread(target=cost_usd, args=("gpt-4o-mini", 1, 1), name="walab-prices", daemon=True).start()


def format_cost(cost: float | None) -> str:
    """A cost as people read it: `$0.000435`, or `price unknown`."""
    if cost is None:
        return PRICE_UNKNOWN
    return f"${cost:.6f}"
