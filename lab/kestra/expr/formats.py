"""Kestra's filters on structured data: toJson, jq, yaml and toIon (the other filters live in `filters`)."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import jq as jqlib
import yaml

from lab.kestra.expr import values as V
from lab.kestra.expr.errors import ExpressionError
from lab.kestra.expr.values import to_text


def to_json(value: Any, includeNulls: Any = False) -> str:  # noqa: N803 - Pebble's argument name
    """toJson (ToJsonFilter): null is `null`; null map entries are left out unless includeNulls is
    exactly true (any other value, like Java's Boolean.TRUE.equals, counts as false)."""
    return "null" if value is None else V.to_json(value, include_nulls=includeNulls is True)


@functools.lru_cache(maxsize=512)
def _jq_program(expression: str):
    try:
        return jqlib.compile(expression)
    except ValueError as exc:
        raise ExpressionError(f"invalid jq expression {expression!r}: {exc}") from None


def jq(value: Any, expression: Any = None) -> Any:
    """JqFilter: every result in a list (`| first` for one); null stays null.

    A string is read as JSON text (readTree); anything else goes through Kestra's JSON mapper
    (valueToTree), so null map entries are left out of the input. Results come back from jq's own
    nodes, whose null fields stay.
    """
    if value is None:
        return None
    if expression is None:
        raise ExpressionError("The 'jq' filter expects an argument 'expression'.")
    if isinstance(value, str):
        text = value
        try:
            json.loads(value)
        except ValueError:
            raise ExpressionError(
                f"Unable to parse jq value {value[:80]!r} with type 'java.lang.String'",
                fix="jq reads JSON text; a plain string must be quoted JSON, e.g. `| toJson | jq(...)`",
            ) from None
    else:
        text = V.to_json(value)
    try:
        results = _jq_program(to_text(expression)).input_text(text).all()
    except ValueError as exc:
        raise ExpressionError(f"Failed to resolve JQ expression {expression!r}: {exc}") from None
    return results


def to_yaml(value: Any) -> str:
    """Jackson-YAML-like serialisation: no document marker, list items indented by one space."""
    return (
        "".join(_yaml_lines(value, 0))
        if isinstance(value, (dict, list))
        else _yaml_scalar(value) + "\n"
    )


def _yaml_scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        dumped = yaml.safe_dump(value, default_style=None, width=10**9).strip()
        return (
            dumped[:-4].rstrip() if dumped.endswith("\n...") else dumped.removesuffix("...").strip()
        )
    return to_text(value)


def _yaml_lines(value: Any, depth: int):
    pad = " " * depth
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, (dict, list)) and v:
                yield f"{pad}{k}:\n"
                yield from _yaml_lines(v, depth + 2 if isinstance(v, dict) else depth)
            else:
                yield f"{pad}{k}: {_yaml_scalar(v) if not isinstance(v, (dict, list)) else to_json(v)}\n"
    else:
        for item in value:
            if isinstance(item, (dict, list)) and item:
                lines = list(_yaml_lines(item, depth + 3))
                yield f"{pad} - " + lines[0].lstrip()
                yield from lines[1:]
            else:
                yield f"{pad} - {_yaml_scalar(item) if not isinstance(item, (dict, list)) else to_json(item)}\n"


def to_ion(value: Any) -> str:
    """Amazon Ion text, as Kestra's toIon prints it (`{key:1}`, symbols unquoted when possible)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return (
            to_text(value)
            if isinstance(value, int)
            else repr(value) + ("e0" if "e" not in repr(value) else "")
        )
    if isinstance(value, dict):
        return "{" + ",".join(f"{_ion_symbol(str(k))}:{to_ion(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(to_ion(v) for v in value) + "]"
    return json.dumps(to_text(value), ensure_ascii=False)


def _ion_symbol(name: str) -> str:
    return (
        name
        if re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$]*", name)
        else "'" + name.replace("'", "\\'") + "'"
    )
