"""Snapshot text: the emitter reads back as what it wrote; tolerances; volatile values normalised."""

from __future__ import annotations

import random

import yaml

from lab.scenarios.emitter import dumps
from lab.scenarios.snapshot import within_tolerance

TRICKY = [
    "a: b",
    "- x",
    "#c",
    "yes",
    "No",
    "1.0",
    "0x10",
    "",
    " lead",
    "trail ",
    "multi\nline",
    "multi\nline\n",
    "\n lead",
    "tab\there",
    "x\n\n",
    "é ótimo",
    "R$ 450",
    "*bold*",
    "~",
    "null",
    "@x",
    "100%",
    "a #b",
    "key:",
    "[x]",
    "{x}",
    "'q'",
    '"q"',
    "line1\n  indented\nend",
    "a\r\nb",
    "emoji ☀️ 🙏",
    "2026-03-02",
    "12:30",
    "+1",
    ".inf",
    "<<",
    "x\u2028y",
    "x\x85y",
    "---",
    "...",
    "? x",
]


def test_emitter_round_trips_tricky_and_random_strings() -> None:
    doc = {
        "k": TRICKY,
        "m": {c: c for c in TRICKY if c},
        "l": [{"a": c, "b": [c, {"x": c}]} for c in TRICKY],
        "n": [1, 2.5, None, True, [], {}, [[1, "a"]]],
    }
    assert yaml.safe_load(dumps(doc)) == doc
    rng = random.Random(7)
    alphabet = "ab :#-\n\t'\"é☀{}[]&*!|>%@`,?0 \u2028\x85\r"
    for _ in range(5000):
        v = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 9)))
        doc = {"x": [v, {"y": v, v or "e": v}], v or "f": [v]}
        assert yaml.safe_load(dumps(doc)) == doc, repr(v)


def test_multiline_replies_are_literal_blocks() -> None:
    assert dumps({"text": "Olá!\nEscolha:"}) == "text: |-\n  Olá!\n  Escolha:\n"


def test_tolerance_applies_to_tokens_and_cost_only() -> None:
    a = dumps({"llm": [{"tokens_in": 100, "cost_usd": 0.001, "text": "x"}]})
    b = dumps({"llm": [{"tokens_in": 108, "cost_usd": 0.00105, "text": "x"}]})
    assert not within_tolerance(a, b, tokens=0.0, cost=0.0)
    assert within_tolerance(a, b, tokens=0.1, cost=0.1)
    assert not within_tolerance(a, b, tokens=0.05, cost=0.1)
    c = dumps({"llm": [{"tokens_in": 100, "cost_usd": 0.001, "text": "y"}]})
    assert not within_tolerance(a, c, tokens=1.0, cost=1.0)
