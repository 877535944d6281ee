"""Test suites run on the embedded engine into Kestra's TestSuiteRunResult: each enabled case is
one execution of the suite's flow with the case's fixtures, then its assertions judged against the
finished execution. States as Kestra's: a case is ERROR when an assertion cannot be evaluated (or
the execution cannot start), FAILED when one fails, SUCCESS, or SKIPPED when disabled; the suite
takes the first ERROR, else FAILED, else SUCCESS (SKIPPED when every case is)."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from lab.errors import LabError
from lab.kestra.engine.engine import Engine
from lab.kestra.testsuite.assertions import run_assertion
from lab.kestra.testsuite.model import UNIT_TEST, TestSuite, UnitTest

CASE_TIMEOUT = 30.0  # seconds an execution of one case may take


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def case_state(results: list[dict[str, Any]], errors: list[dict[str, Any]]) -> str:
    if errors:
        return "ERROR"
    return "FAILED" if any(not r["isSuccess"] for r in results) else "SUCCESS"


def suite_state(results: list[dict[str, Any]]) -> str:
    states = [r["state"] for r in results]
    if "ERROR" in states:
        return "ERROR"
    if "FAILED" in states:
        return "FAILED"
    return "SKIPPED" if all(s == "SKIPPED" for s in states) else "SUCCESS"


class SuiteRunner:
    """Runs test suites on one engine that holds the flows they test."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def run_suite(
        self, suite: TestSuite, case_ids: list[str] | None = None
    ) -> dict[str, Any]:
        start = _now()
        results = []
        if not suite.disabled:
            for case in suite.test_cases:
                if case_ids is None or case.id in case_ids:
                    results.append(await self.run_case(suite, case))
        return {
            "id": uuid.uuid4().hex,
            "testSuiteId": suite.id,
            "namespace": suite.namespace,
            "flowId": suite.flow_id,
            "state": "SKIPPED" if suite.disabled else suite_state(results),
            "startDate": start,
            "endDate": _now(),
            "results": results,
        }

    async def run_case(self, suite: TestSuite, case: UnitTest) -> dict[str, Any]:
        base = {"testId": case.id, "testType": UNIT_TEST, "executionId": None, "url": None}
        if case.disabled:
            return {
                **base,
                "state": "SKIPPED",
                "assertionResults": [],
                "errors": [],
                "fixtures": case.fixtures_raw,
            }
        engine = self.engine
        try:
            started = await engine.start(suite.namespace, suite.flow_id, fixtures=case.fixtures)
            done = await engine.wait(started.id, timeout=CASE_TIMEOUT)
        except LabError as exc:
            errors = [
                {
                    "message": f"The execution of {suite.namespace}.{suite.flow_id} could not start: {exc.what}",
                    "details": exc.fix,
                }
            ]
            return {
                **base,
                "state": "ERROR",
                "assertionResults": [],
                "errors": errors,
                "fixtures": case.fixtures_raw,
            }
        results: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for assertion in case.assertions:
            found, failed = run_assertion(
                assertion, lambda text, eid=done.id: engine.render_in(eid, text)
            )
            results += found
            errors += failed
        expected = case.expected_state or ("SUCCESS" if engine.version.startswith("2") else None)
        if expected is not None:
            ended = done.state.current
            results.append(
                {
                    "operator": "expectedState",
                    "expected": expected,
                    "actual": ended,
                    "isSuccess": ended == expected,
                    "taskId": None,
                    "description": None,
                    "errorMessage": None
                    if ended == expected
                    else f"expected the execution to end in {expected} but it ended in {ended}",
                }
            )
        url = f"{engine.base_url.rstrip('/')}/ui/main/executions/{suite.namespace}/{suite.flow_id}/{done.id}"
        return {
            **base,
            "executionId": done.id,
            "url": url,
            "state": case_state(results, errors),
            "assertionResults": results,
            "errors": errors,
            "fixtures": case.fixtures_raw,
        }
