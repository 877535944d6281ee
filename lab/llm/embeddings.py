"""Embeddings for scripted mode: deterministic vectors derived from each input's text."""

from __future__ import annotations

import hashlib
import math
from typing import Any

from lab.llm import tokens


def scripted_embeddings(body: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI embeddings response whose vectors depend only on the inputs (same text, same vector)."""
    inputs = body.get("input")
    items = inputs if isinstance(inputs, list) else [inputs]
    dims = int(body.get("dimensions") or 8)
    model = str(body.get("model"))
    data, prompt_tokens = [], 0
    for i, item in enumerate(items):
        text = item if isinstance(item, str) else str(item)
        prompt_tokens += (
            tokens.count_text(text, model) if isinstance(item, str) else len(item or [])
        )
        digest = hashlib.sha256(text.encode()).digest()
        raw = [(digest[j % 32] / 255.0) * 2 - 1 for j in range(dims)]
        norm = math.sqrt(sum(x * x for x in raw)) or 1.0
        data.append(
            {"object": "embedding", "index": i, "embedding": [round(x / norm, 6) for x in raw]}
        )
    return {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
    }
