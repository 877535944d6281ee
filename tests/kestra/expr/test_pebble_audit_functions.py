"""Kestra's Pebble functions and tests, class by class (core/src/main/java/io/kestra/core/runners/
pebble/functions/ and tests/): arguments, nulls, types and the wording of errors."""

from __future__ import annotations

import base64
import re

import pytest

from lab.kestra.expr import ExpressionError, Functions, render, render_typed

V13, V20 = Functions(version="1.3"), Functions(version="2.0")


def fails(template: str, variables: dict | None = None, fx: Functions = V13) -> str:
    with pytest.raises(ExpressionError) as info:
        render(template, variables or {}, fx)
    return info.value.what


# -- FromJsonFunction, JsonFunction, YamlFunction -----------------------------------------------
def test_from_json_null_is_null():
    # FromJsonFunction: a null argument is null
    assert render_typed("{{ fromJson(null) }}", {}) is None


def test_from_json_reads_strings_only():
    # FromJsonFunction: "... expects an argument 'json' with type string."
    assert fails("{{ fromJson(1) }}") == (
        "The 'fromJson' function expects an argument 'json' with type string."
    )
    assert fails("{{ fromJson() }}") == "The 'fromJson' function expects an argument 'json'."


def test_from_json_invalid_text_says_invalid_json():
    # FromJsonFunction: "Invalid json: <parser message>"
    assert fails("{{ fromJson('{a') }}").startswith("Invalid json: ")


def test_json_function_is_the_1_3_alias_and_gone_in_2_0():
    # JsonFunction (deprecated alias of fromJson), removed in 2.0
    assert render("{{ json('[1]')[0] }}", {}, V13) == "1"
    assert "removed in Kestra 2.0" in fails("{{ json('[1]') }}", fx=V20)


def test_yaml_function_needs_a_string():
    # YamlFunction: the argument is required and must be a string (null is not)
    assert render_typed("{{ yaml('a: [1, 2]') }}", {}) == {"a": [1, 2]}
    assert (
        fails("{{ yaml(null) }}")
        == "The 'yaml' function expects an argument 'yaml' with type string."
    )
    assert fails("{{ yaml() }}") == "The 'yaml' function expects an argument 'yaml'."


# -- JsonTest ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": 1}, True),  # a Map is JSON
        ([1], True),  # a List is JSON
        ('{"a": 1}', True),
        ("[1] trailing", True),  # Jackson's readTree stops after the first value
        ("not json", False),
        (12, False),  # not a String
        (None, False),
    ],
)
def test_is_json(value, expected):
    assert render_typed("{{ v is json }}", {"v": value}) is expected


# -- RandomIntFunction, NanoIDFunction, IDFunction, KSUIDFunction, UUIDFunction -------------------
def test_random_int_upper_is_excluded_and_equal_bounds_give_the_bound():
    # RandomIntFunction: floor(random * (upper - lower)) + lower
    assert {render_typed("{{ randomInt(1, 3) }}", {}) for _ in range(60)} <= {1, 2}
    assert render_typed("{{ randomInt(4, 4) }}", {}) == 4


def test_random_int_errors_in_kestra_words():
    # RandomIntFunction: its messages say 'randomIn()'
    assert fails("{{ randomInt(1) }}") == "The 'randomIn()' function expects an argument upper"
    assert fails("{{ randomInt('1', 2) }}") == (
        "The 'randomIn()' function expects an argument lower of type Long."
    )
    assert fails("{{ randomInt(3, 1) }}") == "In 'randomIn()' upper is less than lower"


def test_nano_id_length_and_alphabet():
    # NanoIDFunction: length (an integer, at most 1000) and alphabet; others fall back to defaults
    assert re.fullmatch(r"[ab]{5}", render("{{ nanoId(length=5, alphabet='ab') }}", {}))
    assert len(render("{{ nanoId(length='5') }}", {})) == 21
    assert fails("{{ nanoId(1001) }}") == (
        "The 'nanoId()' function field 'length' must be lower than: 1000"
    )


def test_id_shapes():
    # IDFunction (22 base62), KSUIDFunction (27), UUIDFunction (a random UUID)
    assert re.fullmatch(r"[0-9A-Za-z]{22}", render("{{ id() }}", {}))
    assert re.fullmatch(r"[0-9A-Za-z]{27}", render("{{ ksuid() }}", {}))
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", render("{{ uuid() }}", {})
    )


