"""Pebble's binary operators on values: comparison, containment, arithmetic and ranges."""

from __future__ import annotations

import math
import operator
from typing import Any, Callable

from lab.kestra.expr import values as V
from lab.kestra.expr.errors import ExpressionError


def _compare(op: str) -> Callable[[Any, Any], bool]:
    fn = {"<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}[op]

    def compare(left: Any, right: Any) -> bool:
        if left is None or right is None:
            return False  # Pebble compares null as false, it does not raise
        if V.is_number(left) and V.is_number(right) or type(left) is type(right):
            try:
                return fn(left, right)
            except TypeError:
                pass
        raise ExpressionError(f"cannot compare {V.type_name(left)} {op} {V.type_name(right)}")

    return compare


def _contains(container: Any, item: Any) -> bool:
    if container is None:
        return False
    if isinstance(container, str):
        return V.to_text(item) in container
    if isinstance(container, dict):
        if isinstance(item, (list, tuple)):
            return all(i in container for i in item)
        return item in container
    if isinstance(container, (list, tuple)):
        if isinstance(item, (list, tuple)):
            return all(any(V.loose_equals(c, i) for c in container) for i in item)
        return any(V.loose_equals(c, item) for c in container)
    raise ExpressionError(f"'contains' needs a list, map or string, got {V.type_name(container)}")


def _is_in(item: Any, container: Any) -> bool:
    """Kestra's InExpression (`isIn`, `in`; NotInExpression negates it): items compared as text, a map
    matching on a key or a value, anything but a list or map (a string included) never contains."""
    if item is None or container is None:
        return False
    text = V.to_text(item)
    if isinstance(container, (list, tuple, set, frozenset)):
        return any(c is not None and V.to_text(c) == text for c in container)
    if isinstance(container, dict):
        return any(
            V.to_text(k) == text or (v is not None and V.to_text(v) == text)
            for k, v in container.items()
        )
    return False


def _arith(op: str) -> Callable[[Any, Any], Any]:
    def arith(left: Any, right: Any) -> Any:
        if op == "+" and (isinstance(left, str) or isinstance(right, str)):
            # Pebble's `+` concatenates when a side is a string, with Java's String.valueOf (null -> "null")
            return V.java_string(left) + V.java_string(right)
        if isinstance(left, list) and op in "+-":
            other = right if isinstance(right, list) else [right]
            return left + other if op == "+" else [i for i in left if i not in other]
        a, b = V.as_number(left, f"'{op}'"), V.as_number(right, f"'{op}'")
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if b == 0 and isinstance(a, int) and isinstance(b, int):
            raise ExpressionError(f"division by zero in {left} {op} {right}")
        if op == "/":
            if isinstance(a, int) and isinstance(b, int):
                return (
                    int(a / b)
                    if abs(a) < 2**52
                    else (abs(a) // abs(b)) * (1 if (a < 0) == (b < 0) else -1)
                )
            return a / b if b else math.copysign(math.inf, a) if a else math.nan
        return (
            int(math.fmod(a, b)) if isinstance(a, int) and isinstance(b, int) else math.fmod(a, b)
        )

    return arith


MAX_RANGE = 1_000_000  # a bigger range is a mistake in a flow, not a loop worth a gigabyte


def _range(left: Any, right: Any) -> list:
    if isinstance(left, int) and isinstance(right, int):
        if abs(right - left) >= MAX_RANGE:
            raise ExpressionError(f"range {left}..{right} has more than {MAX_RANGE} items")
        step = 1 if right >= left else -1
        return list(range(left, right + step, step))
    if isinstance(left, str) and isinstance(right, str) and len(left) == len(right) == 1:
        return [chr(c) for c in range(ord(left), ord(right) + 1)]
    raise ExpressionError(
        f"a range '..' needs two integers, got {V.to_text(left)!r}..{V.to_text(right)!r}"
    )


BINARY_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "==": V.loose_equals,
    "equals": V.loose_equals,
    "!=": lambda a, b: not V.loose_equals(a, b),
    "<": _compare("<"),
    ">": _compare(">"),
    "<=": _compare("<="),
    ">=": _compare(">="),
    "contains": _contains,
    "isIn": _is_in,
    "in": _is_in,
    "not in": lambda a, b: not _is_in(a, b),
    "+": _arith("+"),
    "-": _arith("-"),
    "*": _arith("*"),
    "/": _arith("/"),
    "%": _arith("%"),
    "..": _range,
}
