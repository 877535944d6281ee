"""Extra expression cases read from Kestra's tests (extra_cases.yaml), checked with the conformance matchers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from test_conformance import adapter_render, check_expression, typed_context

from lab.kestra.expr import render

CASES = yaml.safe_load((Path(__file__).parent / "extra_cases.yaml").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_extra_case(case: dict) -> None:
    result = error = None
    context = typed_context(case)
    if case["id"] == "jq-date-is-iso-offset":  # the date is a ZonedDateTime in the Java test
        context["vars"]["second"]["date"] = dt.datetime.fromisoformat(
            context["vars"]["second"]["date"]
        )
    try:
        result = adapter_render(case["expr"], context, case.get("mode", "string"), {}, "1.3")
    except Exception as exc:  # noqa: BLE001 - the matcher decides
        error = exc
    problems = check_expression(case["expect"], result, error)
    assert not problems, f"{case['id']}: {'; '.join(problems)} [{case['source']}]"


def test_jq_date_through_jackson_keeps_seconds_while_tostring_drops_them():
    date = dt.datetime.fromisoformat("2013-09-08T16:19:00+02:00")
    assert (
        render("{{ d }} {{ [d] }}", {"d": date})
        == '2013-09-08T16:19+02:00 ["2013-09-08T16:19:00+02:00"]'
    )
