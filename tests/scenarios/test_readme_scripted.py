"""The scripted-replies example in README "Scenarios in your CI" is valid, and its errors are what it says."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from lab.llm.scripted import ScriptedReplies

README = Path(__file__).parents[2] / "README.md"


def test_readme_scripted_example_parses_with_its_errors() -> None:
    section = (
        README.read_text(encoding="utf-8")
        .split("## Scenarios in your CI", 1)[1]
        .split("\n## ", 1)[0]
    )
    block = next(
        b
        for b in re.findall(r"```yaml\n(.*?)```", section, re.S)
        if "scripted:" in b and "error:" in b
    )
    items = yaml.safe_load(block)["llm"]["scripted"]
    replies = ScriptedReplies(items, source="README")
    assert replies.next("Quanto custa a instalação?").error == 500
    limited = replies.next("outra coisa")
    assert limited.error == 429 and limited.error_code() == "rate_limit_exceeded"
    assert limited.error_message() == "Rate limit reached"
    assert replies.next("mais uma").tool_call == {"name": "buscar_plano", "arguments": {"id": 3}}
