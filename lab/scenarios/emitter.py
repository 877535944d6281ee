"""A small block-style YAML emitter for snapshot documents (dicts, lists, str, int, float, bool, None).

PyYAML's pure-Python dumper cost ~70 ms per 10-turn transcript, more than playing the turns. This
writes the same readable block style in well under a millisecond; every scalar is checked once
(cached) so what it writes reads back with the safe loader as the same value.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

import yaml

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

_PLAIN_CANDIDATE = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`][^\n]*")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


@lru_cache(maxsize=65536)
def scalar(value: str) -> str:
    """A string as a plain, block-free YAML scalar: plain when that reads back unchanged, else JSON-quoted."""
    if (
        value
        and _PLAIN_CANDIDATE.fullmatch(value)
        and value == value.strip()
        and "\t" not in value
        and not _CONTROL.search(value)
    ):
        try:
            if yaml.load(f"k: {value}", Loader=_Loader) == {"k": value}:  # noqa: S506 - safe loader
                return value
        except Exception:  # noqa: BLE001 - any parse failure means "quote it" (YAMLError classes can be re-imported)
            pass
    return _quoted(value)


@lru_cache(maxsize=4096)
def key(value: str) -> str:
    """A mapping key: plain when `key: v` reads back as that key, else JSON-quoted."""
    text = scalar(value)
    if text == value:
        try:
            if yaml.load(f"{value}: v", Loader=_Loader) == {value: "v"}:  # noqa: S506 - safe loader
                return value
        except Exception:  # noqa: BLE001 - see scalar()
            pass
        return _quoted(value)
    return text


def _quoted(value: str) -> str:
    # YAML reads NEL and the Unicode line/paragraph separators as line breaks: escape them.
    text = json.dumps(value, ensure_ascii=False)
    return (
        text.replace("\u0085", "\\u0085").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    )


def _block(value: str, indent: str) -> str | None:
    """A multi-line string as a `|` / `|-` literal block, when that keeps it exactly."""
    if "\n" not in value or _CONTROL.search(value) or "\t" in value or "\r" in value:
        return None
    if value[:1] in (" ", "\n") or value.endswith("\n\n") or value.rstrip("\n") != value.rstrip():
        return None  # leading spaces, blank tails or trailing spaces need indicators: quote instead
    head = "|" if value.endswith("\n") else "|-"
    body = value[:-1] if value.endswith("\n") else value
    lines = [(indent + line) if line else "" for line in body.split("\n")]
    return head + "\n" + "\n".join(lines)


def _atom(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return scalar(str(value))


def dumps(data: Any) -> str:
    """Block-style YAML text for data, key order kept."""
    out: list[str] = []
    _emit(data, "", out)
    return "\n".join(out) + "\n"


def _value(value: Any, indent: str, out: list[str], head: str) -> None:
    """Write `head` followed by value: inline for scalars, nested lines for collections."""
    if isinstance(value, dict) and value:
        out.append(head.rstrip())
        _emit(value, indent + "  ", out)
    elif isinstance(value, list) and value:
        out.append(head.rstrip())
        _emit(value, indent, out)
    elif isinstance(value, dict):
        out.append(head + "{}")
    elif isinstance(value, list):
        out.append(head + "[]")
    elif (
        isinstance(value, str)
        and "\n" in value
        and (block := _block(value, indent + "  ")) is not None
    ):
        out.append(head + block)
    else:
        out.append(head + _atom(value))


def _emit(data: Any, indent: str, out: list[str]) -> None:
    if isinstance(data, dict):
        for k, value in data.items():
            _value(value, indent, out, f"{indent}{key(str(k))}: ")
    elif isinstance(data, list):
        for item in data:
            if isinstance(item, dict) and item:
                first = True
                for k, value in item.items():
                    prefix = f"{indent}- " if first else f"{indent}  "
                    _value(value, indent + "  ", out, f"{prefix}{key(str(k))}: ")
                    first = False
            else:
                _value(item, indent + "  ", out, f"{indent}- ")
    else:
        out.append(indent + _atom(data))
