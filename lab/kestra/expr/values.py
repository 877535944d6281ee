"""How Kestra's Pebble turns values into text, truth and JSON (Java semantics, Python values)."""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal
from typing import Any

from lab.kestra.expr.errors import ExpressionError


class Undefined(Exception):
    """Raised inside evaluation when a variable or attribute does not exist (strict mode).

    `??`, `???`, `is defined` and `default` catch it; at the top it becomes an ExpressionError.
    The message may be a callable, formatted only when someone reads it (usually nobody does:
    `a.b ?? 'x'` swallows it).
    """

    def __str__(self) -> str:
        message = self.args[0] if self.args else ""
        return message() if callable(message) else str(message)


class JavaFloat(float):
    """A float that Java would hold as `java.lang.Float` (the `number` filter's result for decimals)."""


class JavaBigInteger(int):
    """An int that Java would hold as `java.math.BigInteger` (`number('BIGINTEGER')`)."""


def java_double(value: float) -> str:
    """Java's Double.toString for the common cases (`3.0`, `1.123`, `1.0E20`)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == int(value) and abs(value) < 1e7:
        return f"{int(value)}.0" if value != 0 or math.copysign(1, value) > 0 else "-0.0"
    if 1e-3 <= abs(value) < 1e7:
        return repr(value)
    mantissa, _, exponent = f"{value!r}".partition("e")
    if not exponent:  # repr printed positional digits; recompute in scientific form
        mantissa, _, exponent = f"{value:.17e}".partition("e")
        mantissa = repr(float(mantissa))
    if "." not in mantissa:
        mantissa += ".0"
    return f"{mantissa}E{int(exponent)}"


def _offset(value: dt.datetime) -> str:
    off = value.utcoffset()
    if off is None:
        return ""
    if not off:
        return "Z"
    total = int(off.total_seconds())
    sign = "+" if total >= 0 else "-"
    hours, rest = divmod(abs(total), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")


def java_time(value: dt.time | dt.datetime) -> str:
    """Java's LocalTime.toString: seconds and fraction only when not zero, fraction in groups of 3."""
    text = f"{value.hour:02d}:{value.minute:02d}"
    if value.second or value.microsecond:
        text += f":{value.second:02d}"
        if value.microsecond:
            frac = f"{value.microsecond:06d}"
            text += "." + (frac[:3] if frac.endswith("000") else frac)
    return text


def java_datetime(value: dt.datetime) -> str:
    """ZonedDateTime / LocalDateTime / Instant toString as Java prints them (a region zone in
    brackets after the offset, as ZonedDateTime.toString adds it)."""
    region = getattr(value.tzinfo, "key", None)
    suffix = f"[{region}]" if region else ""
    return f"{value.date().isoformat()}T{java_time(value)}{_offset(value)}{suffix}"


def java_string(value: Any) -> str:
    """Java's toString, which Pebble's `~` uses: a map is `{a=1, b=null}`, a list `[1, 2]`."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{java_string(k)}={java_string(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(java_string(v) for v in value) + "]"
    if value is None:
        return "null"
    return to_text(value)


def iso_duration(value: dt.timedelta) -> str:
    """Java's Duration.toString (`PT5M6S`)."""
    total = value.total_seconds()
    if total == 0:
        return "PT0S"
    sign = "-" if total < 0 else ""
    total = abs(total)
    hours, rest = divmod(int(total), 3600)
    minutes, seconds = divmod(rest, 60)
    frac = total - int(total)
    out = "PT"
    if hours:
        out += f"{sign}{hours}H"
    if minutes:
        out += f"{sign}{minutes}M"
    if seconds or frac:
        sec = f"{seconds + frac:.9f}".rstrip("0").rstrip(".") if frac else str(seconds)
        out += f"{sign}{sec}S"
    return out


