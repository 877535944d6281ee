"""Kestra's Pebble filters, class by class (core/src/main/java/io/kestra/core/runners/pebble/filters/):
one test per behaviour the Java source shows (arguments, nulls, types, containers, error wording)."""

from __future__ import annotations

import pytest

from lab.kestra.expr import ExpressionError, Functions, render, render_typed

V13, V20 = Functions(version="1.3"), Functions(version="2.0")


def fails(template: str, variables: dict | None = None, fx: Functions = V13) -> str:
    with pytest.raises(ExpressionError) as info:
        render(template, variables or {}, fx)
    return info.value.what


# -- ToJsonFilter, JsonFilter, JsonWriter: Kestra's JSON mapper leaves null map entries out -------
NULLS = {"m": {"a": None, "b": 1, "c": {"d": None}, "l": [1, None]}}


@pytest.mark.parametrize("fx", [V13, V20], ids=["1.3", "2.0"])
def test_tojson_drops_null_map_entries_at_any_depth_and_keeps_null_list_items(fx):
    # ToJsonFilter writes with JacksonMapper.ofJson(): NON_NULL content inclusion
    assert render("{{ m | toJson }}", NULLS, fx) == '{"b":1,"c":{},"l":[1,null]}'


@pytest.mark.parametrize("fx", [V13, V20], ids=["1.3", "2.0"])
def test_tojson_include_nulls_keeps_them(fx):
    # ToJsonFilter: argument includeNulls, the null-keeping mapper when it is exactly true
    expected = '{"a":null,"b":1,"c":{"d":null},"l":[1,null]}'
    assert render("{{ m | toJson(includeNulls=true) }}", NULLS, fx) == expected
    assert render("{{ m | toJson(true) }}", NULLS, fx) == expected


def test_tojson_include_nulls_other_than_true_counts_as_false():
    # ToJsonFilter: Boolean.TRUE.equals(args.get("includeNulls"))
    assert render("{{ m | toJson(includeNulls='true') }}", NULLS) == '{"b":1,"c":{},"l":[1,null]}'


def test_tojson_of_null_is_the_text_null():
    # ToJsonFilter: a null input is "null"
    assert render("{{ null | toJson }}", {}) == "null"


def test_printing_a_map_drops_null_entries_like_tojson():
    # JsonWriter writes maps and lists with the same JacksonMapper.ofJson()
    assert render("{{ m }}", NULLS) == '{"b":1,"c":{},"l":[1,null]}'


def test_typed_rendering_keeps_the_null_entries():
    # TypedObjectWriter hands the object itself to the task, not its JSON
    assert render_typed("{{ m }}", NULLS) == NULLS["m"]


def test_json_filter_drops_nulls_in_1_3_and_is_gone_in_2_0():
    # JsonFilter (1.x alias of toJson), removed in 2.0
    assert render("{{ m | json }}", NULLS, V13) == '{"b":1,"c":{},"l":[1,null]}'
    assert "removed in Kestra 2.0" in fails("{{ m | json }}", NULLS, V20)


def test_an_unknown_named_argument_is_named():
    # Pebble ArgumentsNode: a named argument the filter does not declare is refused
    assert fails("{{ [1] | chunk(size=1, step=2) }}") == (
        "The following named argument does not exist: step"
    )


# -- NumberFilter -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "java_class"),
    [
        ("12.3", "java.lang.Float"),  # NumberUtils.createNumber: <= 7 decimals -> Float
        ("1.123456789", "java.lang.Double"),  # more than 7 decimals -> Double
        ("2147483647", "java.lang.Integer"),
        ("9223372036854775807", "java.lang.Long"),
        ("92233720368547758070", "java.math.BigInteger"),
        ("12f", "java.lang.Float"),  # a type suffix
    ],
)
def test_number_picks_the_smallest_java_class(text, java_class):
    # NumberFilter without a type: NumberUtils.createNumber
    assert render("{{ t | number | className }}", {"t": text}) == java_class


def test_number_reads_hex_and_octal_like_integer_decode():
    # NumberFilter -> NumberUtils.createInteger -> Integer.decode
    assert render("{{ '0x1F' | number }} {{ '010' | number }}", {}) == "31 8"


def test_number_types_are_exact_upper_case_names():
    # NumberFilter: switch on "INT", "FLOAT", "LONG", "DOUBLE", "BIGDECIMAL", "BIGINTEGER"
    assert render("{{ '12' | number('DOUBLE') | className }}", {}) == "java.lang.Double"
    assert render("{{ '12' | number('double') | className }}", {}) == "java.lang.Integer"


def test_number_int_refuses_a_decimal():
    # NumberFilter "INT": NumberUtils.createInteger("12.5") throws
    assert fails("{{ '12.5' | number('INT') }}") == "'12.5' is not a valid number."


