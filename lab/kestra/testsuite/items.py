"""Kestra test suites as pytest items: `walab test` runs every case of every TestSuite file
(YAML with top-level `testCases` and `flowId`) under its paths, on the embedded engine holding
the project's flows/ (and the flows beside the suite). A case that does not pass fails with
Kestra's report: each failing assertion's message, each error."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from lab.errors import LabError
from lab.kestra.testsuite.cli import report
from lab.kestra.testsuite.model import is_test_suite, load_suite
from lab.kestra.testsuite.runner import SuiteRunner
from lab.kestra.testsuite.suites import collect, engine_with_flows

SUFFIXES = (".yml", ".yaml")


class KestraTestFailure(AssertionError):
    """A unit test case did not pass: the message is Kestra's result, readable."""


def is_suite_file(path: Path) -> bool:
    if path.suffix not in SUFFIXES or "scenarios" in path.parts or "__snapshots__" in path.parts:
        return False
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:4096]
    except OSError:
        return False
    return is_test_suite(head)


def project_flows(start: Path) -> Path | None:
    """The `flows/` of the project holding `start` (the nearest parent with one)."""
    for folder in (start, *start.parents):
        if (folder / "flows").is_dir() and (folder / "pyproject.toml").exists():
            return folder / "flows"
    return None


class KestraSuiteFile(pytest.File):
    """One TestSuite file; one item per test case."""

    def collect(self) -> Any:
        suite = load_suite(self.path)
        for case in suite.test_cases:
            yield KestraCaseItem.from_parent(
                self, name=f"{suite.id}::{case.id}", suite=suite, case=case
            )

    def engine(self) -> Any:
        """One engine per suite file, with the flows it tests (built on the first case)."""
        engine = getattr(self, "_engine", None)
        if engine is None:
            _suites, flows = collect([self.path.parent])
            engine = self._engine = engine_with_flows(flows, project_flows(self.path.parent))
        return engine

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, LabError):
            return f"test suite {self.path.name} cannot be loaded:\n{excinfo.value.render()}"
        return super().repr_failure(excinfo)


class KestraCaseItem(pytest.Item):
    """One unit test case of a suite."""

    def __init__(self, *args: Any, suite: Any = None, case: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.suite, self.case = suite, case

    def runtest(self) -> None:
        if self.case.disabled:
            pytest.skip(f"test case {self.case.id} is disabled")
        parent: KestraSuiteFile = self.parent  # type: ignore[assignment]
        runner = SuiteRunner(parent.engine())
        result = asyncio.run(runner.run_case(self.suite, self.case))
        if result["state"] not in ("SUCCESS", "SKIPPED"):
            shown = {
                "testSuiteId": self.suite.id,
                "namespace": self.suite.namespace,
                "flowId": self.suite.flow_id,
                "state": result["state"],
                "results": [result],
            }
            raise KestraTestFailure(report(shown, f"{self.path}:{self.case.line or 1}"))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, KestraTestFailure):
            return str(excinfo.value)
        if isinstance(excinfo.value, LabError):
            return f"test case {self.case.id} ({self.path.name}) could not run:\n{excinfo.value.render()}"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, (self.case.line or 1) - 1, f"kestra test {self.name}"
