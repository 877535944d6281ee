"""Java `DateTimeFormatter` output on Python datetimes: patterns, Kestra's named formats (AbstractDate)
and the ISO formatters and localized styles they name."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lab.kestra.expr.errors import ExpressionError

UTC = dt.timezone.utc
NAMED_FORMATS = {  # Kestra's patterns (AbstractDate); the ISO names are Java formatters, see ISO_FORMATS
    "iso": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
    "iso_milli": "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    "iso_sec": "yyyy-MM-dd'T'HH:mm:ssXXX",
    "sql": "yyyy-MM-dd HH:mm:ss.SSSSSS",
    "sql_milli": "yyyy-MM-dd HH:mm:ss.SSS",
    "sql_sec": "yyyy-MM-dd HH:mm:ss",
}
RFC_1123 = "rfc_1123_date_time"  # Java prints GMT for a zero offset and +HHMM otherwise
_PATTERN = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*|.", re.S)


@functools.lru_cache(maxsize=256)
def zone(name: str | None) -> dt.tzinfo | None:
    """Java's ZoneId.of: `Z` and `+02:00` are offsets, `UTC`, `GMT` and `Europe/Paris` are regions
    (a region is what ISO_ZONED_DATE_TIME prints in brackets)."""
    if name is None:
        return None
    if name == "Z":
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
def tokens(pattern: str) -> list[tuple[str, int | str]]:
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
    iso = ISO_FORMATS.get(pattern)
    if iso is not None:
        return iso(value)
    style = STYLES.get(pattern)
    if style is not None:
        return style(value)
    pattern = NAMED_FORMATS.get(pattern, pattern)
    out: list[str] = []
    for letter, count in tokens(pattern):
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
        elif letter in "Qq" and count <= 2:
            out.append(f"{(value.month - 1) // 3 + 1:0{count}d}")
        elif letter in _JAVA_LETTERS:  # Y w W e c F depend on the JVM's locale: not guessed here
            raise ExpressionError(
                f"the date pattern letter {letter!r} (in {pattern!r}) is not supported by the "
                "embedded engine",
                fix="use the usual letters (yyyy MM dd HH mm ss SSS XXX) or a named format",
            )
        else:
            raise ExpressionError(
                f"Unknown pattern letter: {letter}",
                fix=f"{pattern!r} is neither a Java date pattern nor one of Kestra's named formats "
                f"({', '.join(sorted([*NAMED_FORMATS, *ISO_FORMATS, *STYLES, RFC_1123]))})",
            )
    return "".join(out)


_JAVA_LETTERS = frozenset("GuyDMLdQqYwWEecFaBhKkHmsSAnNVvzOXxZp")


# ----------------------------------------------------------------------------- Java's ISO formatters
def _fraction(value: dt.datetime) -> str:
    """appendFraction(NANO_OF_SECOND, 0, 9, true): the digits the value needs, none when zero."""
    if not value.microsecond:
        return ""
    return "." + f"{value.microsecond:06d}".rstrip("0")


def _offset_id(value: dt.datetime) -> str:
    """appendOffsetId: `Z` for zero, else `+HH:MM` (`:ss` when the offset has seconds)."""
    total = int((value.utcoffset() or dt.timedelta(0)).total_seconds())
    if total == 0:
        return "Z"
    sign = "+" if total >= 0 else "-"
    hours, rest = divmod(abs(total), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")


def _region(value: dt.datetime) -> str:
    """The optional `[Europe/Paris]` of ISO_DATE_TIME: printed for a region, not for an offset."""
    key = getattr(value.tzinfo, "key", None)
    return f"[{key}]" if key else ""


def _local_date(value: dt.datetime) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def _local_time(value: dt.datetime) -> str:
    return f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}{_fraction(value)}"


def _instant(value: dt.datetime) -> str:
    """ISO_INSTANT: UTC, the fraction in groups of three digits (none when zero)."""
    utc = value.astimezone(UTC)
    frac = ""
    if utc.microsecond:
        digits = f"{utc.microsecond:06d}"
        frac = "." + (digits[:3] if digits.endswith("000") else digits)
    return f"{_local_date(utc)}T{_local_time(utc.replace(microsecond=0))}{frac}Z"


def _week_date(value: dt.datetime) -> str:
    year, week, day = value.isocalendar()
    return f"{year:04d}-W{week:02d}-{day}{_offset_id(value)}"


ISO_FORMATS = {  # Java's DateTimeFormatter.ISO_* constants, by the names Kestra gives them
    "iso_local_date": _local_date,
    "iso_date": lambda v: _local_date(v) + _offset_id(v),
    "iso_local_time": _local_time,
    "iso_time": lambda v: _local_time(v) + _offset_id(v),
    "iso_offset_time": lambda v: _local_time(v) + _offset_id(v),
    "iso_local_date_time": lambda v: f"{_local_date(v)}T{_local_time(v)}",
    "iso_date_time": lambda v: f"{_local_date(v)}T{_local_time(v)}{_offset_id(v)}{_region(v)}",
    "iso_zoned_date_time": lambda v: f"{_local_date(v)}T{_local_time(v)}{_offset_id(v)}{_region(v)}",
    "iso_instant": _instant,
    "iso_ordinal_date": lambda v: f"{v.year:04d}-{v.timetuple().tm_yday:03d}{_offset_id(v)}",
    "iso_week_date": _week_date,
}


# ----------------------------------------------------------------------------- localized styles
NNBSP = "\u202f"  # CLDR (Java 20+) puts a narrow no-break space before AM/PM


def _clock(value: dt.datetime, seconds: bool) -> str:
    text = f"{(value.hour % 12) or 12}:{value.minute:02d}"
    return (
        text
        + (f":{value.second:02d}" if seconds else "")
        + NNBSP
        + ("AM" if value.hour < 12 else "PM")
    )


def _long_style(value: dt.datetime) -> str:
    date = f"{calendar.month_name[value.month]} {value.day}, {value.year}"
    return f"{date} at {_clock(value, True)} {value.tzname() or 'UTC'}"


def _full_style(value: dt.datetime) -> str:
    if value.utcoffset() != dt.timedelta(0):
        raise ExpressionError(
            "the 'full' date style prints the zone's long name, which the embedded engine lacks "
            "outside UTC",
            fix="use 'long' (abbreviated zone) or a pattern such as \"EEEE, MMMM d, yyyy HH:mm\"",
        )
    day = calendar.day_name[value.weekday()]
    date = f"{day}, {calendar.month_name[value.month]} {value.day}, {value.year}"
    return f"{date} at {_clock(value, True)} Coordinated Universal Time"


STYLES = {  # FormatStyle, as DateTimeFormatter.ofLocalizedDateTime prints it in English (en-US)
    "short": lambda v: f"{v.month}/{v.day}/{v.year % 100:02d}, {_clock(v, False)}",
    "medium": lambda v: f"{calendar.month_abbr[v.month]} {v.day}, {v.year}, {_clock(v, True)}",
    "long": _long_style,
    "full": _full_style,
}


def writes_names(pattern: str) -> bool:
    """Whether a format writes a month, day, era or AM/PM name (text a locale would translate)."""
    if pattern in STYLES or pattern == RFC_1123:
        return True
    if pattern in ISO_FORMATS or pattern in NAMED_FORMATS:
        return False
    return any(
        letter in "EaGzB" or (letter in "ML" and isinstance(count, int) and count >= 3)
        for letter, count in tokens(pattern)
    )
