"""`walab validate` tells an unknown Pebble name from a Kestra one the embedded engine lacks, as it
does for task types (QA P3-21)."""

from __future__ import annotations

import textwrap

from lab.kestra.cli_validate import _from_problem
from lab.kestra.engine import known_types
from lab.kestra.engine.validation import validate

FLOW = """
id: f
namespace: company.test
tasks:
  - id: a
    type: io.kestra.plugin.core.log.Log
    message: "{{ 'x' | upperr }}"
  - id: b
    type: io.kestra.plugin.core.log.Log
    message: "{{ fileURI('x') }}"
  - id: c
    type: io.kestra.plugin.core.log.Log
    message: "{% if 1 is oddd %}{{ 'x' | upper | slugify }}{% endif %}"
"""


def test_unknown_names_and_kestra_names_are_told_apart(tmp_path):
    problems = validate(textwrap.dedent(FLOW))
    assert [p.kind for p in problems] == ["expression", "expression", "expression"]
    typo, kestra, test = (p.message for p in problems)
    assert (
        "filter upperr (did you mean upper?) does not exist in Kestra's Pebble" in typo
        and "real Kestra" not in typo
    )
    assert "function fileURI exists in Kestra but is not supported by the embedded engine" in kestra
    assert "real Kestra" in kestra and "test oddd (did you mean odd?) does not exist" in test
    findings = [_from_problem(tmp_path / "f.yml", FLOW, p) for p in problems]
    assert [f.kind for f in findings] == ["invalid", "unsupported", "invalid"]
    assert (
        "fix the {{ }} expression" in findings[0].hint and "use a real Kestra" in findings[1].hint
    )


def test_kestra_pebble_names_by_version():
    assert {"toJson", "jq", "upper", "default", "json"} <= known_types.pebble_names("filter", "1.3")
    assert "json" not in known_types.pebble_names("filter", "2.0")
    assert "env" in known_types.pebble_names(
        "function", "2.0"
    ) and "env" not in known_types.pebble_names("function")
    assert {"defined", "json"} <= known_types.pebble_names("test")
