"""Kestra's Pebble operators, class by class (core/src/main/java/io/kestra/core/runners/pebble/
expression/): InExpression, NotInExpression, the comparison overrides and the coalescing operators."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from lab.kestra.expr import ExpressionError, render, render_typed


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ 1 isIn ['1', '2'] }}", True),  # InExpression compares the items' text
        ("{{ '2' in [1, 2] }}", True),
        ("{{ 'value' isIn {'key': 'value'} }}", True),  # a map matches on a value...
        ("{{ 'key' isIn {'key': 'value'} }}", True),  # ...or on a key
        ("{{ 'a' isIn 'abc' }}", False),  # a string is no container for InExpression
        ("{{ null isIn [null] }}", False),  # a null side is false
        ("{{ 'baz' not in ['foo', 'bar'] }}", True),  # NotInExpression negates it
        ("{{ 'foo' not in ['foo', 'bar'] }}", False),
    ],
)
def test_in_expression(template, expected):
    assert render_typed(template, {}) is expected


def test_greater_than_compares_strings_lexicographically():
    # GreaterThanExpression: String.compareTo when both sides are strings
    variables = {"left": "b", "right": "a"}
    assert render("{{ left > right }} {{ right > left }} {{ left > left }}", variables) == (
        "true false false"
    )


def test_comparisons_of_numbers_widen():
    # OperatorUtils.gt/lt: an integer and a decimal compare by value
    assert render("{{ 5 > 3.5 }} {{ 2 <= 2.0 }}", {}) == "true true"


def test_comparing_a_string_with_a_number_fails():
    # GreaterThanExpression: "Could not perform greater than comparison"
    with pytest.raises(ExpressionError):
        render("{{ 'a' > 1 }}", {})


def test_null_coalescing_takes_the_right_side_for_null_and_undefined():
    # NullCoalescingExpression: `??` covers an undefined or null left side
    assert render("{{ missing ?? 'x' }} {{ n ?? 'y' }}", {"n": None}) == "x y"


def test_undefined_coalescing_keeps_a_defined_null():
    # UndefinedCoalescingExpression: `???` covers an undefined left side only
    assert render_typed("{{ n ??? 'y' }}", {"n": None}) is None
    assert render("{{ missing ??? 'y' }}", {}) == "y"


def test_concatenation_uses_java_to_string_and_leaves_null_out():
    # ConcatenateExpression: left.toString() + right.toString(), a null side skipped
    assert (
        render("{{ 'x' ~ {'a': null, 'b': [1, 2]} ~ null ~ 1.0 }}", {}) == "x{a=null, b=[1, 2]}1.0"
    )


def test_plus_with_a_string_concatenates_and_writes_null():
    # AddExpression -> OperatorUtils: a String side concatenates with String.valueOf
    assert render("{{ 'n=' + null }} {{ 'l=' + [1] }}", {}) == "n=null l=[1]"


def test_a_zoned_date_prints_its_region_like_zoned_date_time_to_string():
    # JsonWriter writes a ZonedDateTime with toString: offset, then [region]
    value = dt.datetime(2013, 9, 8, 16, 19, tzinfo=ZoneInfo("Europe/Paris"))
    assert render("{{ d }}", {"d": value}) == "2013-09-08T16:19+02:00[Europe/Paris]"
