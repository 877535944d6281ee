"""Scripted replies: parsing, rules before turns, clear errors for a bad script."""

from __future__ import annotations

import pytest

from lab.errors import ConfigError
from lab.llm.scripted import ScriptedReplies


def test_rules_answer_first_then_turns_in_order():
    script = ScriptedReplies(
        [
            "primeira",
            {"match": "(?i)preço", "reply": "R$ 99"},
            {
                "match": "(?i)plano",
                "reply": {"tool_call": {"name": "buscar_plano", "arguments": {"id": 3}}},
            },
            {"json": {"ok": True}},
        ]
    )
    assert script.next("Qual o PREÇO?").text == "R$ 99"
    msg, finish = script.next("quero um plano").message("call_1")
    assert finish == "tool_calls" and msg["tool_calls"][0]["function"] == {
        "name": "buscar_plano",
        "arguments": '{"id":3}',
    }
    assert script.next("oi").text == "primeira"
    assert script.next("oi").message("c")[0]["content"] == '{"ok":true}'
    assert script.next("oi") is None


@pytest.mark.parametrize(
    "item,expected",
    [
        ({"match": "(", "reply": "x"}, "not a valid regex"),
        ({"reply": "a", "json": {}}, "exactly one of"),
        ({"tool_call": {"arguments": {}}}, "needs a name"),
        (42, "a text or a mapping"),
        ({"error": 200}, "an HTTP error status (400-599)"),
        ({"error": "500"}, "an HTTP error status"),
        ({"error": 500, "reply": "x"}, "takes only `message`"),
    ],
)
def test_a_bad_script_says_where_and_what(item, expected):
    with pytest.raises(ConfigError) as info:
        ScriptedReplies(["ok", item], source="scenarios/lead.yaml")
    assert expected in str(info.value) and "scenarios/lead.yaml: llm replies[1]" in str(info.value)


def test_load_script_reads_the_scenario_format(tmp_path):
    """A list, a `scripted:` mapping, one reply, or a whole scenario file (QA P2-8)."""
    import pytest

    from lab.errors import ConfigError
    from lab.llm.scripted import load_script

    cases = {
        "list.yaml": "- {match: '(?i)oi', reply: Olá}\n- segundo\n",
        "mapping.yaml": "scripted:\n  - {match: '(?i)oi', reply: Olá}\n",
        "one.yaml": "{match: '(?i)oi', reply: Olá}\n",
        "scenario.yaml": "version: 1\nflow: a/b\nllm:\n  scripted:\n    - {match: '(?i)oi', reply: Olá}\nsteps: []\n",
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        replies = load_script(tmp_path / name)
        assert replies.next("oi").text == "Olá", name
    (tmp_path / "empty.yaml").write_text("version: 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="holds no list of replies"):
        load_script(tmp_path / "empty.yaml")
    (tmp_path / "bad.yaml").write_text("- {match: '(', reply: x}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a valid regex"):
        load_script(tmp_path / "bad.yaml")
