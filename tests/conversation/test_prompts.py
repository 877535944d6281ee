"""Prompt files: the bundled variants, and clear errors with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.errors import ConfigError
from lab.prompts import find_prompt, load_prompt, load_prompts

ROOT = Path(__file__).resolve().parents[2]


def test_bundled_prompts_load_with_tokens_and_hashes():
    prompts = load_prompts(ROOT / "prompts")
    ids = [p.id for p in prompts]
    assert {
        "whatsapp_agent.default",
        "whatsapp_agent.concise",
        "faq_energy_assistant.default",
        "lead_qualification.default",
    } <= set(ids)
    agent = [p for p in prompts if p.flow == "whatsapp_agent"]
    assert len(agent) >= 2
    default, concise = (
        find_prompt(prompts, "whatsapp_agent"),
        find_prompt(prompts, "whatsapp_agent.concise"),
    )
    assert default.variant == "default" and concise.variant == "concise"
    assert 0 < concise.tokens < default.tokens
    assert len(default.hash) == 12 and default.hash != concise.hash
    assert "Você" in default.text and default.model == "gpt-4o-mini" and default.temperature == 0.3
    assert default.body_line == 9 and default.namespace_path == "prompts/whatsapp_agent.default.md"


@pytest.mark.parametrize(
    "text, line, what",
    [
        ("no header\n", 1, "starts with a YAML header"),
        ("---\nid: x\n", 1, "not closed"),
        ("---\nid: a.b\ncolour: red\n---\nhi\n", 3, "unknown key 'colour'"),
        ("---\nid: a.b\ntemperature: warm\n---\nhi\n", 3, "'temperature' must be a float"),
        ("---\nid: a.b\nvariables: x\n---\nhi\n", 3, "'variables' must be a list"),
        ("---\nid: [a\n---\nhi\n", 2, "not valid YAML"),  # the line that opened the bracket
        ("---\nid: 'a b'\n---\nhi\n", 2, "not valid"),
    ],
)
def test_header_errors_name_the_file_and_line(tmp_path, text, line, what):
    path = tmp_path / "bad.md"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_prompt(path)
    assert what in err.value.what
    assert err.value.where == f"{path}:{line}"


def test_duplicate_ids_and_unknown_prompt(tmp_path):
    for name in ("one.md", "two.md"):
        (tmp_path / name).write_text("---\nid: agent.default\n---\ntexto\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="two prompt files have the id"):
        load_prompts(tmp_path)
    (tmp_path / "two.md").unlink()
    with pytest.raises(ConfigError) as err:
        find_prompt(load_prompts(tmp_path), "nope")
    assert "agent.default" in (err.value.fix or "")


def test_undeclared_variables_are_listed(tmp_path):
    path = tmp_path / "v.md"
    path.write_text(
        "---\nvariables: [empresa]\n---\nOlá da {{ empresa }} em {{ cidade }}\n", encoding="utf-8"
    )
    prompt = load_prompt(path)
    assert prompt.id == "v" and prompt.undeclared_variables() == ["cidade"]
