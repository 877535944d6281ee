"""Number filters: Kestra's NumberFilter (text to a Java number class), Pebble's NumberFormatFilter
and AbsFilter."""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from lab.kestra.expr import values as V
from lab.kestra.expr.errors import ExpressionError
from lab.kestra.expr.values import JavaBigInteger, JavaFloat


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


DEFAULT_NUMBER_FORMAT = "#,##0.###"  # NumberFormat.getInstance(Locale.ENGLISH)


def number_format(value: Any, format: Any = None) -> Any:  # noqa: A002
    """NumberFormatFilter: Java DecimalFormat for the usual patterns (`#.##`, `0.00`, `#,##0.0`);
    without a format, the locale's (English) grouping and at most three decimals; null stays null."""
    if value is None:
        return None
    if not V.is_number(value):
        raise ExpressionError("The input for the 'NumberFormat' filter has to be a number.")
    if format is None:
        format = DEFAULT_NUMBER_FORMAT  # noqa: A001
    num = Decimal(str(value))
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
    """AbsFilter: a number's absolute value; null and other types are refused."""
    if value is None:
        raise ExpressionError('Can not pass null value to "abs" filter.')
    if not V.is_number(value):
        raise ExpressionError("The 'abs' filter does require as input a number.")
    return abs(value)


FILTERS: dict[str, Any] = {
    "abs": abs_,
    "number": number,
    "numberFormat": number_format,
    "numberformat": number_format,
}
