"""YAML syntax errors name the line a person must fix, not where the parser gave up."""

from __future__ import annotations

import pytest

from lab import yamlio
from lab.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            'id: flow\ntasks:\n  - id: hello\n    message: "unterminated\n  - id: x\n    type: y\n',
            4,
        ),
        ("a: [1, 2\nb: 3\n", 1),
        ("a: {x: 1\nb: 2\n", 1),
    ],
)
def test_unclosed_quote_or_bracket_points_at_its_opening_line(text: str, line: int) -> None:
    with pytest.raises(ConfigError) as caught:
        yamlio.loads(text, source="flow.yaml")
    assert caught.value.where.startswith(f"flow.yaml:{line}:")
    assert "never closed" in caught.value.what


def test_other_errors_keep_the_problem_line() -> None:
    with pytest.raises(ConfigError) as caught:
        yamlio.loads("a: 1\n  b: 2\n", source="x.yaml")
    assert caught.value.where == "x.yaml:2:4"
    assert "mapping values are not allowed" in caught.value.what