def test_number_applies_to_strings_only():
    # NumberFilter: "'number' filter can only be applied to String. Actual type was: ..."
    assert fails("{{ 12 | number }}") == (
        "'number' filter can only be applied to String. Actual type was: java.lang.Integer"
    )


def test_number_of_null_is_null():
    # NumberFilter: a null input is null
    assert render_typed("{{ null | number }}", {}) is None


# -- ChunkFilter, DistinctFilter, FlattenFilter, KeysFilter, ValuesFilter ------------------------
def test_chunk_cuts_a_list():
    # ChunkFilter: Lists.partition, the last chunk shorter
    assert render("{{ [1, 2, 3] | chunk(2) }}", {}) == "[[1,2],[3]]"


def test_chunk_errors_in_kestra_words():
    # ChunkFilter: size required, a List only, size a number
    assert fails("{{ [1] | chunk }}") == "'chunk' filter expects an argument 'size'."
    assert fails("{{ 'ab' | chunk(1) }}") == (
        "'chunk' filter can only be applied to List. Actual type was: java.lang.String"
    )
    assert fails("{{ [1] | chunk('2') }}") == (
        "'chunk' filter argument 'size' must be a number. Actual type was: java.lang.String"
    )


def test_distinct_of_null_is_the_text_null_and_of_a_map_an_error():
    # DistinctFilter: null -> "null"; anything but a list: "Input must be a list, but received : ..."
    assert render_typed("{{ null | distinct }}", {}) == "null"
    assert fails("{{ {'a': 1} | distinct }}") == (
        "Input must be a list, but received : java.util.LinkedHashMap"
    )


def test_flatten_one_level_and_lists_only():
    # FlattenFilter: one level; "The 'flatten' filter can only be applied to lists."
    assert render("{{ [[1, [2]], 3] | flatten }}", {}) == "[1,[2],3]"
    assert fails("{{ 3 | flatten }}") == "The 'flatten' filter can only be applied to lists."


def test_keys_of_a_list_are_its_indexes_and_of_a_number_an_error():
    # KeysFilter: List -> 0..n-1; Map -> its keys; else the Kestra message
    assert render("{{ ['a', 'b'] | keys }}", {}) == "[0,1]"
    assert fails("{{ 3 | keys }}") == (
        "'keys' filter can only be applied to List, Map, Array. Actual type was: java.lang.Integer"
    )


def test_values_applies_to_maps_only():
    # ValuesFilter: "'values' filter can only be applied to Map. Actual type was: ..."
    assert render("{{ {'a': 1, 'b': 2} | values }}", {}) == "[1,2]"
    assert fails("{{ [1] | values }}") == (
        "'values' filter can only be applied to Map. Actual type was: java.util.ArrayList"
    )


# -- ReplaceFilter, EscapeCharFilter ------------------------------------------------------------
def test_replace_goes_into_maps_and_lists():
    # ReplaceFilter: processMap / processList replace inside the values
    assert render("{{ {'a': 'x-y', 'b': ['y']} | replace({'y': 'z'}) }}", {}) == (
        '{"a":"x-z","b":["z"]}'
    )


def test_replace_with_regexp_uses_java_group_references():
    # ReplaceFilter: regexp=true -> RegexUtils.replaceAll ($1 groups)
    assert render("{{ 'a1b2' | replace({'(\\\\d)': '<$1>'}, regexp=true) }}", {}) == "a<1>b<2>"


def test_replace_needs_its_pairs():
    # ReplaceFilter: "The argument 'replace_pairs' is required."
    assert fails("{{ 'a' | replace }}") == "The argument 'replace_pairs' is required."


def test_escape_char_type_is_case_insensitive_and_reaches_into_lists():
    # EscapeCharFilter: Enums.getForNameIgnoreCase; processList
    assert render("{{ [\"it's\"] | escapeChar('SINGLE') }}", {}) == '["it\\\\\'s"]'


def test_escape_char_errors_in_kestra_words():
    # EscapeCharFilter: type required, one of single/double/shell
    assert fails("{{ 'a' | escapeChar }}") == "The 'escapeChar' filter expects an argument 'type'."
    assert fails("{{ 'a' | escapeChar('tab') }}") == (
        "The 'escapeChar' filter expects the value of 'type' to be either 'single', 'double', "
        "or 'shell'."
    )


# -- IndentFilter, NindentFilter (AbstractIndent) -----------------------------------------------
def test_indent_and_nindent_of_null_stay_null_and_empty_stays_empty():
    # AbstractIndent: null -> null, "" -> ""
    assert render_typed("{{ null | indent(2) }}", {}) is None
    assert render_typed("{{ '' | nindent(2) }}", {}) == ""


