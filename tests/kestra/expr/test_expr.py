"""Our own tests of the expression layer: errors a person can act on, caching, the engine hooks."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from lab.errors import LabError
from lab.kestra.expr import (
    SUPPORTED_FILTERS,
    SUPPORTED_FUNCTIONS,
    SUPPORTED_TESTS,
    ExpressionError,
    Functions,
    compile_template,
    referenced_names,
    render,
    render_property,
    render_typed,
    unsupported_names,
)

WEBHOOK = {
    "trigger": {
        "body": {"entry": [{"changes": [{"value": {"messages": [{"text": {"body": "oi"}}]}}]}]}
    }
}


# ----------------------------------------------------------------------------- errors
def test_undefined_variable_names_variable_and_expression():
    with pytest.raises(ExpressionError) as err:
        render("Hello {{ user.name }}", {"user": {"id": 1}})
    text = str(err.value)
    assert "'name' is not defined in user" in text and "keys: id" in text
    assert "Hello {{ user.name }}" in text and "?? " in text
    assert isinstance(err.value, LabError) and err.value.expression == "Hello {{ user.name }}"


def test_missing_key_names_the_step_it_failed_at_even_when_a_map_repeats_on_the_path():
    shared = {"x": {"k": 1}}
    shared["self"] = shared
    with pytest.raises(ExpressionError, match=r"'y' is not defined in a.self.x \(keys: k\)"):
        render("{{ a.self.x.y }}", {"a": shared})
    with pytest.raises(
        ExpressionError,
        match=r"'messages' is not defined in trigger.body.entry\[0\].changes\[0\].value",
    ):
        render(
            "{{ trigger.body.entry[0].changes[0].value.messages[0].id }}",
            {"trigger": {"body": {"entry": [{"changes": [{"value": {"statuses": []}}]}]}}},
        )
    with pytest.raises(ExpressionError, match=r"'z' is not defined in a.self \(keys: x, self\)"):
        render("{{ a.self.z }}", {"a": shared})
    assert render("{{ a.self.x.y ?? 'none' }}", {"a": shared}) == "none"


def test_undefined_deep_path_says_where_it_stopped():
    with pytest.raises(
        ExpressionError, match=r"index 3 is out of range of trigger.body.entry\[0\].changes"
    ):
        render("{{ trigger.body.entry[0].changes[3].value }}", WEBHOOK)


def test_attribute_of_null_is_an_error_not_a_crash():
    with pytest.raises(ExpressionError, match="it is null"):
        render("{{ a.b.c }}", {"a": {"b": None}})
    assert render("{{ a.b.c ?? 'x' }}", {"a": {"b": None}}) == "x"


@pytest.mark.parametrize(
    "template, fragment",
    [
        ("{{ 1 + }}", "syntax error"),
        ("{{ a", "missing '}}'"),
        ("{% if x %}no end", "missing '{% endif %}'"),
        ("{% while x %}{% endwhile %}", "unsupported tag"),
        ("{{ x | nosuchfilter }}", "unknown filter 'nosuchfilter'"),
        ("{{ x is nosuchtest }}", "unknown test"),
    ],
)
def test_compile_errors_are_expression_errors(template, fragment):
    with pytest.raises(ExpressionError) as err:
        render(template, {"x": 1})
    assert fragment in str(err.value) and template in str(err.value)


def test_unknown_function_and_failing_filter():
    with pytest.raises(ExpressionError, match=r"unknown function 'nope\(\)'"):
        render("{{ nope() }}", {})
    with pytest.raises(ExpressionError, match="filter 'base64decode' failed"):
        render("{{ 'not base64!' | base64decode }}", {})


def test_coalescing_only_forgives_the_left_side():
    assert render("{{ missing ?? 'd' }}", {}) == "d"
    assert render("{{ missing ??? 'd' }}", {}) == "d"
    assert render("{{ n ??? 'd' }}", {"n": None}) == ""
    with pytest.raises(ExpressionError, match="variable 'missing2' is not defined"):
        render("{{ missing ?? missing2 }}", {})


# ----------------------------------------------------------------------------- modes
def test_typed_and_property_modes():
    assert render_typed("{{ n }}", {"n": 3}) == 3
    assert render_typed("{{ m }}", {"m": {"a": [1]}}) == {"a": [1]}
    assert render_typed("n={{ n }}", {"n": 3}) == "n=3"
    prop = {
        "uri": "http://x/{{ id }}",
        "n": "{{ n }}",
        "none": "{{ nothing }}",
        "keep": 5,
        "list": ["{{ id }}"],
    }
    assert render_property(prop, {"id": "a", "n": 3, "nothing": None}) == {
        "uri": "http://x/a",
        "n": "3",
        "none": None,
        "keep": 5,
        "list": ["a"],
    }


def test_string_mode_renders_json_and_java_values():
    got = render(
        "{{ m }} {{ l }} {{ b }} {{ f }} {{ n }}",
        {"m": {"a": "é"}, "l": [1, 2.5], "b": False, "f": 3.0, "n": None},
    )
    assert got == '{"a":"é"} [1,2.5] false 3.0 '


def test_set_does_not_touch_the_callers_variables():
    variables = {"a": 1}
    assert render("{% set a = a + 1 %}{{ a }}", variables) == "2"
    assert variables == {"a": 1}


def test_whitespace_control_loop_and_macro():
    assert render("a  {{- 'b' -}}  c", {}) == "abc"
    tpl = "{% for x in xs %}{{ loop.index }}:{{ x }}{% if not loop.last %},{% endif %}{% endfor %}"
    assert render(tpl, {"xs": ["p", "q"]}) == "0:p,1:q"
    assert (
        render("{% for k, v in m %}{{ k }}={{ v }};{% endfor %}", {"m": {"a": 1, "b": 2}})
        == "a=1;b=2;"
    )
    assert render("{% macro hi(n) %}hi {{ n }}{% endmacro %}{{ hi('x') }}", {}) == "hi x"


def test_ternary_is_lazy_and_operators():
    assert render("{{ ok ? 'yes' : undefined_thing }}", {"ok": True}) == "yes"
    assert render("{{ 7 / 2 }} {{ 7 % 3 }} {{ 1..3 }} {{ 'a' ~ 1 }}", {}) == "3 1 [1,2,3] a1"
    assert render("{{ 'b' in_list }}".replace(" in_list", " isIn ['a','b']"), {}) == "true"


# ----------------------------------------------------------------------------- caching
def test_templates_are_compiled_once():
    template = "{{ trigger.body.entry[0].changes[0].value.messages[0].text.body }}"
    assert compile_template(template) is compile_template(template)
    assert render(template, WEBHOOK) == "oi"


def test_plain_strings_are_returned_as_is():
    assert render("no expression {here}", {}) == "no expression {here}"
    assert compile_template("plain").plain


# ----------------------------------------------------------------------------- the engine's hooks
def test_kv_hook_with_parent_namespaces_and_errors():
    store = {("company", "token"): "t0", ("company.team", "x"): 1}

    def kv_get(ns, key):
        return store[(ns, key)]

    fx = Functions(namespace="company.team.agent", kv_get=kv_get)
    assert render("{{ kv('token') }}", {}, fx) == "t0"
    assert render("{{ kv('x', namespace='company.team') }}", {}, fx) == "1"
    with pytest.raises(
        ExpressionError, match="The key 'token' does not exist in the namespace 'company.team'"
    ):
        render("{{ kv('token', namespace='company.team') }}", {}, fx)
    assert render("{{ kv('nope', errorOnMissing=false) }}", {}, fx) == ""


def test_kv_full_callback_replaces_lookup():
    calls = []
    fx = Functions(kv=lambda ns, key, err: calls.append((ns, key, err)) or "v")
    assert render("{{ kv('k', errorOnMissing=false) }}", {}, fx) == "v"
    assert calls == [(None, "k", False)]


def test_secret_from_env_base64_and_missing():
    fx = Functions(env={"SECRET_WA_TOKEN": base64.b64encode(b"s3cr3t").decode()})
    assert render("{{ secret('wa_token') }}", {}, fx) == "s3cr3t"
    with pytest.raises(ExpressionError, match="Cannot find secret for key 'OTHER'") as err:
        render("{{ secret('OTHER') }}", {}, fx)
    assert "SECRET_OTHER" in str(err.value)


def test_read_and_now_hooks():
    fixed = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    fx = Functions(read=lambda path: f"content of {path}", now=lambda: fixed)
    assert render("{{ read('prompts/system.md') }}", {}, fx) == "content of prompts/system.md"
    assert render("{{ now() }}", {}, fx) == "2026-01-02T03:04:05.000000Z"
    assert render("{{ now() | dateAdd(1, 'DAYS') | date('yyyy-MM-dd') }}", {}, fx) == "2026-01-03"
    with pytest.raises(ExpressionError, match="no namespace files"):
        render("{{ read('x') }}", {})


def test_version_2_removes_json():
    assert render("{{ {'a': 1} | json }}", {}) == '{"a":1}'
    with pytest.raises(ExpressionError, match="removed in Kestra 2.0"):
        render("{{ {'a': 1} | json }}", {}, Functions(version="2.0"))


# ----------------------------------------------------------------------------- validation support
def test_referenced_names_and_unsupported():
    tpl = "{% macro m() %}{% endmacro %}{{ m() }}{{ x | upper | fileSize }}{{ kv('a') }}{% if y is defined %}{% endif %}"
    assert referenced_names(tpl) == {"upper", "fileSize", "kv", "defined"}
    assert unsupported_names(tpl) == {"fileSize"}
    assert {"jq", "toJson", "date", "default"} <= SUPPORTED_FILTERS
    assert {"kv", "secret", "read", "render", "now", "range"} <= SUPPORTED_FUNCTIONS
    assert {"defined", "null", "empty", "json"} <= SUPPORTED_TESTS


# ----------------------------------------------------------------------------- Pebble operator details
def test_pebble_operator_semantics():
    assert render("{{ 'n=' + 1 }}", {}) == "n=1"  # `+` concatenates when a side is a string
    assert render("{{ [1, 2, 3] - 2 }}", {}) == "[1,3]"
    assert render("{{ n > 1 }} {{ n < 1 }}", {"n": None}) == "false false"  # null compares as false
    assert render("{{ 1 == 1.0 }} {{ true == 1 }}", {}) == "true false"
    assert render("{{ '  ' | default('blank') }} {{ '  ' is empty }}", {}) == "blank true"
    with pytest.raises(ExpressionError, match="division by zero"):
        render("{{ 1 / 0 }}", {})


def test_string_interpolation():
    assert render('{{ "Hi #{user.name | upper}!" }}', {"user": {"name": "ana"}}) == "Hi ANA!"
    assert (
        render("{{ 'no #{interpolation} in single quotes' }}", {})
        == "no #{interpolation} in single quotes"
    )


def test_error_logs_hook():
    logs = [{"taskId": "call", "level": "ERROR", "message": "boom"}]
    fx = Functions(error_logs=lambda: logs)
    assert (
        render("{% for l in errorLogs() %}{{ l.taskId }}: {{ l.message }}{% endfor %}", {}, fx)
        == "call: boom"
    )
    with pytest.raises(ExpressionError, match="errorLogs"):
        render("{{ errorLogs() }}", {})


def test_runaway_templates_fail_cleanly():
    for template, fragment in [
        ("{{ range(0, 1000000000) }}", "more than"),
        ("{{ 0..100000000 }}", "more than"),
        ("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}", "nests too deeply"),
    ]:
        with pytest.raises(ExpressionError, match=fragment):
            render(template, {})


def test_set_in_a_loop_updates_the_outer_variable_like_pebble():
    tpl = "{% set total = 0 %}{% for x in xs %}{% set total = total + x %}{% set last = x %}{% endfor %}{{ total }}"
    assert render(tpl, {"xs": [1, 2, 3]}) == "6"
    with pytest.raises(ExpressionError, match="'last' is not defined"):
        render(
            tpl + "{{ last }}", {"xs": [1]}
        )  # a name first set inside the loop stays in the loop
    nested = "{% set n = 0 %}{% for a in xs %}{% for b in xs %}{% set n = n + 1 %}{% endfor %}{% endfor %}{{ n }}"
    assert render(nested, {"xs": [1, 2]}) == "4"


def test_fast_paths_keep_pebble_lookup_rules():
    variables = {"s": "abc", "d": {0: "int key", "1": "str key"}, "l": [10, 20], "n": None}
    assert (
        render("{{ s[0] is defined }} {{ d[0] }} {{ d[1] }} {{ l.1 }} {{ l[1] }}", variables)
        == "false int key str key 20 20"
    )
    with pytest.raises(ExpressionError, match="cannot read 'x' of n: it is null"):
        render("{{ n.x }}", variables)
    with pytest.raises(
        ExpressionError, match=r"index 5 is out of range of l \(a list of 2 items\)"
    ):
        render("{{ l[5] }}", variables)


def test_named_arguments_use_pebble_names():
    cases = {
        "{{ 'a' | escapeChar(type='single') }}": "a",
        "{{ missing | default(default='d') }}": "d",
        "{{ [1] | merge(items=[2]) }}": "[1,2]",
        "{{ 'ab' | replace(replace_pairs={'a': 'b'}) }}": "bb",
        "{{ fromJson(json='[1]') }}": "[1]",
        "{{ render(toRender='{{ x }}') }}": "1",
        "{{ range(start=0, end=4, increment=2) }}": "[0,2,4]",
        "{{ nanoId(length=5) | length }}": "5",
        "{{ yaml(yaml='a: 1').a }}": "1",
        "{{ 'x,y' | split(delimiter=',') | join(separator='-') }}": "x-y",
        "{{ 'abcdefgh' | abbreviate(length=6) }}": "abc...",
        "{{ [1,2,3] | slice(fromIndex=1, toIndex=2) }}": "[2]",
    }
    for template, expected in cases.items():
        assert render(template, {"x": 1}) == expected, template
