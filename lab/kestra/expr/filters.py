"""Pebble's and Kestra's filters on strings, numbers and collections (JSON, YAML, Ion and jq live in
`formats`, dates in `dates`)."""

from __future__ import annotations

import base64
import functools
import hashlib
import math
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


def _replace_text(s: str, pairs: dict, regexp: bool) -> str:
    for old, new in pairs.items():
        if regexp:
            s = _regex(to_text(old)).sub(java_replacement(to_text(new)), s)
        else:
            s = s.replace(to_text(old), to_text(new))
    return s


def _replace_in(value: Any, pairs: dict, regexp: bool) -> Any:
    """Strings inside maps and lists are replaced, other values turned to text first (ReplaceFilter)."""
    if isinstance(value, dict):
        return {k: _replace_in(v, pairs, regexp) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_replace_in(v, pairs, regexp) for v in value]
    return _replace_text(value if isinstance(value, str) else to_text(value), pairs, regexp)


def replace(value: Any, replace_pairs: Any = None, regexp: Any = False) -> Any:
    """Kestra's ReplaceFilter (it overrides Pebble's): a map of pairs, optionally regular expressions."""
    if value is None:
        return None
    if replace_pairs is None:
        raise ExpressionError("The argument 'replace_pairs' is required.")
    if not isinstance(replace_pairs, dict):
        raise ExpressionError(
            f"replace: 'replace_pairs' must be a map of text to replace, got "
            f"{V.type_name(replace_pairs)}",
            fix="write it as replace({'old': 'new'})",
        )
    return _replace_in(value, replace_pairs, regexp is True)


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


_ESCAPES = {"single": ("'", "\\'"), "double": ('"', '\\"'), "shell": ("'", "'\\''")}


def escape_char(value: Any, type: Any = None) -> Any:  # noqa: A002 - Pebble's argument name
    """EscapeCharFilter: the type is case-insensitive; strings inside maps and lists are escaped too."""
    if value is None:
        return None
    if type is None:
        raise ExpressionError("The 'escapeChar' filter expects an argument 'type'.")
    pair = _ESCAPES.get(str(type).lower())
    if pair is None:
        raise ExpressionError(
            "The 'escapeChar' filter expects the value of 'type' to be either 'single', 'double', "
            "or 'shell'."
        )
    return _escape_in(value, *pair)


def _escape_in(value: Any, old: str, new: str) -> Any:
    if isinstance(value, dict):
        return {k: _escape_in(v, old, new) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_escape_in(v, old, new) for v in value]
    return (value if isinstance(value, str) else to_text(value)).replace(old, new)


def _lines_sep(s: str) -> str:
    """AbstractIndent's line separator: the first of CRLF, LFCR, LF, CR the text holds, else LF."""
    for sep in ("\r\n", "\n\r", "\n", "\r"):
        if sep in s:
            return sep
    return "\n"


def _indent(kind: str):
    """indent (every line but the first) and nindent (a new line first, then every line)."""

    def apply(value: Any, amount: Any = None, prefix: Any = " ") -> Any:
        if value is None:
            return None
        s = to_text(value)
        if not s:
            return s
        if amount is None or not isinstance(amount, int) or isinstance(amount, bool):
            raise ExpressionError(f"The '{kind}' filter expects an integer as argument 'amount'.")
        if amount < 0:
            raise ExpressionError(
                f"The '{kind}' filter expects a positive integer >=0 as argument 'amount'."
            )
        sep, pad = _lines_sep(s), to_text(prefix) * amount
        return (s if kind == "indent" else sep + s).replace(sep, sep + pad)

    return apply


indent = _indent("indent")
nindent = _indent("nindent")


def _affix(name: str):
    """startsWith / endsWith: the value and the argument as text (a null value is an error in Kestra)."""
    method = str.startswith if name == "startsWith" else str.endswith

    def test(value: Any, prefix: Any = None) -> bool:
        if value is None or prefix is None:
            raise ExpressionError(
                f"'{name}' needs a value and an argument, got {'null' if value is None else 'no argument'}",
                fix="guard the value: `(x ?? '') | " + name + "('...')`",
            )
        return method(to_text(value), to_text(prefix))

    return test


def _url_encode(s: str) -> str:
    return urllib.parse.quote_plus(s, safe="*").replace("~", "%7E")


