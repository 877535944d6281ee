"""Kestra's date filters and functions (reading dates; formatting lives in `date_formats`)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any

from lab.kestra.expr import values as V
from lab.kestra.expr.date_formats import (
    ISO_FORMATS,
    NAMED_FORMATS,
    RFC_1123,
    format_java,
    tokens,
    writes_names,
    zone,
)
from lab.kestra.expr.errors import ExpressionError

UTC = dt.timezone.utc
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
    "MILLENNIA": ("months", 12000),
}


def _parse_regex(pattern: str) -> tuple[re.Pattern, list[tuple[str, int]]]:
    parts, fields = [], []
    pattern = (
        "EEE, d MMM yyyy HH:mm:ss z" if pattern == RFC_1123 else NAMED_FORMATS.get(pattern, pattern)
    )
    for letter, count in tokens(pattern):
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


def _parse_iso(text: str, name: str) -> dt.datetime:
    """An ISO formatter as the existingFormat: the text read as ISO, a `[Region]` suffix naming the zone."""
    region = re.search(r"\[([^\]]+)\]$", text)
    body = text[: region.start()] if region else text
    try:
        if name == "iso_instant" and not body.upper().endswith("Z"):
            raise ValueError
        if name in ("iso_local_time", "iso_time", "iso_offset_time"):
            when = dt.time.fromisoformat(body.replace("z", "Z"))
            parsed = dt.datetime.combine(dt.date(1970, 1, 1), when)
        else:
            parsed = dt.datetime.fromisoformat(body.replace("z", "Z"))
    except ValueError:
        raise ExpressionError(f"{text!r} does not match the date format {name!r}") from None
    if region:
        tz = zone(region.group(1))
        parsed = parsed.astimezone(tz) if parsed.tzinfo else parsed.replace(tzinfo=tz)
    return parsed


def parse_java(text: str, pattern: str) -> dt.datetime:
    """Parse text with a Java pattern; naive unless the pattern carries an offset or zone."""
    if pattern in ISO_FORMATS:
        return _parse_iso(text.strip(), pattern)
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
    if locale is not None:
        check_locale(str(locale), format)
    return format_java(
        in_print_zone(to_datetime(value, timeZone, existingFormat), timeZone), format
    )


def in_print_zone(value: dt.datetime, time_zone: str | None) -> dt.datetime:
    """AbstractDate formats with `withZone(timeZone or the system zone)`: without a timeZone a date
    carrying its own offset prints in the server's zone, UTC here (the engine's clock is UTC)."""
    return value if time_zone is not None else value.astimezone(UTC)


def check_locale(locale: str, pattern: str) -> None:
    """AbstractDate's `locale`: names of months and days are written in English only here, so another
    language is refused where the format writes a name (numbers read the same in every locale)."""
    if re.match(r"(?i)en([_-]|$)", locale) or not writes_names(pattern):
        return
    raise ExpressionError(
        f"date(locale={locale!r}): the embedded engine writes month and day names in English only",
        fix="drop `locale` or use a numeric pattern such as 'dd/MM/yyyy'; real Kestra translates them",
    )


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
    if unit not in UNITS:  # ChronoUnit.valueOf: the exact upper-case name
        raise ExpressionError(
            f"No enum constant java.time.temporal.ChronoUnit.{unit}",
            fix=f"dateAdd's unit is one of {', '.join(UNITS)} (upper case)",
        )
    field, factor = UNITS[unit]
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
    locale: str | None = None,
) -> Any:  # noqa: N803
    """DateAddFilter: amount and unit (ChronoUnit), then AbstractDate's format arguments."""
    if value is None:
        return None
    if locale is not None:
        check_locale(str(locale), format)
    added = add(to_datetime(value, timeZone, existingFormat), amount, unit)
    return format_java(in_print_zone(added, timeZone), format)


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
}