def test_indent_keeps_the_texts_line_separator():
    # AbstractIndent.getLineSeparator: CRLF, then LFCR, LF, CR
    assert render("{{ t | indent(2) }}", {"t": "a\r\nb"}) == "a\r\n  b"
    assert render("{{ t | nindent(1, '-') }}", {"t": "a\nb"}) == "\n-a\n-b"


def test_indent_amount_is_required_and_not_negative():
    # AbstractIndent: the two amount messages
    assert (
        fails("{{ 'a\nb' | indent }}")
        == "The 'indent' filter expects an integer as argument 'amount'."
    )
    assert fails("{{ 'a' | nindent(-1) }}") == (
        "The 'nindent' filter expects a positive integer >=0 as argument 'amount'."
    )


# -- Sha1Filter, Sha512Filter, Md5Filter (ShaBaseFilter), StartsWith/EndsWith, ClassName ---------
def test_hash_filters_need_a_string():
    # ShaBaseFilter: "Need a string to hash"; null -> null
    assert render("{{ 'a' | sha1 }}", {}) == "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8"
    assert fails("{{ 1 | md5 }}").startswith("Need a string to hash")
    assert render_typed("{{ null | sha512 }}", {}) is None


def test_starts_with_on_null_is_an_error():
    # StartsWithFilter: input.toString() on null throws in Kestra
    assert render("{{ 123 | startsWith('12') }} {{ 'ab' | endsWith('b') }}", {}) == "true true"
    assert "startsWith" in fails("{{ null | startsWith('a') }}")


def test_class_name_of_null_is_null():
    # ClassNameFilter: null -> null
    assert render_typed("{{ null | className }}", {}) is None


# -- Pebble's own filters and tests that Kestra loads (io.pebbletemplates.pebble.extension.core) ---
def test_length_of_anything_but_text_or_a_container_is_zero():
    # LengthFilter: null and other types -> 0
    assert render("{{ 12345 | length }} {{ null | length }} {{ {'a': 1} | length }}", {}) == "0 0 1"


def test_split_takes_a_regular_expression():
    # SplitFilter: String.split(delimiter) -- '.' matches every character, trailing empties dropped
    assert render("{{ 'a.b' | split('.') }} {{ 'a.b' | split('\\\\.') }}", {}) == '[] ["a","b"]'
    assert render("{{ 'a,b,,' | split(',') }} {{ 'a,b,c' | split(',', 2) }}", {}) == (
        '["a","b"] ["a","b,c"]'
    )
    assert fails("{{ 'a' | split }}") == "missing delimiter parameter in split filter"


def test_abbreviate_cuts_a_text_as_long_as_the_length():
    # AbbreviateFilter: only a text shorter than the length is kept whole
    assert render("{{ 'hello' | abbreviate(5) }} {{ 'hell' | abbreviate(5) }}", {}) == "he... hell"
    assert render("{{ 'hello' | abbreviate(2) }} {{ 'abc' | abbreviate(1) }}", {}) == "he abc"
    assert fails("{{ 'hello' | abbreviate(-1) }}") == (
        "Invalid argument to abbreviate filter; must be greater than zero"
    )


def test_slice_bounds_in_pebble_words():
    # SliceFilter: toIndex <= size and fromIndex < toIndex; strings and lists only
    assert render("{{ 'hello' | slice(1, 3) }} {{ [1, 2, 3] | slice(1) }}", {}) == "el [2,3]"
    assert fails("{{ [1, 2] | slice(0, 3) }}") == "toIndex must be smaller than input size: 2"
    assert fails("{{ [1, 2] | slice(1, 1) }}") == "toIndex must be greater than fromIndex"
    assert fails("{{ {'a': 1} | slice(0) }}") == (
        "Slice filter can only be applied to String, List and array inputs. Actual type was: "
        "java.util.LinkedHashMap"
    )


def test_join_writes_null_items_and_refuses_a_map():
    # JoinFilter: StringBuilder.append(null) is "null"; a Map is no Collection
    assert render("{{ [1, null, 'a'] | join('-') }} {{ ['a', 'b'] | join }}", {}) == "1-null-a ab"
    assert fails("{{ {'a': 1} | join }}") == (
        "The 'join' filter expects that the input is either a collection or an array."
    )


def test_merge_follows_the_left_side():
    # MergeFilter: null sides give the other; a map takes a list's items as keys; a list refuses text
    assert render("{{ null | merge([1]) }} {{ [1] | merge(null) }}", {}) == "[1] [1]"
    assert render("{{ {'a': 1} | merge(['b']) }}", {}) == '{"a":1,"b":"b"}'
    assert fails("{{ [1] | merge('x') }}") == (
        "Currently, only Maps and Lists can be merged with a List. Arg2: java.lang.String"
    )


