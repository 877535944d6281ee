"""Pebble's and Kestra's filters on lists, maps and sequences (Pebble's FirstFilter, LastFilter,
LengthFilter, SliceFilter, JoinFilter, MergeFilter, Sort/Rsort/ReverseFilter; Kestra's KeysFilter,
ValuesFilter, ChunkFilter, DistinctFilter, FlattenFilter)."""

from __future__ import annotations

from typing import Any

from lab.kestra.expr import values as V
from lab.kestra.expr.errors import ExpressionError
from lab.kestra.expr.values import to_text


def _seq(value: Any, what: str) -> list | str:
    """A list or a string; a map is not a Collection to Pebble."""
    if isinstance(value, (list, str)):
        return value
    if isinstance(value, tuple):
        return list(value)
    raise ExpressionError(f"{what} needs a list or string, got {V.type_name(value)}")


def _end(value: Any, what: str, index: int) -> Any:
    """FirstFilter / LastFilter: a string's first or last character, a list's item, null when empty."""
    if value is None:
        return None
    seq = _seq(value, what)
    if isinstance(seq, str) and not seq:
        raise ExpressionError(f"'{what}' of an empty string: it has no character")
    return seq[index] if seq else None


def first(value: Any) -> Any:
    return _end(value, "first", 0)


def last(value: Any) -> Any:
    return _end(value, "last", -1)


def length(value: Any) -> int:
    """LengthFilter: a string's characters, a collection's or a map's size; anything else is 0."""
    if isinstance(value, (str, list, dict, tuple)):
        return len(value)
    return 0


def slice_(value: Any, fromIndex: Any = None, toIndex: Any = None) -> Any:  # noqa: N803 - Pebble names
    """SliceFilter: [fromIndex, toIndex) of a list or a string, with Pebble's bound checks."""
    if value is None:
        return None
    start = 0 if fromIndex is None else fromIndex
    for name, arg in (("fromIndex", start), ("toIndex", toIndex)):
        if arg is not None and not V.is_number(arg):
            raise ExpressionError(
                f"Argument {name} must be a number. Actual type: {V.java_class(arg)}"
            )
    start = int(start)
    if start < 0:
        raise ExpressionError("fromIndex must be greater than 0")
    if not isinstance(value, (list, tuple, str)):
        raise ExpressionError(
            "Slice filter can only be applied to String, List and array inputs. Actual type was: "
            f"{V.java_class(value)}"
        )
    size = len(value)
    end = size
    if toIndex is not None:
        end = int(toIndex)
        if end > size:
            raise ExpressionError(f"toIndex must be smaller than input size: {size}")
        if start >= end:
            raise ExpressionError("toIndex must be greater than fromIndex")
    return list(value[start:end]) if not isinstance(value, str) else value[start:end]


def _java_item_text(item: Any) -> str:
    """StringBuilder.append: null is the text "null"."""
    return "null" if item is None else to_text(item)


def join(value: Any, separator: Any = None) -> Any:
    """JoinFilter: a collection's items as text, glued by the separator (none by default)."""
    if value is None:
        return None
    if not isinstance(value, (list, tuple)):
        raise ExpressionError(
            "The 'join' filter expects that the input is either a collection or an array."
        )
    glue = "" if separator is None else to_text(separator)
    return glue.join(_java_item_text(i) for i in value)


def merge(value: Any, items: Any = None) -> Any:
    """MergeFilter: the left side's type decides; a map takes a map (or a list's items as keys and
    values), a list takes a list (or a map's entries); null on one side gives the other."""
    if value is None:
        if items is None:
            raise ExpressionError("The two arguments to be merged are null")
        return items
    if items is None:
        return value
    if isinstance(value, dict):
        if isinstance(items, dict):
            return {**value, **items}
        if isinstance(items, (list, tuple)):
            return {**value, **{i: i for i in items}}
        raise ExpressionError(
            "Currently, only Maps and Lists can be merged with a Map. Arg2: "
            f"{V.java_class(items)}"
        )
    if isinstance(value, (list, tuple)):
        if isinstance(items, (list, tuple)):
            return [*value, *items]
        if isinstance(items, dict):
            return [*value, *(f"{to_text(k)}={to_text(v)}" for k, v in items.items())]
        raise ExpressionError(
            "Currently, only Maps and Lists can be merged with a List. Arg2: "
            f"{V.java_class(items)}"
        )
    raise ExpressionError("The object being filtered is not a Map/List/Array")


def _sort_key(value: Any) -> tuple:
    return (0, value) if V.is_number(value) else (1, to_text(value))


def keys(value: Any) -> Any:
    """KeysFilter: a map's keys, a list's indexes."""
    if value is None:
        return None
    if isinstance(value, dict):
        return list(value.keys())
    if isinstance(value, (list, tuple)):
        return list(range(len(value)))
    raise ExpressionError(
        "'keys' filter can only be applied to List, Map, Array. Actual type was: "
        f"{V.java_class(value)}"
    )


def values(value: Any) -> Any:
    """ValuesFilter: a map's values; nothing else has them."""
    if value is None:
        return None
    if isinstance(value, dict):
        return list(value.values())
    raise ExpressionError(
        f"'values' filter can only be applied to Map. Actual type was: {V.java_class(value)}"
    )


def chunk(value: Any, size: Any = None) -> Any:
    """ChunkFilter: a list cut into lists of `size` items (the last one shorter)."""
    if value is None:
        return None
    if size is None:
        raise ExpressionError("'chunk' filter expects an argument 'size'.")
    if not isinstance(value, (list, tuple)):
        raise ExpressionError(
            f"'chunk' filter can only be applied to List. Actual type was: {V.java_class(value)}"
        )
    if not V.is_number(size):
        raise ExpressionError(
            "'chunk' filter argument 'size' must be a number. Actual type was: "
            f"{V.java_class(size)}"
        )
    step = int(size)
    if step <= 0:
        raise ExpressionError(f"'chunk' filter argument 'size' must be positive, got {step}")
    items = list(value)
    return [items[i : i + step] for i in range(0, len(items), step)]


def distinct(value: Any) -> Any:
    """DistinctFilter: a list without repeats, first kept; null gives the text "null"."""
    if value is None:
        return "null"
    if not isinstance(value, list):
        raise ExpressionError(
            f"Input must be a list, but received : {V.java_class(value)}",
            fix="distinct works on lists",
        )
    out: list = []
    for item in value:
        if item not in out:
            out.append(item)
    return out


def flatten(value: Any) -> Any:
    """FlattenFilter: one level of nested lists."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise ExpressionError("The 'flatten' filter can only be applied to lists.")
    out: list = []
    for item in value:
        out.extend(item if isinstance(item, list) else [item])
    return out


FILTERS: dict[str, Any] = {
    "first": first,
    "last": last,
    "length": length,
    "slice": slice_,
    "join": join,
    "sort": lambda v: None if v is None else sorted(_seq(v, "sort"), key=_sort_key),
    "rsort": lambda v: None if v is None else sorted(_seq(v, "rsort"), key=_sort_key, reverse=True),
    "reverse": lambda v: None if v is None else _seq(v, "reverse")[::-1],
    "keys": keys,
    "values": values,
    "merge": merge,
    "chunk": chunk,
    "distinct": distinct,
    "flatten": flatten,
}
