"""Pebble's and Kestra's filters on strings, numbers and collections (JSON, YAML, Ion and jq live in
`formats`, dates in `dates`)."""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import unicodedata
import urllib.parse
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from lab.kestra.expr import values as V
from lab.kestra.expr.errors import ExpressionError
from lab.kestra.expr.formats import jq, to_ion, to_json, to_yaml
from lab.kestra.expr.values import JavaBigInteger, JavaFloat, to_text


def _str(fn):
    """A string filter: null passes through as null, other values are converted to text first."""

    @functools.wraps(fn)
    def wrapper(value, *args, **kwargs):
        if value is None:
            return None
        return fn(value if isinstance(value, str) else to_text(value), *args, **kwargs)

    return wrapper


def _abbreviate(s: str, length: int) -> str:
    return s if len(s) <= length else s[: max(length - 3, 0)] + "..."


def _replace(s: str, replace_pairs: dict, regexp: bool = False) -> str:
    for old, new in (replace_pairs or {}).items():
        if regexp:
            s = re.sub(str(old), java_replacement(to_text(new)), s)
        else:
            s = s.replace(str(old), to_text(new))
    return s


def java_replacement(text: str) -> str:
    """Java's `$1` group references -> Python's `\\g<1>`."""
    text = text.replace("\\", "\\\\")
    return re.sub(r"\$(\d+|\{(\w+)\})", lambda m: f"\\g<{m.group(2) or m.group(1)}>", text)


def _split(s: str, delimiter: str, limit: int | None = None) -> list[str]:
    if limit is None or limit <= 0:
        parts = s.split(delimiter)
        while parts and parts[-1] == "" and limit is None:
            parts.pop()  # Java's String.split drops trailing empty strings
        return parts
    return s.split(delimiter, limit - 1)


def slugify(s: str) -> str:
    text = unicodedata.normalize("NFD", s)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def _substring(before: bool, last: bool):
    def cut(s: str, separator: str) -> str:
        idx = s.rfind(separator) if last else s.find(separator)
        if idx < 0:
            return s if before else ""
        return s[:idx] if before else s[idx + len(separator) :]

    return _str(cut)


def _escape_char(s: str, type: str) -> str:  # noqa: A002 - Pebble's argument name
    if type == "single":
        return s.replace("'", "\\'")
    if type == "double":
        return s.replace('"', '\\"')
    if type == "shell":
        return s.replace("'", "'\\''")
    raise ExpressionError(f"escapeChar type must be 'single', 'double' or 'shell', not {type!r}")


def _lines_sep(s: str) -> str:
    return "\r\n" if "\r\n" in s else "\n" if "\n" in s else "\r" if "\r" in s else "\n"


def indent(value: Any, amount: int, prefix: str = " ") -> str:
    if value is None:
        return ""
    s = to_text(value)
    sep = _lines_sep(s)
    return s.replace(sep, sep + prefix * amount)


def nindent(value: Any, amount: int, prefix: str = " ") -> str:
    if value is None:
        return ""
    s = to_text(value)
    if not s:
        return ""
    sep = _lines_sep(s)
    pad = prefix * amount
    return sep + pad + s.replace(sep, sep + pad)


def _url_encode(s: str) -> str:
    return urllib.parse.quote_plus(s, safe="*").replace("~", "%7E")


def _hash(algo: str):
    return _str(lambda s: hashlib.new(algo, s.encode()).hexdigest())


# ----------------------------------------------------------------------------- collections
def _seq(value: Any, what: str) -> list | str:
    if isinstance(value, (list, str)):
        return value
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dict):
        return list(value.values())
    raise ExpressionError(f"{what} needs a list or string, got {V.type_name(value)}")


def first(value: Any) -> Any:
    if value is None:
        return None
    seq = _seq(value, "first")
    return seq[0] if seq else None


def last(value: Any) -> Any:
    if value is None:
        return None
    seq = _seq(value, "last")
    return seq[-1] if seq else None


def length(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, (str, list, dict, tuple)):
        return len(value)
    return len(to_text(value))


def slice_(value: Any, fromIndex: int = 0, toIndex: int | None = None) -> Any:  # noqa: N803 - Pebble names
    if value is None:
        return None
    seq = _seq(value, "slice")
    end = len(seq) if toIndex is None else toIndex
    if fromIndex < 0 or end > len(seq) or fromIndex > end:
        raise ExpressionError(f"slice({fromIndex}, {end}) is out of bounds of {len(seq)} items")
    return seq[fromIndex:end]


def _sort_key(value: Any) -> tuple:
    return (0, value) if V.is_number(value) else (1, to_text(value))