def test_first_and_last_of_a_string_are_characters_and_a_map_is_refused():
    # FirstFilter / LastFilter: String -> a character; a Map is not a Collection
    assert render("{{ 'abc' | first }}{{ 'abc' | last }} {{ [] | first }}", {}) == "ac "
    assert "map" in fails("{{ {'a': 1} | first }}")


def test_numberformat_default_and_non_numbers():
    # NumberFormatFilter: no format -> the locale's grouping, at most 3 decimals; numbers only
    assert render("{{ 1234567.8915 | numberformat }} {{ 3.14159 | numberformat('#.##') }}", {}) == (
        "1,234,567.892 3.14"
    )
    assert fails("{{ '12' | numberformat }}") == (
        "The input for the 'NumberFormat' filter has to be a number."
    )


def test_even_and_odd_refuse_null_and_decimals():
    # EvenTest / OddTest: null is an error; the value is cast to Integer or Long
    assert render("{{ 4 is even }} {{ 3 is odd }}", {}) == "true true"
    assert fails("{{ null is even }}") == 'Can not pass null value to "even" test.'
    assert "integer" in fails("{{ 2.0 is odd }}")


def test_title_capitalizes_after_whitespace_only():
    # TitleFilter: Character.toTitleCase after whitespace, the rest untouched
    assert render("{{ 'hello wORLD-x' | title }}", {}) == "Hello WORLD-x"


# -- RegexMatchFilter, RegexReplaceFilter, RegexExtractFilter (2.0) ------------------------------
def test_regex_filters():
    # find anywhere; replaceAll with $1; the first match or a group, null when none
    assert render(
        "{{ 'hello world' | regexMatch('o w') }} {{ null | regexMatch('x') }}", {}, V20
    ) == ("true false")
    assert render("{{ 'a1b22' | regexReplace('(\\\\d+)', '<$1>') }}", {}, V20) == "a<1>b<22>"
    assert (
        render("{{ 'order-12345-done' | regexExtract('order-(\\\\d+)', group=1) }}", {}, V20)
        == "12345"
    )
    assert render_typed("{{ 'abc' | regexExtract('\\\\d') }}", {}, V20) is None


def test_regex_filters_require_their_arguments():
    # "The argument 'regex' is required." / 'replacement'
    assert fails("{{ 'a' | regexMatch }}", fx=V20) == "The argument 'regex' is required."
    assert (
        fails("{{ 'a' | regexReplace('a') }}", fx=V20) == "The argument 'replacement' is required."
    )


def test_regex_filters_arrived_in_2_0():
    # Extension (2.0) registers them; a flow run as 1.3 does not have them
    assert "arrived in Kestra 2.0" in fails("{{ 'a' | regexMatch('a') }}", fx=V13)


# -- JqFilter ------------------------------------------------------------------------------------
def test_jq_of_null_is_null_and_the_expression_is_required():
    # JqFilter: null -> null; "The 'jq' filter expects an argument 'expression'."
    assert render_typed("{{ null | jq('.') }}", {}) is None
    assert fails("{{ {'a': 1} | jq }}") == "The 'jq' filter expects an argument 'expression'."


def test_jq_reads_a_string_as_json_text_and_refuses_other_text():
    # JqFilter: readTree(String); text that is not JSON cannot be parsed
    assert render("{{ '{\"a\": [1, 2]}' | jq('.a[1]') | first }}", {}) == "2"
    assert "Unable to parse jq value" in fails("{{ 'hello' | jq('.') }}")


def test_jq_input_goes_through_kestras_json_mapper_and_results_keep_their_nulls():
    # JqFilter: valueToTree(input) leaves null map entries out; a result node's null fields stay
    assert render("{{ m | jq('.a') | first }}", NULLS) == ""
    assert render("{{ m | jq('has(\"a\")') | first }}", NULLS) == "false"
    assert render_typed("{{ m | jq('{x: .a}') | first }}", NULLS) == {"x": None}


# -- SubstringBefore/After(Last)Filter -----------------------------------------------------------
def test_substring_filters_follow_string_utils():
    # StringUtils.substringBefore/After(Last): not found, empty separator
    template = (
        "{{ 'a-b-c' | substringBefore('-') }} {{ 'a-b-c' | substringAfterLast('-') }} "
        "{{ 'abc' | substringBefore('x') }}|{{ 'abc' | substringAfter('x') }}|"
        "{{ 'abc' | substringBefore('') }}|{{ 'abc' | substringAfter('') }}"
    )
    assert render(template, {}) == "a c abc|||abc"


def test_substring_filters_need_a_separator():
    # SubstringBeforeFilter: "... expects an argument 'separator'."
    assert fails("{{ 'a-b' | substringBefore }}") == (
        "filter 'substringBefore' expects an argument 'separator'."
    )