def _hash(algo: str):
    """ShaBaseFilter / Md5Filter: a string's hex digest; anything but a string is refused."""

    def digest(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ExpressionError(
                f"Need a string to hash (got {V.type_name(value)})",
                fix="turn the value into text first, e.g. `| toJson` or `| string`",
            )
        return hashlib.new(algo, value.encode()).hexdigest()

    return digest


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


def merge(value: Any, items: Any) -> Any:
    if isinstance(value, dict) and isinstance(items, dict):
        return {**value, **items}
    if isinstance(value, list):
        return value + (list(items) if isinstance(items, (list, tuple)) else [items])
    raise ExpressionError(
        f"merge needs two maps or two lists, got {V.type_name(value)} and {V.type_name(items)}"
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
    if value is None:
        return None
    if not isinstance(value, list):
        raise ExpressionError("The 'flatten' filter can only be applied to lists.")
    out: list = []
    for item in value:
        out.extend(item if isinstance(item, list) else [item])
    return out


# ----------------------------------------------------------------------------- numbers
def number(value: Any, type: Any = None) -> Any:  # noqa: A002 - Pebble's argument name
    """NumberFilter: text to a number; `type` (exact, upper case) picks the Java class, otherwise
    commons-lang's NumberUtils.createNumber picks the smallest that holds it."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ExpressionError(
            "'number' filter can only be applied to String. Actual type was: "
            f"{V.java_class(value)}",
            fix="the value already is a number; drop `| number`",
        )
    try:
        return _create_number(value, type or "")
    except (ValueError, ArithmeticError) as exc:  # decimal.InvalidOperation is an ArithmeticError
        raise ExpressionError(f"{value!r} is not a valid number.", fix=str(exc) or None) from None


_INT_RANGE = (-(2**31), 2**31)
_LONG_RANGE = (-(2**63), 2**63)


def _java_int(text: str, bounds: tuple[int, int]) -> int:
    """Integer.decode / Long.decode: decimal, 0x / # hex, leading 0 octal."""
    m = re.fullmatch(r"([-+]?)(0[xX]|#)?([0-9A-Fa-f]+)", text)
    if not m:
        raise ValueError(f"{text!r} is not an integer")
    sign, hex_prefix, digits = m.groups()
    if hex_prefix:
        number = int(digits, 16)
    elif len(digits) > 1 and digits.startswith("0"):
        number = int(digits, 8)
    else:
        number = int(digits, 10)
    number = -number if sign == "-" else number
    if not bounds[0] <= number < bounds[1]:
        raise ValueError(f"{text!r} is out of range")
    return number


def _create_number(text: str, kind: str) -> Any:
    if kind == "INT":
        return _java_int(text, _INT_RANGE)
    if kind == "LONG":
        return _java_int(text, _LONG_RANGE)
    if kind == "FLOAT":
        return JavaFloat(text)
    if kind == "DOUBLE":
        return float(text)
    if kind == "BIGDECIMAL":
        return Decimal(text)
    if kind == "BIGINTEGER":
        return JavaBigInteger(int(text, 0) if text.lower().startswith(("0x", "-0x")) else int(text))
    if not text or text != text.strip():
        raise ValueError(f"{text!r} is not a number")
    if re.fullmatch(r"[-+]?((0[xX]|#)[0-9A-Fa-f]+|\d+)", text):
        try:
            return _java_int(text, _INT_RANGE)
        except ValueError:
            pass
        try:
            return _java_int(text, _LONG_RANGE)
        except ValueError:
            return JavaBigInteger(int(text, 0) if "x" in text.lower() else int(text))
    suffix = text[-1].lower()
    if (
        suffix == "l"
    ):  # 12L is a java.lang.Long (shown as Integer when it fits: values carry no width)
        return _java_int(text[:-1], _LONG_RANGE)
    if suffix == "f":
        return JavaFloat(text[:-1])
    if suffix == "d":
        return float(text[:-1])
    mantissa = re.split(r"[eE]", text)[0]
    decimals = len(mantissa.partition(".")[2])
    if decimals <= 7:
        as_float = JavaFloat(text)
        if not math.isinf(as_float):
            return as_float
    if decimals <= 16:
        as_double = float(text)
        if not math.isinf(as_double):
            return as_double
    return Decimal(text)


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
    "replace": replace,
    "split": _str(_split),
    "join": lambda v, separator="": None
    if v is None
    else separator.join(to_text(i) for i in _seq(v, "join")),
    "slugify": _str(slugify),
    "substringBefore": _substring(True, False),
    "substringBeforeLast": _substring(True, True),
    "substringAfter": _substring(False, False),
    "substringAfterLast": _substring(False, True),
    "startsWith": _affix("startsWith"),
    "endsWith": _affix("endsWith"),
    "escapeChar": escape_char,
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
    "values": values,
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