def keys(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        return list(value.keys())
    if isinstance(value, (list, tuple)):
        return list(range(len(value)))
    raise ExpressionError(f"keys needs a map or list, got {V.type_name(value)}")


def merge(value: Any, items: Any) -> Any:
    if isinstance(value, dict) and isinstance(items, dict):
        return {**value, **items}
    if isinstance(value, list):
        return value + (list(items) if isinstance(items, (list, tuple)) else [items])
    raise ExpressionError(
        f"merge needs two maps or two lists, got {V.type_name(value)} and {V.type_name(items)}"
    )


def chunk(value: Any, size: int) -> Any:
    if value is None:
        return None
    items = _seq(value, "chunk")
    return [items[i : i + size] for i in range(0, len(items), size)]


def distinct(value: Any) -> Any:
    if value is None:
        return "null"
    if not isinstance(value, list):
        raise ExpressionError(f"distinct needs a list, got {V.type_name(value)}")
    out: list = []
    for item in value:
        if item not in out:
            out.append(item)
    return out


def flatten(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, list):
        raise ExpressionError(f"flatten needs a list, got {V.type_name(value)}")
    out: list = []
    for item in value:
        out.extend(item if isinstance(item, list) else [item])
    return out


# ----------------------------------------------------------------------------- numbers
def number(value: Any, type: str | None = None) -> Any:  # noqa: A002 - Pebble's argument name
    if value is None:
        return None
    if V.is_number(value) and type is None:
        return value
    text = to_text(value).strip()
    kind = (type or "").upper()
    if kind in ("INT", "INTEGER", "LONG"):
        return int(float(text)) if "." in text else int(text)
    if kind == "BIGINTEGER":
        return JavaBigInteger(int(Decimal(text)))
    if kind == "FLOAT":
        return JavaFloat(text)
    if kind == "DOUBLE":
        return float(text)
    if kind == "BIGDECIMAL":
        return Decimal(text)
    if re.fullmatch(r"[-+]?\d+", text):
        return int(text)
    return JavaFloat(text)


def number_format(value: Any, format: str) -> str:  # noqa: A002
    """Java DecimalFormat for the usual patterns (`#.##`, `0.00`, `#,##0.0`)."""
    num = Decimal(str(V.as_number(value, "numberFormat")))
    body = format.split(";")[0]
    int_part, _, frac_part = body.partition(".")
    min_frac, max_frac = frac_part.count("0"), len(frac_part.replace(",", ""))
    quant = Decimal(1).scaleb(-max_frac)
    num = num.quantize(quant, rounding=ROUND_HALF_EVEN)
    text = f"{abs(num):f}"
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    frac = frac + "0" * (min_frac - len(frac))
    min_int = int_part.replace(",", "").replace("#", "").count("0")
    whole = whole.lstrip("0") or ""
    whole = whole.rjust(min_int, "0") if min_int else whole or ("0" if not frac else "")
    if "," in int_part:
        group = len(int_part) - int_part.rfind(",") - 1
        whole = ",".join(
            reversed([whole[max(i - group, 0) : i] for i in range(len(whole), 0, -group)])
        )
    out = whole + ("." + frac if frac else "")
    return ("-" if num < 0 else "") + (out or "0")


def abs_(value: Any) -> Any:
    return abs(V.as_number(value, "abs"))


# ----------------------------------------------------------------------------- base64, regex
def _base64decode(s: str) -> str:
    return base64.b64decode(s).decode("utf-8")


def _regex(pattern: str) -> re.Pattern:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ExpressionError(f"Invalid regex {pattern!r}: {exc}") from None


def regex_match(value: Any, regex: str) -> bool:
    if value is None:
        return False
    return _regex(regex).search(to_text(value)) is not None


def regex_replace(value: Any, regex: str, replacement: str) -> Any:
    if value is None:
        return None
    return _regex(regex).sub(java_replacement(replacement), to_text(value))


def regex_extract(value: Any, regex: str, group: int = 0) -> Any:
    if value is None:
        return None
    m = _regex(regex).search(to_text(value))
    return m.group(group) if m else None


FILTERS: dict[str, Any] = {
    "upper": _str(str.upper),
    "lower": _str(str.lower),
    "trim": _str(str.strip),
    "capitalize": _str(lambda s: s[:1].upper() + s[1:]),
    "title": _str(lambda s: re.sub(r"(^|\s)(\S)", lambda m: m.group(1) + m.group(2).upper(), s)),
    "abbreviate": _str(_abbreviate),
    "replace": _str(_replace),
    "split": _str(_split),
    "join": lambda v, separator="": None
    if v is None
    else separator.join(to_text(i) for i in _seq(v, "join")),
    "slugify": _str(slugify),
    "substringBefore": _substring(True, False),
    "substringBeforeLast": _substring(True, True),
    "substringAfter": _substring(False, False),
    "substringAfterLast": _substring(False, True),
    "startsWith": lambda v, value: v is not None and to_text(v).startswith(to_text(value)),
    "endsWith": lambda v, value: v is not None and to_text(v).endswith(to_text(value)),
    "escapeChar": _str(_escape_char),
    "indent": indent,
    "nindent": nindent,
    "base64encode": _str(lambda s: base64.b64encode(s.encode()).decode()),
    "base64decode": _str(_base64decode),
    "urlencode": _str(_url_encode),
    "urldecode": _str(urllib.parse.unquote_plus),
    "sha256": _hash("sha256"),
    "sha1": _hash("sha1"),
    "sha512": _hash("sha512"),
    "md5": _hash("md5"),
    "string": lambda v: None if v is None else to_text(v),
    "raw": lambda v: v,
    "first": first,
    "last": last,
    "length": length,
    "slice": slice_,
    "sort": lambda v: None if v is None else sorted(_seq(v, "sort"), key=_sort_key),
    "rsort": lambda v: None if v is None else sorted(_seq(v, "rsort"), key=_sort_key, reverse=True),
    "reverse": lambda v: None if v is None else _seq(v, "reverse")[::-1],
    "keys": keys,
    "values": lambda v: None if v is None else list(v.values()) if isinstance(v, dict) else list(v),
    "merge": merge,
    "chunk": chunk,
    "distinct": distinct,
    "flatten": flatten,
    "abs": abs_,
    "number": number,
    "numberFormat": number_format,
    "numberformat": number_format,
    "toJson": to_json,
    "json": to_json,
    "jq": jq,
    "yaml": to_yaml,
    "toIon": to_ion,
    "className": V.java_class,
    "regexMatch": regex_match,
    "regexReplace": regex_replace,
    "regexExtract": regex_extract,
}
