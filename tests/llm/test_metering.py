"""Offline tiktoken counts, genai-prices costs, and usage read from a real Kestra's task outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lab.llm import tokens
from lab.llm.metering import usage_from_metrics, usage_from_outputs
from lab.llm.prices import cost_usd, format_cost

TEXTS = {
    "pt": "Olá! Quero saber o preço do plano de energia solar para minha casa em São Paulo, por favor.",
    "en": "Hello! I would like to know the price of the solar energy plan for my house, please.",
    "emoji": "👍🏽 Obrigado!! 🎉🎉 ☀️🔋 ❤️‍🔥",
    "mixed": "Preço: R$ 1.299,90 — ok? 😊 Let's go!",
}
# Computed once with tiktoken 0.14 on the seeded encodings and cross-checked with bpe-openai's own tokenizer.
REFERENCE = {
    "o200k_base": {"pt": 21, "en": 20, "emoji": 18, "mixed": 17},
    "cl100k_base": {"pt": 23, "en": 20, "emoji": 29, "mixed": 20},
}

OFFLINE = """
import json, socket, sys
def refuse(*a, **k):
    raise AssertionError("network use: %r" % (a,))
socket.socket.connect = refuse
socket.create_connection = refuse
sys.modules["requests"] = None  # tiktoken downloads with requests: make any attempt fail loudly
from lab.llm import tokens
texts = json.loads(sys.argv[1])
out = {name: {k: len(tokens.encoding(name).encode(t)) for k, t in texts.items()} for name in ("o200k_base", "cl100k_base")}
import bpe_openai
cross = {name: {k: len(bpe_openai.get_encoding(name).encode(t)) for k, t in texts.items()} for name in out}
print(json.dumps({"tiktoken": out, "bpe_openai": cross}))
"""


def test_offline_counts_equal_tiktokens_reference_for_portuguese_english_and_emoji(tmp_path):
    cache = tmp_path / "tiktoken-cache"
    env = {
        "PATH": "/usr/bin:/bin",
        "TIKTOKEN_CACHE_DIR": str(cache),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }

    def run() -> dict:
        proc = subprocess.run(
            [sys.executable, "-c", OFFLINE, json.dumps(TEXTS)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        return json.loads(proc.stdout)

    result = run()
    assert result["tiktoken"] == REFERENCE
    assert result["bpe_openai"] == REFERENCE
    names = sorted(p.name for p in cache.iterdir())
    blobs = [n for n in names if not n.endswith(".marshal")]
    assert len(blobs) == 2  # the two seeded blobs, named by sha1 of their URL
    compiled = sorted(cache.glob("*.marshal"))  # ... and the parsed tables, for a faster next start
    assert [p.name.split("-")[0] for p in compiled] == ["cl100k_base", "o200k_base"]
    assert run()["tiktoken"] == REFERENCE  # from the compiled tables
    compiled[1].write_bytes(b"\x00garbage")  # a damaged file is ignored and written again
    assert run()["tiktoken"] == REFERENCE and compiled[1].stat().st_size > 1000


def test_the_seeded_blobs_are_the_ones_tiktoken_asks_for():
    import tiktoken_ext.openai_public as public

    source = Path(public.__file__).read_text()
    for name, (url, sha) in tokens.ENCODING_BLOBS.items():
        assert url in source and sha in source, name


def test_chat_format_overhead_is_counted():
    enc = tokens.encoding("o200k_base")
    messages = [
        {"role": "system", "content": "Você é a Sol."},
        {"role": "user", "content": TEXTS["pt"], "name": "maria"},
    ]
    content = sum(len(enc.encode(v)) for m in messages for v in m.values())
    assert tokens.count_messages(messages, "gpt-4o-mini") == content + 3 * 2 + 1 + 3
    assert tokens.count_text(TEXTS["emoji"], "gpt-4") == REFERENCE["cl100k_base"]["emoji"]
    assert tokens.encoding_name_for("some-local-llama") == "o200k_base"


def test_cost_comes_from_genai_prices_and_unknown_models_are_not_free():
    assert cost_usd("gpt-4o-mini", 1000, 500) == pytest.approx(1000 * 0.15e-6 + 500 * 0.6e-6)
    # Cached input tokens are billed at the cache-read price.
    assert cost_usd("gpt-4o-mini", 1000, 500, 200) < cost_usd("gpt-4o-mini", 1000, 500)
    assert cost_usd("gpt-4o-mini-2024-07-18", 1000, 500) == pytest.approx(
        cost_usd("gpt-4o-mini", 1000, 500)
    )
    assert cost_usd("llama3.1:8b-local", 1000, 500) is None
    assert format_cost(None) == "price unknown" and format_cost(0.000435) == "$0.000435"


def test_usage_from_a_real_kestras_outputs_plugin_ai_and_plugin_openai():
    outputs = {
        "classify": {
            "textOutput": "preco",
            "tokenUsage": {
                "inputTokenCount": 1000,
                "outputTokenCount": 500,
                "totalTokenCount": 1500,
            },
            "finishReason": "STOP",
        },
        "answer": {
            "id": "chatcmpl-1",
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [],
            "usage": {
                "prompt_tokens": 2000,
                "completion_tokens": 100,
                "total_tokens": 2100,
                "prompt_tokens_details": {"cached_tokens": 1024},
            },
        },
        "each": {"a": {"llm": {"tokenUsage": {"inputTokenCount": 10, "outputTokenCount": 5}}}},
        "send": {"code": 200, "body": "{}"},
    }
    found = usage_from_outputs(outputs, models={"classify": "gpt-4o-mini"})
    assert [
        (u.task_id, u.source, u.input_tokens, u.output_tokens, u.cached_tokens) for u in found
    ] == [
        ("classify", "plugin-ai tokenUsage", 1000, 500, 0),
        ("answer", "plugin-openai usage", 2000, 100, 1024),
        ("each", "plugin-ai tokenUsage", 10, 5, 0),
    ]
    assert found[0].cost_usd == pytest.approx(cost_usd("gpt-4o-mini", 1000, 500))
    assert found[1].cost_usd == pytest.approx(cost_usd("gpt-4o-mini", 2000, 100, 1024))
    assert found[2].cost_usd is None  # no model known for it: price unknown, not 0
    runs = [{"taskId": "classify", "outputs": outputs["classify"]}]
    assert usage_from_outputs(runs, default_model="gpt-4o-mini")[0].cost_usd == found[0].cost_usd


def test_usage_from_metrics():
    metrics = [
        {"name": "input.token.count", "value": 100.0},
        {"name": "output.token.count", "value": 20.0},
        {"name": "ai.provider.calls", "value": 1.0},
    ]
    usage = usage_from_metrics(metrics, model="gpt-4o-mini")
    assert (usage.input_tokens, usage.output_tokens) == (100, 20) and usage.cost_usd > 0
    assert usage_from_metrics([]) is None


def test_a_call_that_used_no_tokens_costs_nothing_not_price_unknown():
    """A failed call (a replay miss, a 500) used no tokens: $0, not "price unknown" (nothing is billed)."""
    from lab.llm.metering import meter
    from lab.llm.prices import BY_NO_TOKENS, describe_priced_by

    request = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Oi"}]}
    for mode, status in (("replay", 404), ("live", 500)):
        call = meter(
            execution_id="e1",
            mode=mode,
            request=request,
            response=None,
            usage=None,
            estimated=False,
            latency_ms=1.0,
            started_at=0.0,
            status=status,
            error="failed",
        )
        assert (call.input_tokens, call.output_tokens, call.cost_usd) == (0, 0, 0.0)
        assert call.priced_by == BY_NO_TOKENS and "no tokens" in describe_priced_by(call.priced_by)
    unknown = meter(
        execution_id="e1",
        mode="live",
        request={**request, "model": "llama3.2"},
        response={
            "model": "llama3.2",
            "choices": [{"message": {"content": "Olá"}}],
            "usage": {"prompt_tokens": 9, "completion_tokens": 2},
        },
        usage={"prompt_tokens": 9, "completion_tokens": 2},
        estimated=False,
        latency_ms=1.0,
        started_at=0.0,
    )
    assert unknown.cost_usd is None  # tokens spent on a model without a known price stay unknown