# -- EnvFunction, LoopOutputsFunction, RenderFunction --------------------------------------------
def test_env_gives_the_default_for_a_missing_or_empty_value():
    # EnvFunction: null or "" -> default; no case folding of the name
    envs = {"envs": {"region": "eu", "empty": ""}}
    assert render(
        "{{ env('region') }}|{{ env('empty', 'x') }}|{{ env('REGION', 'd') }}", envs, V20
    ) == ("eu|x|d")
    assert fails("{{ env() }}", envs, V20) == "The 'env' function expects an argument 'name'."


def test_loop_outputs_takes_outputs_and_name():
    # LoopOutputsFunction: arguments `outputs` and `name`; null where an iteration lacks it
    loop = {"o": [{"outputs": {"v": 1}}, {"outputs": {}}, "x"]}
    assert render("{{ loopOutputs(o, name='v') }}", loop, V20) == "[1,null,null]"
    assert fails("{{ loopOutputs(o) }}", loop, V20) == (
        "The 'loopOutputs' function expects a non-null argument 'name'."
    )
    assert fails("{{ loopOutputs('x', 'v') }}", loop, V20) == (
        "The 'loopOutputs' function expects 'outputs' to be a list."
    )


def test_render_takes_template_and_a_boolean_recursive():
    # RenderFunction: argument `template`; "recursive" must be a boolean
    variables = {"a": "{{ b }}", "b": "{{ c }}", "c": "end"}
    assert render("{{ render(template=a) }}", variables) == "end"
    assert render("{{ render(a, recursive=false) }}", variables) == "{{ c }}"
    assert fails("{{ render(a, recursive='no') }}", variables) == (
        "The 'render' function expects an optional argument 'recursive' with type boolean."
    )


# -- the calendar functions (2.0) ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("template", "expected"),
    [
        # DayOfWeekFunction: the local date as written, no move to UTC
        ("{{ dayOfWeek('2025-01-06T00:30:00+02:00') }}", "MONDAY"),
        ("{{ isWeekend('2025-01-05') }}", True),  # IsWeekendFunction
        ("{{ hourOfDay('2025-01-06T14:30:00+02:00') }}", 14),  # HourOfDayFunction
        ("{{ dayOfMonth('2025-01-06') }}", 6),  # DayOfMonthFunction
        ("{{ monthOfYear('2025-01-06') }}", 1),  # MonthOfYearFunction
        # IsDayWeekInMonthFunction: FIRST..FOURTH, LAST
        ("{{ isDayWeekInMonth('2025-01-06', 'monday', 'FIRST') }}", True),
        ("{{ isDayWeekInMonth('2025-01-27', 'MONDAY', 'last') }}", True),
        ("{{ isDayWeekInMonth('2025-01-20', 'MONDAY', 'THIRD') }}", True),
        # IsLastWorkingDayFunction: Monday..Friday by default, or the given days
        ("{{ isLastWorkingDay('2025-05-30') }}", True),
        ("{{ isLastWorkingDay('2025-05-31', 'SATURDAY SUNDAY') }}", True),
        # IsDateAfterFunction / IsDateBeforeFunction: instants; naive and plain dates are UTC
        ("{{ isDateAfter('2025-01-01T01:00:00+02:00', '2024-12-31T22:30:00Z') }}", True),
        ("{{ isDateBefore('2025-01-01', '2025-01-01T00:00:01') }}", True),
        # IsDateBetweenFunction: strictly between, as instants
        (
            "{{ isDateBetween('2026-03-01T00:00:00Z', '2025-12-31T23:59:59Z', '2026-06-30T23:59:59Z') }}",
            True,
        ),
        (
            "{{ isDateBetween('2026-06-30T23:59:59Z', '2025-12-31T23:59:59Z', '2026-06-30T23:59:59Z') }}",
            False,
        ),
    ],
)
def test_calendar_functions(template, expected):
    assert render_typed(template, {}, V20) == expected


def test_2_0_functions_are_unknown_to_a_1_3_flow():
    # EnvFunction, LoopOutputsFunction and the calendar functions are registered from 2.0
    assert fails("{{ dayOfWeek('2025-01-06') }}", fx=V13) == (
        "function 'dayOfWeek()' arrived in Kestra 2.0; this flow runs as Kestra 1.3"
    )


