"""A unit test's assertions judged as Kestra's Assertion.run does: `value` and every operator
rendered against the finished execution, one AssertionResult per operator (in Kestra's order),
with Kestra's error wording; a value that cannot be rendered is an AssertionRunError."""

from __future__ import annotations

import json
from typing import Any

from lab.kestra.engine import render as R
from lab.kestra.testsuite.model import Assertion

Render = Any  # Callable[[Any], str]: one value rendered against the execution


def _text(value: Any) -> str:
    """A value as Kestra's Property<Object> holds it before rendering: strings as written, other
    values as their JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _displayable(assertion: Assertion) -> str:
    return json.dumps(assertion.raw, separators=(",", ":"), ensure_ascii=False, default=str)


def _double(value: Any) -> float:
    try:
        return float(str(value))
    except ValueError:
        raise ValueError("Could not parse value as a Double") from None


def _list(rendered: str) -> list[str]:
    try:
        data = json.loads(rendered)
    except ValueError:
        return [rendered]
    return (
        [item if isinstance(item, str) else _text(item) for item in data]
        if isinstance(data, list)
        else [rendered]
    )


def run_assertion(
    assertion: Assertion, render: Render
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(assertionResults, errors) of one assertion, as Kestra's JSON shapes."""
    results: list[dict[str, Any]] = []
    query = _text(assertion.value)
    try:
        rendered = render(query)
        actual: Any = None if rendered == "" else rendered
        user_error = (
            render(assertion.error_message) if assertion.error_message is not None else None
        )
        description = render(assertion.description) if assertion.description is not None else None

        def result(operator: str, expected: Any, ok: bool, default_error: str) -> None:
            results.append(
                {
                    "operator": operator,
                    "expected": expected,
                    "actual": actual,
                    "isSuccess": ok,
                    "taskId": assertion.task_id,
                    "description": description,
                    "errorMessage": None if ok else (user_error or default_error),
                }
            )

        ops = assertion.operators
        for operator in ("isNull", "isNotNull"):
            if operator in ops:
                wanted = render(_text(ops[operator])).lower() == "true"
                expect_null = wanted if operator == "isNull" else not wanted
                ok = (actual is None) == expect_null
                error = (
                    f"expected '{query}' to be null but was '{actual}'"
                    if expect_null
                    else f"expected '{query}' to be not null but was 'null'"
                )
                result(operator, operator, ok, error)
        for operator, verb in (("endsWith", "end with"), ("startsWith", "start with")):
            if operator in ops:
                expected = render(_text(ops[operator]))
                text = "" if actual is None else str(actual)
                ok = (
                    text.endswith(expected) if operator == "endsWith" else text.startswith(expected)
                )
                result(
                    operator,
                    expected,
                    ok,
                    f"expected '{query}' to {verb} '{expected}' but was '{actual}'",
                )
        if "equalTo" in ops:
            expected = render(_text(ops["equalTo"]))
            result(
                "equalTo",
                expected,
                expected == actual,
                f"expected '{query}' to equal '{expected}' but was '{actual}'",
            )
        if "contains" in ops:
            expected = render(_text(ops["contains"]))
            result(
                "contains",
                expected,
                expected in ("" if actual is None else str(actual)),
                f"expected '{query}' to contain '{expected}' but was '{actual}'",
            )
        if "notEqualTo" in ops:
            expected = render(_text(ops["notEqualTo"]))
            result(
                "notEqualTo",
                expected,
                expected != actual,
                f"expected '{query}' to not equal '{expected}'",
            )
        for operator, words, compare in (
            ("greaterThan", "be greater than", lambda a, e: a > e),
            ("greaterThanOrEqualTo", "be greater than or equal to", lambda a, e: a >= e),
            ("lessThan", "be less than", lambda a, e: a < e),
            ("lessThanOrEqualTo", "be less than or equal to", lambda a, e: a <= e),
        ):
            if operator in ops:
                expected_number = _double(render(_text(ops[operator])))
                ok = compare(_double(actual), expected_number)
                result(
                    operator,
                    expected_number,
                    ok,
                    f"expected '{query}' to {words} '{expected_number}' but was '{actual}'",
                )
        for operator, words in (("in", "contain"), ("notIn", "not contain")):
            if operator in ops:
                expected_list = _list(render(_text(ops[operator])))
                found = actual in expected_list
                ok = found if operator == "in" else not found
                shown = "[" + ", ".join(expected_list) + "]"
                result(
                    operator,
                    expected_list,
                    ok,
                    f"expected '{query}' to {words} '{shown}' but was '{actual}'",
                )
        if not results:
            return [], [{"message": "no assertions found", "details": None}]
    except (R.expr().ExpressionError, ValueError) as exc:
        return results, [
            {
                "message": f"Could not evaluate assertion: `{_displayable(assertion)}`",
                "details": f"error was: {getattr(exc, 'what', None) or exc}",
            }
        ]
    return results, []
