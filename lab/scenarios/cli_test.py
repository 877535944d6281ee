"""`walab test [PYTEST ARGS...]`: run the test suite with pytest (tests/ and scenarios/ by default)."""

from __future__ import annotations


def run_argv(argv: list[str]) -> int:
    """Run pytest with argv; the project's pytest config picks the test paths."""
    import pytest

    return int(pytest.main(list(argv)))