def test_calendar_functions_errors_in_kestra_words():
    assert fails("{{ dayOfWeek(null) }}", fx=V20) == (
        "The 'dayOfWeek()' function expects a 'date' argument."
    )
    assert fails("{{ hourOfDay('2025-01-06') }}", fx=V20).startswith(
        "The 'hourOfDay()' function could not parse 'date'"
    )
    assert fails("{{ isDayWeekInMonth('2025-01-06', 'MONDAY', 'FIFTH') }}", fx=V20) == (
        "The 'isDayWeekInMonth()' function received an invalid 'position' value: 'FIFTH'. "
        "Expected one of: FIRST, SECOND, THIRD, FOURTH, LAST."
    )
    assert fails("{{ isLastWorkingDay('2025-05-30', 'FUNDAY') }}", fx=V20) == (
        "The 'isLastWorkingDay()' function received an invalid 'workingDays' value: 'FUNDAY'. "
        "Expected day names like MONDAY, TUESDAY, etc."
    )
    assert "with an offset" in fails(
        "{{ isDateBetween('2026-03-01T00:00:00', '2025-12-31T23:59:59Z', '2026-06-30T23:59:59Z') }}",
        fx=V20,
    )


# -- Kestra functions the engine leaves out -------------------------------------------------------
@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("{{ fileURI('a.txt') }}", "internal storage"),  # FileURIFunction
        ("{{ fileSize(outputs.t.uri) }}", "internal storage"),  # FileSizeFunction
        ("{{ encrypt('k', 'v') }}", "encryption key"),  # EncryptFunction
        ("{{ http('https://example.com') }}", "network"),  # HttpFunction
        ("{{ fromIon('{a:1}') }}", "Ion"),  # FromIonFunction
    ],
)
def test_a_kestra_function_the_engine_does_not_run_is_named(template, reason):
    message = fails(template, {"outputs": {"t": {"uri": "kestra:///x"}}})
    assert "exists in Kestra but the embedded engine does not run it" in message
    assert reason in message


# -- Pebble's own functions, filters and tests (CoreExtension, EscaperExtension) ----------------
def test_max_and_min_take_any_number_of_arguments():
    # MaxFunction / MinFunction: OperatorUtils comparisons; no argument gives null
    assert render("{{ max(1, 5, 3) }} {{ min(2, 0.5) }}", {}) == "5 0.5"
    assert render_typed("{{ max() }}", {}) is None


def test_escape_html_and_nl2br():
    # EscapeFilter (html strategy); Nl2brFilter
    assert render("{{ t | escape }}", {"t": '<a href="x">\'&'}) == (
        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;"
    )
    assert render("{{ t | nl2br }}", {"t": "a\nb"}) == "a<br />b"


def test_iterable_is_a_list_not_a_map():
    # IterableTest: Iterable or an array; a Map is neither
    assert render("{{ [1] is iterable }} {{ {'a': 1} is iterable }}", {}) == "true false"


def test_abs_refuses_null_and_text():
    # AbsFilter: its two messages
    assert render("{{ -2.5 | abs }}", {}) == "2.5"
    assert fails("{{ null | abs }}") == 'Can not pass null value to "abs" filter.'
    assert fails("{{ '1' | abs }}") == "The 'abs' filter does require as input a number."


def test_print_context_is_the_context_map():
    # printContext is registered to FetchContextFunction: the variables themselves
    assert render_typed("{{ printContext() }}", {"a": 1}) == {"a": 1}


def test_tasks_with_state_lists_tasks_and_foreach_values():
    # TasksWithStateFunction: state compared in upper case; a task's entry has no `value`
    tasks = {
        "tasks": {
            "a": {"state": "SUCCESS"},
            "each": {"x": {"state": "FAILED"}, "y": {"state": "SUCCESS"}},
            "b": {"state": "FAILED"},
        }
    }
    assert render_typed("{{ tasksWithState('success') }}", tasks) == [
        {"taskId": "a", "state": "SUCCESS"},
        {"taskId": "each", "state": "SUCCESS", "value": "y"},
    ]
    assert fails("{{ tasksWithState() }}", tasks) == (
        "The 'tasksWithState' function expects an argument 'state'."
    )


def test_secret_subkey_reads_one_key_of_a_json_secret():
    # SecretFunction: subkey of a JSON secret; its two messages
    env = {
        "SECRET_DB": base64.b64encode(b'{"user": "ana", "port": 5432}').decode(),
        "SECRET_PLAIN": base64.b64encode(b"text").decode(),
    }
    fx = Functions(env=env)
    assert render(
        "{{ secret('DB', subkey='user') }}:{{ secret('DB', subkey='port') }}", {}, fx
    ) == ("ana:5432")
    assert fails("{{ secret('DB', subkey='host') }}", fx=fx) == (
        "Cannot find secret sub-key 'host' in secret 'DB'."
    )
    assert fails("{{ secret('PLAIN', subkey='x') }}", fx=fx).startswith(
        "Failed to read secret sub-key 'x' from secret 'PLAIN'."
    )
