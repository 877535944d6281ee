"""Scripted replies: parsing, rules before turns, clear errors for a bad script."""

from __future__ import annotations

import pytest

from lab.errors import ConfigError
from lab.llm.scripted import ScriptedReplies


def test_rules_answer_first_then_turns_in_order():
    script = ScriptedReplies([
        "primeira",
        {"match": "(?i)preço", "reply": "R$ 99"},
        {"match": "(?i)plano", "reply": {"tool_call": {"name": "buscar_plano", "arguments": {"id": 3}}}},
        {"json": {"ok": True}},
    ])
    assert script.next("Qual o PREÇO?").text == "R$ 99"
    msg, finish = script.next("quero um plano").message("call_1")
    assert finish == "tool_calls" and msg["tool_calls"][0]["function"] == {"name": "buscar_plano", "arguments": '{"id":3}'}
    assert script.next("oi").text == "primeira"
    assert script.next("oi").message("c")[0]["content"] == '{"ok":true}'
    assert script.next("oi") is None


@pytest.mark.parametrize("item,expected", [
    ({"match": "(", "reply": "x"}, "not a valid regex"),
    ({"reply": "a", "json": {}}, "exactly one of"),
    ({"tool_call": {"arguments": {}}}, "needs a name"),
    (42, "a text or a mapping"),
    ({"error": 200}, "an HTTP error status (400-599)"),
    ({"error": "500"}, "an HTTP error status"),
    ({"error": 500, "reply": "x"}, "takes only `message`"),
])
def test_a_bad_script_says_where_and_what(item, expected):
    with pytest.raises(ConfigError) as info:
        ScriptedReplies(["ok", item], source="scenarios/lead.yaml")
    assert expected in str(info.value) and "scenarios/lead.yaml: llm replies[1]" in str(info.value)
