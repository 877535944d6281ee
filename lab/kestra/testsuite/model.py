"""A TestSuite file as Kestra reads it: `id, namespace, flowId, description, disabled, testCases`,
each case `id, type: io.kestra.core.tests.flow.UnitTest, disabled, description, fixtures,
assertions, expectedState` (2.0). Errors name the file, the line and what is expected."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lab import yamlio
from lab.errors import ConfigError
from lab.kestra.engine.fixtures import FixtureError, Fixtures, parse_fixtures
from lab.kestra.flow_yaml import load_flow

UNIT_TEST = "io.kestra.core.tests.flow.UnitTest"
OPERATORS = (
    "isNull",
    "isNotNull",
    "endsWith",
    "startsWith",
    "equalTo",
    "contains",
    "notEqualTo",
    "greaterThan",
    "greaterThanOrEqualTo",
    "lessThan",
    "lessThanOrEqualTo",
    "in",
    "notIn",
)  # Kestra's evaluation order
ASSERTION_KEYS = {"value", "taskId", "errorMessage", "description", *OPERATORS}
SUITE_KEYS = {
    "id",
    "namespace",
    "flowId",
    "description",
    "disabled",
    "testCases",
    "tenantId",
    "deleted",
    "source",
}
CASE_KEYS = {"id", "type", "disabled", "description", "fixtures", "assertions", "expectedState"}
ID = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$")
STATES = ("SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "PAUSED", "SKIPPED")


@dataclass(frozen=True, slots=True)
class Assertion:
    """One assertion: `value` (an expression) and its operators, as written."""

    value: Any
    operators: dict[str, Any]
    task_id: str | None = None
    error_message: str | None = None
    description: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class UnitTest:
    id: str
    fixtures: Fixtures
    assertions: list[Assertion]
    disabled: bool = False
    description: str | None = None
    expected_state: str | None = None  # 2.0 (SUCCESS when not written); 1.3 has none
    line: int | None = None
    fixtures_raw: Any = None


@dataclass(slots=True)
class TestSuite:
    __test__ = False  # not a pytest class

    id: str
    namespace: str
    flow_id: str
    test_cases: list[UnitTest]
    path: Path
    disabled: bool = False
    description: str | None = None


def is_test_suite(text: str) -> bool:
    """Cheap test on a YAML file's text: a TestSuite has top-level `testCases:` and `flowId:`."""
    return (
        re.search(r"^testCases\s*:", text, re.M) is not None
        and re.search(r"^flowId\s*:", text, re.M) is not None
    )


def load_suite(path: Path) -> TestSuite:
    text = yamlio.read_text(path)
    return parse_suite(text, path)


