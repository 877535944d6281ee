"""Kestra's date filters and functions: Java `DateTimeFormatter` patterns on Python datetimes."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lab.kestra.expr import values as V
from lab.kestra.expr.errors import ExpressionError

UTC = dt.timezone.utc
NAMED_FORMATS = {
    "iso": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
    "iso_milli": "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    "iso_sec": "yyyy-MM-dd'T'HH:mm:ssXXX",
    "sql": "yyyy-MM-dd HH:mm:ss.SSSSSS",
    "sql_milli": "yyyy-MM-dd HH:mm:ss.SSS",
    "sql_sec": "yyyy-MM-dd HH:mm:ss",
    "iso_local_date": "yyyy-MM-dd",
    "iso_date": "yyyy-MM-ddXXX",
    "iso_local_time": "HH:mm:ss",
    "iso_time": "HH:mm:ssXXX",
    "iso_local_date_time": "yyyy-MM-dd'T'HH:mm:ss",
    "iso_offset_date_time": "yyyy-MM-dd'T'HH:mm:ssXXX",
    "iso_date_time": "yyyy-MM-dd'T'HH:mm:ssXXX'['VV']'",
    "iso_zoned_date_time": "yyyy-MM-dd'T'HH:mm:ssXXX'['VV']'",
    "iso_ordinal_date": "yyyy-DDDXXX",
}
RFC_1123 = "rfc_1123_date_time"  # Java prints GMT for a zero offset and +HHMM otherwise
_PATTERN = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*|.", re.S)
UNITS = {
    "NANOS": ("microseconds", 1e-3),
    "MICROS": ("microseconds", 1),
    "MILLIS": ("milliseconds", 1),
    "SECONDS": ("seconds", 1),
    "MINUTES": ("minutes", 1),
    "HOURS": ("hours", 1),
    "HALF_DAYS": ("hours", 12),
    "DAYS": ("days", 1),
    "WEEKS": ("days", 7),
    "MONTHS": ("months", 1),
    "YEARS": ("months", 12),
    "DECADES": ("months", 120),
    "CENTURIES": ("months", 1200),
}


@functools.lru_cache(maxsize=256)
def zone(name: str | None) -> dt.tzinfo | None:
    if name is None:
        return None
    if name in ("UTC", "Z", "GMT"):
        return UTC
    m = re.fullmatch(r"(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?", name)
    if m:
        delta = dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0))
        return dt.timezone(delta if m.group(1) == "+" else -delta)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ExpressionError(
            f"unknown time zone {name!r}", fix="use an IANA zone id such as 'Europe/Paris' or 'UTC'"
        ) from None


@functools.lru_cache(maxsize=256)
def _tokens(pattern: str) -> list[tuple[str, int | str]]:
    out: list[tuple[str, int | str]] = []
    for m in _PATTERN.finditer(pattern):
        text = m.group(0)
        if text.startswith("'"):
            out.append(("lit", "'" if text == "''" else text[1:-1].replace("''", "'")))
        elif m.group(1):
            out.append((m.group(1), len(text)))
        else:
            out.append(("lit", text))
    return out


def _offset_text(value: dt.datetime, letter: str, count: int) -> str:
    off = value.utcoffset() or dt.timedelta(0)
    total = int(off.total_seconds())
    if letter == "X" and total == 0:
        return "Z"
    sign = "+" if total >= 0 else "-"
    hours, minutes = divmod(abs(total) // 60, 60)
    if letter in "Xx":
        if count == 1:
            return f"{sign}{hours:02d}" + (f"{minutes:02d}" if minutes else "")
        return f"{sign}{hours:02d}{':' if count % 2 else ''}{minutes:02d}"
    if letter == "Z":
        return (
            f"{sign}{hours:02d}:{minutes:02d}" if count == 5 else f"{sign}{hours:02d}{minutes:02d}"
        )
    return (
        "GMT" if total == 0 else f"GMT{sign}{hours}" + (f":{minutes:02d}" if minutes else "")
    )  # O


def format_java(value: dt.datetime, pattern: str) -> str:
    """Format with a Java DateTimeFormatter pattern (or a Kestra named format)."""
    if pattern == RFC_1123:
        offset = value.utcoffset()
        return format_java(value, "EEE, d MMM yyyy HH:mm:ss ") + (
            "GMT" if not offset else format_java(value, "Z")
        )
    pattern = NAMED_FORMATS.get(pattern, pattern)
    out: list[str] = []
    for letter, count in _tokens(pattern):
        if letter == "lit":
            out.append(count)  # type: ignore[arg-type]
        elif letter in "yu":
            out.append(f"{value.year % 100:02d}" if count == 2 else f"{value.year:0{count}d}")
        elif letter in "ML":
            out.append(
                calendar.month_name[value.month]
                if count >= 4
                else calendar.month_abbr[value.month]
                if count == 3
                else f"{value.month:0{count}d}"
            )
        elif letter == "d":
            out.append(f"{value.day:0{count}d}")
        elif letter == "D":
            out.append(f"{value.timetuple().tm_yday:0{count}d}")
        elif letter == "E":
            out.append(
                calendar.day_name[value.weekday()]
                if count >= 4
                else calendar.day_abbr[value.weekday()]
            )
        elif letter == "a":
            out.append("AM" if value.hour < 12 else "PM")
        elif letter == "H":
            out.append(f"{value.hour:0{count}d}")
        elif letter == "k":
            out.append(f"{value.hour or 24:0{count}d}")
        elif letter == "h":
            out.append(f"{(value.hour % 12) or 12:0{count}d}")
        elif letter == "K":
            out.append(f"{value.hour % 12:0{count}d}")
        elif letter == "m":
            out.append(f"{value.minute:0{count}d}")
        elif letter == "s":
            out.append(f"{value.second:0{count}d}")
        elif letter == "S":
            out.append(f"{value.microsecond:06d}000"[:count].ljust(count, "0"))
        elif letter == "n":
            out.append(str(value.microsecond * 1000))
        elif letter in "XxZO":
            out.append(_offset_text(value, letter, count))
        elif letter == "z":
            out.append(
                value.tzname() or "UTC"
                if count < 4
                else str(getattr(value.tzinfo, "key", value.tzname()))
            )
        elif letter == "V":
            out.append(
                getattr(value.tzinfo, "key", None)
                or ("Z" if value.utcoffset() == dt.timedelta(0) else value.tzname())
            )
        elif letter == "G":
            out.append("AD")
        else:
            raise ExpressionError(f"unsupported date pattern letter {letter!r} in {pattern!r}")
    return "".join(out)


def _parse_regex(pattern: str) -> tuple[re.Pattern, list[tuple[str, int]]]:
    parts, fields = [], []
    pattern = (
        "EEE, d MMM yyyy HH:mm:ss z" if pattern == RFC_1123 else NAMED_FORMATS.get(pattern, pattern)
    )
    for letter, count in _tokens(pattern):
        if letter == "lit":
            parts.append(re.escape(count))  # type: ignore[arg-type]
            continue
        fields.append((letter, count))
        name = f"f{len(fields)}"
        if letter in "ML" and count >= 3:
            names = "|".join(calendar.month_name[1:] if count >= 4 else calendar.month_abbr[1:])
            parts.append(f"(?P<{name}>{names})")
        elif letter == "E":
            parts.append(f"(?P<{name}>[A-Za-z]+)")
        elif letter == "a":
            parts.append(f"(?P<{name}>AM|PM|am|pm)")
        elif letter in "XxZ":
            parts.append(f"(?P<{name}>Z|[+-]\\d{{2}}(?::?\\d{{2}})?)")
        elif letter in "zV":
            parts.append(f"(?P<{name}>[A-Za-z_/]+|[+-]\\d{{2}}:?\\d{{2}})")
        elif letter == "S":
            parts.append(f"(?P<{name}>\\d{{{count}}})")
        else:
            parts.append(
                f"(?P<{name}>\\d{{{count},{max(count, 4) if letter in 'yu' else max(count, 2)}}})"
            )
    return re.compile("".join(parts), re.I), fields


def parse_java(text: str, pattern: str) -> dt.datetime:
    """Parse text with a Java pattern; naive unless the pattern carries an offset or zone."""
    regex, fields = _parse_regex(pattern)
    m = regex.fullmatch(text.strip())
    if not m:
        raise ExpressionError(f"{text!r} does not match the date format {pattern!r}")
    parts = {
        "year": 1970,
        "month": 1,
        "day": 1,
        "hour": 0,
        "minute": 0,
        "second": 0,
        "microsecond": 0,
    }
    tz: dt.tzinfo | None = None
    pm = None
    for i, (letter, count) in enumerate(fields, 1):
        raw = m.group(f"f{i}")
        if letter in "yu":
            parts["year"] = int(raw) + (2000 if count == 2 else 0)
        elif letter in "ML":
            parts["month"] = (
                int(raw)
                if count < 3
                else [
                    n.lower() for n in (calendar.month_name if count >= 4 else calendar.month_abbr)
                ].index(raw.lower())
            )
        elif letter == "d":
            parts["day"] = int(raw)
        elif letter in "Hk":
            parts["hour"] = int(raw) % 24
        elif letter in "hK":
            parts["hour"] = int(raw) % 12
        elif letter == "a":
            pm = raw.upper() == "PM"
        elif letter == "m":
            parts["minute"] = int(raw)
        elif letter == "s":
            parts["second"] = int(raw)
        elif letter == "S":
            parts["microsecond"] = int(raw.ljust(6, "0")[:6])
        elif letter in "XxZ":
            tz = UTC if raw.upper() == "Z" else zone(raw)
        elif letter in "zV":
            tz = zone(raw)
    if pm is not None and pm:
        parts["hour"] += 12
    return dt.datetime(**parts, tzinfo=tz)


def _from_epoch(number: int | float) -> dt.datetime:
    """Epoch numbers: seconds, millis, micros or nanos, guessed from the magnitude as Kestra does."""
    if isinstance(number, float) and abs(number) < 1e11:
        return dt.datetime.fromtimestamp(number, UTC)
    n = int(number)
    if abs(n) < 10**11:
        return dt.datetime.fromtimestamp(n, UTC)
    if abs(n) < 10**14:
        return dt.datetime.fromtimestamp(n // 1000, UTC).replace(microsecond=(n % 1000) * 1000)
    if abs(n) < 10**17:
        return dt.datetime.fromtimestamp(n // 10**6, UTC).replace(microsecond=n % 10**6)
    seconds, rest = divmod(n, 10**9)
    micros = rest // 1000 if rest % 1000 == 0 else rest % 10**6
    return dt.datetime.fromtimestamp(seconds, UTC).replace(microsecond=micros)


def to_datetime(
    value: Any, time_zone: str | None = None, existing_format: str | None = None
) -> dt.datetime:
    """Any date-ish value as an aware datetime in the target zone (LocalDateTime read IN that zone)."""
    tz = zone(time_zone)
    if isinstance(value, str):
        text = value.strip()
        if existing_format:
            parsed = parse_java(text, existing_format)
        else:
            try:
                parsed = dt.datetime.fromisoformat(text.replace("z", "Z"))
            except ValueError:
                raise ExpressionError(
                    f"{value!r} is not an ISO date; give its format with existingFormat="
                ) from None
        value = parsed
    if isinstance(value, bool):
        raise ExpressionError("a boolean is not a date")
    if isinstance(value, (int, float)):
        value = _from_epoch(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=tz or UTC)
        return value.astimezone(tz) if tz else value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=tz or UTC)
    raise ExpressionError(f"cannot read {V.type_name(value)} {V.to_text(value)!r} as a date")


def date(
    value: Any,
    format: str = "iso",
    timeZone: str | None = None,  # noqa: A002,N803 - Pebble names
    existingFormat: str | None = None,
    locale: str | None = None,
) -> Any:  # noqa: N803
    if value is None:
        return None
    return format_java(to_datetime(value, timeZone, existingFormat), format)


def _add_months(value: dt.datetime, months: int) -> dt.datetime:
    total = value.year * 12 + value.month - 1 + months
    year, month = divmod(total, 12)
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


def add(value: dt.datetime, amount: int, unit: str) -> dt.datetime:
    """ZonedDateTime.plus: calendar units keep the wall clock, time units add exact durations."""
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise ExpressionError(
            f"dateAdd amount must be an integer, got {V.type_name(amount)} {V.to_text(amount)!r}"
        )
    if unit.upper() not in UNITS:
        raise ExpressionError(
            f"unknown dateAdd unit {unit!r}", fix=f"use one of {', '.join(UNITS)}"
        )
    field, factor = UNITS[unit.upper()]
    if field == "months":
        return _add_months(value, int(amount * factor))
    if field == "days":
        return value + dt.timedelta(days=amount * factor)
    tz = value.tzinfo
    return (value.astimezone(UTC) + dt.timedelta(**{field: amount * factor})).astimezone(tz)


def date_add(
    value: Any,
    amount: Any,
    unit: str,
    format: str = "iso",
    timeZone: str | None = None,  # noqa: A002,N803
    existingFormat: str | None = None,
) -> Any:  # noqa: N803
    if value is None:
        return None
    return format_java(add(to_datetime(value, timeZone, existingFormat), amount, unit), format)


def _timestamp(scale: int):
    def timestamp(
        value: Any, timeZone: str | None = None, existingFormat: str | None = None
    ) -> Any:  # noqa: N803
        if value is None:
            return None
        when = to_datetime(value, timeZone, existingFormat)
        delta = when - dt.datetime(1970, 1, 1, tzinfo=UTC)
        micros = (delta.days * 86400 + delta.seconds) * 10**6 + delta.microseconds
        return micros * 1000 // scale if scale <= 1000 else micros // (scale // 1000)

    return timestamp


def _day_value(value: Any) -> dt.datetime:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return dt.datetime.fromisoformat(value.strip())
    return to_datetime(value)


FILTERS = {
    "date": date,
    "dateAdd": date_add,
    "timestamp": _timestamp(10**9),
    "timestampMilli": _timestamp(10**6),
    "timestampMicro": _timestamp(10**3),
    "timestampNano": _timestamp(1),
}


def now(ctx: Any, format: str = "iso", timeZone: str | None = None) -> str:  # noqa: A002,N803
    current = ctx.fx.now()
    tz = zone(timeZone)
    return format_java(current.astimezone(tz) if tz else current, format)


FUNCTIONS = {
    "now": now,
    "dayOfWeek": lambda ctx, date: calendar.day_name[_day_value(date).weekday()].upper(),
    "isWeekend": lambda ctx, date: _day_value(date).weekday() >= 5,
    "hourOfDay": lambda ctx, date: _day_value(date).hour,
    "dayOfMonth": lambda ctx, date: _day_value(date).day,
    "monthOfYear": lambda ctx, date: _day_value(date).month,
}