def iso_offset_datetime(value: dt.datetime) -> str:
    """Jackson's ISO_OFFSET_DATE_TIME: seconds always, fraction with only the digits it needs."""
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += "." + f"{value.microsecond:06d}".rstrip("0")
    return text + _offset(value)


def json_default(value: Any) -> Any:
    """JSON for values Jackson writes as strings (dates, durations, decimals)."""
    if isinstance(value, dt.datetime):
        return iso_offset_datetime(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return iso_duration(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=json_default).encode


def without_null_entries(value: Any) -> Any:
    """Jackson's NON_NULL content inclusion, which Kestra's JSON mapper applies: a map entry whose value
    is null is left out, at any depth; a null list item stays. The value itself is returned when it
    holds no such entry (the usual case: nothing is copied)."""
    if isinstance(value, dict):
        if not any(v is None or isinstance(v, (dict, list, tuple)) for v in value.values()):
            return value
        return {k: without_null_entries(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        if not any(isinstance(v, (dict, list, tuple)) for v in value):
            return value
        return [without_null_entries(v) for v in value]
    return value


def to_json(value: Any, include_nulls: bool = False) -> str:
    """Compact JSON as Kestra's JsonWriter prints maps and lists (`{"a":"1"}`); null map entries are
    left out unless `include_nulls` (toJson's includeNulls=true)."""
    return _dumps(value if include_nulls else without_null_entries(value))


def to_text(value: Any) -> str:
    """The text Kestra prints for a value in string mode."""
    kind = type(value)
    if kind is str:
        return value
    if value is None:
        return ""
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is dict or kind is list:
        return _dumps(without_null_entries(value))
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, (dict, list, tuple)):
        return _dumps(without_null_entries(value))
    if isinstance(value, dt.datetime):
        return java_datetime(value)
    if isinstance(value, dt.time):
        return java_time(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return iso_duration(value)
    return str(value)


def truthy(value: Any) -> bool:
    """Pebble's boolean cast for `if`, `and`, `or`, `not` and ternary conditions."""
    if value is True or value is False:
        return value
    if value is None:
        return False
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("true", "false"):
            return low == "true"
        return bool(value)
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, (list, dict, tuple)):
        return bool(value)
    return True


def is_empty(value: Any) -> bool:
    """Pebble's `empty`: null, a blank string, an empty list or map."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, (list, dict, tuple)) and not value


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def as_number(value: Any, what: str) -> int | float:
    """A number operand; numeric strings are not coerced (Pebble raises on them)."""
    if is_number(value):
        return value
    raise ExpressionError(f"{what} needs numbers, got {type_name(value)} {to_text(value)!r}")


def type_name(value: Any) -> str:
    """A person's word for a value's type, for error messages."""
    if value is None:
        return "null"
    return {
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        dict: "a map",
        list: "a list",
    }.get(type(value), type(value).__name__)


def java_class(value: Any) -> str | None:
    """The Java class Kestra would hold for this value (ClassNameFilter: null stays null)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, JavaBigInteger):
        return "java.math.BigInteger"
    if isinstance(value, int):
        return "java.lang.Integer" if -(2**31) <= value < 2**31 else "java.lang.Long"
    if isinstance(value, JavaFloat):
        return "java.lang.Float"
    if isinstance(value, float):
        return "java.lang.Double"
    if isinstance(value, Decimal):
        return "java.math.BigDecimal"
    if isinstance(value, str):
        return "java.lang.String"
    if isinstance(value, dict):
        return "java.util.LinkedHashMap"
    if isinstance(value, (list, tuple)):
        return "java.util.ArrayList"
    if isinstance(value, dt.datetime):
        return "java.time.ZonedDateTime" if value.tzinfo else "java.time.LocalDateTime"
    if isinstance(value, dt.timedelta):
        return "java.time.Duration"
    return type(value).__name__


def loose_equals(left: Any, right: Any) -> bool:
    """Pebble's `==`: numbers by value (1 == 1.0), everything else by equality."""
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    return left == right