def parse_suite(text: str, path: Path) -> TestSuite:
    where = str(path)
    try:
        data = load_flow(text)  # Kestra reads suites with the same YAML rules as flows
    except Exception as exc:  # noqa: BLE001 - any YAML error is the file's
        line, _col, problem = (
            yamlio.explain(exc) if hasattr(exc, "problem_mark") else (None, None, str(exc))
        )
        raise ConfigError(
            f"{where} is not a valid test suite: {problem}",
            where=f"{where}:{line}" if line else where,
            fix="fix the YAML at that line",
        ) from None

    def error(keys: list[Any], message: str, fix: str) -> ConfigError:
        line = yamlio.line_of(text, keys) if keys else 1
        return ConfigError(f"{where}: {message}", where=f"{where}:{line}", fix=fix)

    if not isinstance(data, dict):
        raise error(
            [],
            "a test suite is a mapping with id, namespace, flowId and testCases",
            "see Kestra's unit tests (id, namespace, flowId, testCases)",
        )
    for key in ("id", "namespace", "flowId"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise error(
                [key] if key in data else [],
                f"the suite needs `{key}`",
                "id, namespace and flowId are required",
            )
    unknown = sorted(set(data) - SUITE_KEYS)
    if unknown:
        raise error(
            [unknown[0]],
            f"unknown key `{unknown[0]}` (Kestra: Unrecognized field)",
            f"one of {', '.join(sorted(SUITE_KEYS))}",
        )
    cases_data = data.get("testCases")
    if not isinstance(cases_data, list) or not cases_data:
        raise error(
            ["testCases"],
            "`testCases` must be a non-empty list",
            "a list of `- id: ..., type: " f"{UNIT_TEST}, assertions: [...]`",
        )
    cases = [_case(error, i, raw) for i, raw in enumerate(cases_data)]
    lines = _case_lines(text)
    seen: set[str] = set()
    for i, case in enumerate(cases):
        if case.id in seen:
            raise error(
                ["testCases", i, "id"],
                f"test case id `{case.id}` is used twice",
                "give each case its own id",
            )
        seen.add(case.id)
        case.line = lines[i] if i < len(lines) else None
    return TestSuite(
        str(data["id"]),
        str(data["namespace"]),
        str(data["flowId"]),
        cases,
        path,
        bool(data.get("disabled", False)),
        data.get("description"),
    )


def _case_lines(text: str) -> list[int]:
    """The line each test case starts at (one pass over the document's nodes)."""
    root = yaml.compose(text, Loader=yamlio._Loader)
    cases = (
        next((v for k, v in root.value if getattr(k, "value", None) == "testCases"), None)
        if isinstance(root, yaml.MappingNode)
        else None
    )
    return (
        [item.start_mark.line + 1 for item in cases.value]
        if isinstance(cases, yaml.SequenceNode)
        else []
    )


def _case(error: Any, i: int, raw: Any) -> UnitTest:
    keys: list[Any] = ["testCases", i]
    if not isinstance(raw, dict):
        raise error(
            keys, "a test case must be a mapping", f"id, type: {UNIT_TEST}, fixtures, assertions"
        )
    unknown = sorted(set(raw) - CASE_KEYS)
    if unknown:
        raise error(
            [*keys, unknown[0]],
            f"unknown key `{unknown[0]}` in a test case",
            f"one of {', '.join(sorted(CASE_KEYS))}",
        )
    if not isinstance(raw.get("id"), str) or not ID.match(raw["id"]):
        raise error(
            [*keys, "id"] if "id" in raw else keys,
            "a test case needs an `id` (letters, digits, _ and -)",
            "e.g. `id: replies_with_llm_text`",
        )
    if raw.get("type") != UNIT_TEST:
        raise error(
            [*keys, "type"] if "type" in raw else keys,
            f"test case `{raw['id']}` must be of type {UNIT_TEST}",
            f"type: {UNIT_TEST}",
        )
    try:
        fixtures = parse_fixtures(raw.get("fixtures"), where=f"testCases[{i}].fixtures")
    except FixtureError as exc:
        raise error(
            [*keys, "fixtures"],
            str(exc),
            "tasks: [{id, value, state, outputs, description}], inputs, " "files, trigger",
        ) from None
    assertions_data = raw.get("assertions")
    if not isinstance(assertions_data, list):
        raise error(
            [*keys, "assertions"] if "assertions" in raw else keys,
            f"test case `{raw['id']}` needs `assertions` (a list)",
            '- value: "{{ outputs.t.x }}"\n  equalTo: ...',
        )
    assertions = []
    for j, item in enumerate(assertions_data):
        at = [*keys, "assertions", j]
        if not isinstance(item, dict) or "value" not in item:
            raise error(
                at,
                "an assertion needs a `value` and an operator",
                f"operators: {', '.join(OPERATORS)}",
            )
        extra = sorted(set(item) - ASSERTION_KEYS)
        if extra:
            raise error(
                [*at, extra[0]],
                f"unknown assertion key `{extra[0]}`",
                f"one of {', '.join(sorted(ASSERTION_KEYS))}",
            )
        assertions.append(
            Assertion(
                item["value"],
                {k: item[k] for k in OPERATORS if k in item},
                item.get("taskId"),
                item.get("errorMessage"),
                item.get("description"),
                item,
            )
        )
    expected = raw.get("expectedState")
    if expected is not None and str(expected).upper() not in STATES:
        raise error(
            [*keys, "expectedState"],
            f"expectedState {expected!r} is not an end state",
            ", ".join(STATES),
        )
    return UnitTest(
        raw["id"],
        fixtures,
        assertions,
        bool(raw.get("disabled", False)),
        raw.get("description"),
        None if expected is None else str(expected).upper(),
        fixtures_raw=raw.get("fixtures"),
    )
