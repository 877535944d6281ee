"""Shared fixtures of the scenario tests."""

from __future__ import annotations

import pytest

XDIST_WORKER_VARIABLES = (
    "PYTEST_XDIST_WORKER",
    "PYTEST_XDIST_WORKER_COUNT",
    "PYTEST_XDIST_TESTRUNUID",
)


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytester's inner runs are whole pytest sessions, not pytest-xdist workers: without this, under
    `-n 2` they inherit the worker's environment, and syrupy (which reads PYTEST_XDIST_WORKER) leaves
    its snapshot report and unused-snapshot cleanup to an xdist controller that does not exist."""
    for name in XDIST_WORKER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return pytester
