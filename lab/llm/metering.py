"""Metering: every LLM call becomes an `LLMCall` with tokens, cost, latency, mode and cassette key.

Tokens come from the upstream's `usage` when it reports one; otherwise (or when it reports only
zeros for a reply that says something) they are counted with tiktoken (chat framing included) and
the record says `estimated`. Cost: what the upstream states, else genai-prices (`lab.llm.prices`).

On a real Kestra whose flow calls its LLM directly (not through the gateway), `usage_from_outputs`
reads the token usage the plugins put in the task outputs and prices it the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lab.llm import shapes, tokens
from lab.llm.model import LLMCall
from lab.llm.prices import (
    BY_NO_TOKENS,
    BY_SCRIPT,
    StatedCost,
    cost_from_usage,
    cost_usd,
    price_call,
)


def usage_counts(usage: dict[str, Any] | None) -> tuple[int, int, int] | None:
    """(input, output, cached) tokens from an OpenAI `usage` object, or None when absent."""
    if not isinstance(usage, dict) or "prompt_tokens" not in usage and "input_tokens" not in usage:
        return None
    inp = int(usage.get("prompt_tokens", usage.get("input_tokens")) or 0)
    out = int(usage.get("completion_tokens", usage.get("output_tokens")) or 0)
    details = usage.get("prompt_tokens_details") or usage.get("input_tokens_details") or {}
    cached = int((details or {}).get("cached_tokens") or 0)
    return inp, out, cached


def estimate_usage(request: dict[str, Any], response: dict[str, Any] | None) -> dict[str, int]:
    """An OpenAI-shaped usage counted with tiktoken, for replies that came without one."""
    model = str(request.get("model") or "gpt-4o-mini")
    prompt = tokens.count_messages(request.get("messages") or [], model, request.get("tools"))
    message = ((response or {}).get("choices") or [{}])[0].get("message") or {}
    completion = tokens.count_reply(message, model)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def reported_usage(usage: Any, response: dict[str, Any] | None) -> dict[str, Any] | None:
    """The usage the upstream reported, or None where it reported none, or only zeros for a reply
    that says something (a proxy passing on a backend that counts nothing): those are estimated."""
    counts = usage_counts(usage)
    if counts is None or counts[0] == counts[1] == 0 and shapes.has_reply(response):
        return None
    return usage


def meter(
    *,
    execution_id: str | None,
    mode: str,
    request: dict[str, Any],
    response: dict[str, Any] | None,
    usage: dict[str, Any] | None,
    estimated: bool,
    latency_ms: float,
    started_at: float,
    cassette_key: str | None = None,
    status: int = 200,
    error: str | None = None,
    streamed: bool = False,
    cost: float | None = None,
    priced_by: str | None = None,
    stated: StatedCost | None = None,
) -> LLMCall:
    """The metering record of one call.

    `cost` and `priced_by` are a cost already known (a replayed recording's); `stated` is the cost
    the upstream stated in its headers. Otherwise the call is priced as `lab.llm.prices` orders it.
    """
    model = str((response or {}).get("model") or request.get("model") or "")
    counts = usage_counts(usage)
    if (
        status == 200
        and response is not None
        and "messages" in request
        and reported_usage(usage, response) is None
    ):
        counts = usage_counts(estimate_usage(request, response))
        estimated = True
    inp, out, cached = counts or (0, 0, 0)
    # A scripted reply spent nothing; an unknown model's price stays None ("price unknown").
    if cost is None:
        if mode == "scripted":
            cost, priced_by = 0.0, BY_SCRIPT
        elif status == 200:
            cost, priced_by = price_call(
                stated=stated or cost_from_usage(usage),
                reported_model=model,
                requested_model=str(request.get("model") or ""),
                input_tokens=inp,
                output_tokens=out,
                cached_tokens=cached,
            )
        if cost is None and status != 200 and not streamed and inp == out == 0:
            # A call refused before any reply (a replay miss, a 4xx/5xx) used nothing and is not
            # billed; a stream that failed midway may have spent tokens nobody counted: unknown.
            cost, priced_by = 0.0, BY_NO_TOKENS
    return LLMCall(
        execution_id=execution_id,
        model=model,
        mode=mode,
        input_tokens=inp,
        output_tokens=out,
        cached_tokens=cached,
        estimated=estimated,
        cost_usd=cost,
        priced_by=priced_by,
        latency_ms=latency_ms,
        cassette_key=cassette_key,
        status=status,
        error=error,
        streamed=streamed,
        started_at=started_at,
        request=request,
        response=response,
    )


@dataclass(slots=True)
class OutputUsage:
    """Token usage found in a task's outputs on a real Kestra, priced like a gateway call."""

    task_id: str
    source: str  # plugin-ai tokenUsage | plugin-openai usage
    model: str | None
    input_tokens: int
    output_tokens: int
    cached_tokens: int = 0
    cost_usd: float | None = None


def usage_from_outputs(
    outputs: Any, *, models: dict[str, str] | None = None, default_model: str | None = None
) -> list[OutputUsage]:
    """Token usage in an execution's outputs: `{task_id: outputs}` (also nested, e.g. ForEach
    values) or a `taskRunList` of `{taskId, outputs}`.

    plugin-ai outputs carry `tokenUsage` but not the model: give it per task in `models`
    (the task's `provider.modelName`) or as `default_model`; without one the cost is None.
    """
    found: list[OutputUsage] = []
    models = models or {}
    if isinstance(outputs, list):
        for run in outputs:
            if isinstance(run, dict) and isinstance(run.get("outputs"), dict):
                _walk(str(run.get("taskId") or ""), run["outputs"], found, models, default_model)
    elif isinstance(outputs, dict):
        for task_id, value in outputs.items():
            _walk(str(task_id), value, found, models, default_model)
    return found


def _walk(
    task_id: str, value: Any, found: list[OutputUsage], models: dict[str, str], default: str | None
) -> None:
    if not isinstance(value, dict):
        return
    token_usage = value.get("tokenUsage")
    if isinstance(token_usage, dict):
        model = models.get(task_id) or default
        inp = int(token_usage.get("inputTokenCount") or 0)
        out = int(token_usage.get("outputTokenCount") or 0)
        found.append(
            OutputUsage(
                task_id,
                "plugin-ai tokenUsage",
                model,
                inp,
                out,
                0,
                cost_usd(model, inp, out) if model else None,
            )
        )
        return
    counts = usage_counts(value.get("usage"))
    if counts is not None:
        model = str(value.get("model") or models.get(task_id) or default or "") or None
        inp, out, cached = counts
        found.append(
            OutputUsage(
                task_id,
                "plugin-openai usage",
                model,
                inp,
                out,
                cached,
                cost_usd(model, inp, out, cached) if model else None,
            )
        )
        return
    for child in value.values():  # ForEach / Parallel outputs nest by iteration value
        _walk(task_id, child, found, models, default)


def usage_from_metrics(
    metrics: list[dict[str, Any]], *, model: str | None = None
) -> OutputUsage | None:
    """Token usage from an execution's metrics (`GET /api/v1/main/metrics/{executionId}`), summed."""
    names = {
        "input.token.count": 0,
        "output.token.count": 0,
        "usage.prompt.tokens": 0,
        "usage.completion.tokens": 0,
        "usage.prompt.cached_tokens": 0,
    }
    for m in metrics:
        if isinstance(m, dict) and m.get("name") in names:
            names[m["name"]] += int(m.get("value") or 0)
    inp = names["input.token.count"] + names["usage.prompt.tokens"]
    out = names["output.token.count"] + names["usage.completion.tokens"]
    if not inp and not out:
        return None
    cached = names["usage.prompt.cached_tokens"]
    return OutputUsage(
        "*",
        "metrics",
        model,
        inp,
        out,
        cached,
        cost_usd(model, inp, out, cached) if model else None,
    )


def meter_failure(
    *,
    execution_id: str | None,
    mode: str,
    request: dict[str, Any],
    started_at: float,
    status: int,
    error: str,
    latency_ms: float = 0.0,
    streamed: bool = False,
    cassette_key: str | None = None,
) -> LLMCall:
    """The metering record of a call that got no reply: refused before any upstream (a replay miss,
    no scripted reply left, no upstream configured) or failed by the upstream."""
    return meter(
        execution_id=execution_id,
        mode=mode,
        request=request,
        response=None,
        usage=None,
        estimated=False,
        latency_ms=latency_ms,
        started_at=started_at,
        cassette_key=cassette_key,
        status=status,
        error=error,
        streamed=streamed,
    )
