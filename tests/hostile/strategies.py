"""Hypothesis strategies shared by the property tests: JSON values, chat bodies, hostile YAML."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Few examples, no per-example deadline (a busy 2-core machine): the whole suite stays fast.
BOUNDED = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# What Meta and users put in text: any Unicode scalar value (lone surrogates are not text).
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)
SHORT = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    SHORT,
)
JSON = st.recursive(
    JSON_LEAF,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(SHORT, inner, max_size=4),
    max_leaves=12,
)

ROLE = st.sampled_from(["user", "system", "assistant", "tool", "developer", "wizard", 1, None])
MESSAGE = st.one_of(
    JSON,
    st.fixed_dictionaries(
        {"role": ROLE},
        optional={"content": JSON | TEXT, "tool_calls": JSON, "name": JSON, "tool_call_id": JSON},
    ),
)
CHAT_BODY = st.fixed_dictionaries(
    {},
    optional={
        "model": JSON | st.just("gpt-4o-mini"),
        "messages": st.lists(MESSAGE, max_size=3) | JSON,
        "stream": JSON,
        "stream_options": JSON,
        "tools": JSON,
        "temperature": JSON,
        "response_format": JSON,
        "n": JSON,
        "max_tokens": JSON,
        "tool_choice": JSON,
        "stop": JSON,
    },
)


@st.composite
def hostile_yaml(draw) -> tuple[str, str]:
    """(kind, a YAML document): an alias bomb, deep nesting, a huge number or a self-referencing alias."""
    kind = draw(st.sampled_from(["bomb", "deep", "huge", "self"]))
    if kind == "bomb":
        levels, fan = draw(st.integers(7, 12)), draw(st.integers(8, 12))  # past 2 million nodes
        lines = [f"l0: &l0 [{', '.join(['x'] * fan)}]"]
        lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * fan)}]" for i in range(1, levels)]
        return kind, "\n".join(lines) + "\n"
    if kind == "deep":
        depth = draw(st.integers(65, 900))
        flow = draw(st.booleans())
        if flow:
            return kind, "a: " + "[" * depth + "]" * depth + "\n"
        return kind, "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "v\n"
    if kind == "huge":
        digits = draw(st.integers(20, 6000))
        sign = draw(st.sampled_from(["", "-", "0x"]))
        return kind, f"a: {sign}{'9' * digits if sign != '0x' else 'f' * digits}\n"
    cycle = draw(
        st.sampled_from(
            ["a: &a [*a]\n", "a: &a {b: *a}\n", "a: &a [1, [2, *a]]\n", "a: &a {x: [*a]}\n"]
        )
    )
    return kind, cycle
