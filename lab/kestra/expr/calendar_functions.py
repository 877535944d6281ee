"""Kestra's calendar functions (DayOfWeekFunction, IsWeekendFunction, HourOfDayFunction, ...,
IsDateAfterFunction, IsDateBetweenFunction, IsDayWeekInMonthFunction, IsLastWorkingDayFunction):
questions about one date, asked of its text as written (no move to UTC unless the class says so)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any, Callable

from lab.kestra.expr import values as V
from lab.kestra.expr.errors import ExpressionError

UTC = dt.timezone.utc
DAYS = tuple(name.upper() for name in calendar.day_name)  # MONDAY .. SUNDAY
POSITIONS = ("FIRST", "SECOND", "THIRD", "FOURTH", "LAST")


def _text(value: Any) -> str:
    """Java's toString of the argument (a date object prints as Java prints it)."""
    return value if isinstance(value, str) else V.to_text(value)


def _required(name: str, arg: str, value: Any) -> None:
    if value is None:
        raise ExpressionError(f"The '{name}()' function expects a '{arg}' argument.")


def _unparsable(name: str, arg: str, text: str) -> ExpressionError:
    return ExpressionError(
        f"The '{name}()' function could not parse '{arg}': Text '{text}' could not be parsed",
        fix="give an ISO 8601 date or date-time such as 2025-01-06 or 2025-01-06T14:30:00+02:00",
    )


def _datetime(text: str) -> dt.datetime:
    """ISO 8601 date or date-time, an optional `[Region]` suffix dropped; raises ValueError."""
    body = re.sub(r"\[[^\]]+\]$", "", text.strip())
    return dt.datetime.fromisoformat(body.replace("z", "Z"))


def local_date(name: str, value: Any, arg: str = "date") -> dt.date:
    """DateUtils.parseLocalDate: the date part as written."""
    _required(name, arg, value)
    text = _text(value)
    try:
        return _datetime(text).date()
    except ValueError:
        raise _unparsable(name, arg, text) from None


def instant(name: str, value: Any, arg: str) -> dt.datetime:
    """DateUtils.parseInstant: a naive date-time or a plain date is read as UTC."""
    _required(name, arg, value)
    text = _text(value)
    try:
        parsed = _datetime(text)
    except ValueError:
        raise ExpressionError(
            f"The '{name}()' function could not parse a date argument: '{text}' is not an ISO 8601 "
            "date or date-time"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _zoned_instant(name: str, value: Any, arg: str) -> dt.datetime:
    """TypeConverter.toZonedDateTime: a date-time with an offset (or a date-time value)."""
    _required(name, arg, value)
    if isinstance(value, dt.datetime) and value.tzinfo:
        return value
    text = _text(value)
    try:
        parsed = _datetime(text)
        if parsed.tzinfo is None or "T" not in text.upper():
            raise ValueError
    except ValueError:
        raise ExpressionError(
            f"The '{name}()' function could not parse '{arg}': '{text}' is not an ISO 8601 "
            "date-time with an offset",
            fix="write it with its offset, e.g. 2026-01-01T00:00:00Z",
        ) from None
    return parsed


def hour_of_day(ctx: Any, date: Any = None) -> int:
    """HourOfDayFunction: a date-time (zoned or local), the hour as written; a plain date is refused."""
    _required("hourOfDay", "date", date)
    text = _text(date)
    if "T" not in text.upper():
        raise _unparsable("hourOfDay", "date", text)
    try:
        return _datetime(text).hour
    except ValueError:
        raise _unparsable("hourOfDay", "date", text) from None


def _day_of_week(value: Any, name: str, arg: str = "dayOfWeek") -> int:
    text = _text(value).upper()
    if text not in DAYS:
        raise ExpressionError(
            f"The '{name}()' function received an invalid '{arg}' value: '{value}'. "
            f"Expected one of: {', '.join(DAYS)}."
        )
    return DAYS.index(text)


def is_day_week_in_month(
    ctx: Any, date: Any = None, dayOfWeek: Any = None, position: Any = None
) -> bool:  # noqa: N803
    """IsDayWeekInMonthFunction: the date is the FIRST..FOURTH or LAST such weekday of its month."""
    name = "isDayWeekInMonth"
    day = local_date(name, date)
    _required(name, "dayOfWeek", dayOfWeek)
    _required(name, "position", position)
    weekday = _day_of_week(dayOfWeek, name)
    where = _text(position).upper()
    if where not in POSITIONS:
        raise ExpressionError(
            f"The '{name}()' function received an invalid 'position' value: '{position}'. "
            f"Expected one of: {', '.join(POSITIONS)}."
        )
    if where == "LAST":
        last = dt.date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
        return day == last - dt.timedelta(days=(last.weekday() - weekday) % 7)
    first = dt.date(day.year, day.month, 1)
    first += dt.timedelta(days=(weekday - first.weekday()) % 7)
    return day == first + dt.timedelta(weeks=POSITIONS.index(where))


def is_last_working_day(ctx: Any, date: Any = None, workingDays: Any = None) -> bool:  # noqa: N803
    """IsLastWorkingDayFunction: Monday to Friday unless `workingDays` ("MONDAY,TUESDAY" or spaces)."""
    name = "isLastWorkingDay"
    day = local_date(name, date)
    working = set(range(5))
    if workingDays is not None and _text(workingDays).strip():
        working = {
            _working_day(part, name) for part in re.split(r"[,\s]+", _text(workingDays)) if part
        }
        if not working:
            raise ExpressionError(
                f"The '{name}()' function requires at least one valid day in 'workingDays'."
            )
    if day.weekday() not in working:
        return False
    candidate = dt.date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
    while candidate.weekday() not in working:
        candidate -= dt.timedelta(days=1)
    return day == candidate


def _working_day(part: str, name: str) -> int:
    if part.upper() not in DAYS:
        raise ExpressionError(
            f"The '{name}()' function received an invalid 'workingDays' value: '{part}'. "
            "Expected day names like MONDAY, TUESDAY, etc."
        )
    return DAYS.index(part.upper())


def _compare(name: str, later: bool) -> Callable:
    """IsDateAfterFunction / IsDateBeforeFunction: strictly after / before, compared as instants."""

    def compare(ctx: Any, date: Any = None, reference: Any = None) -> bool:
        when = instant(name, date, "date")
        other = instant(name, reference, "reference")
        return when > other if later else when < other

    return compare


def is_date_between(ctx: Any, date: Any = None, after: Any = None, before: Any = None) -> bool:
    """IsDateBetweenFunction: strictly after `after` and strictly before `before`, as instants."""
    name = "isDateBetween"
    when = _zoned_instant(name, date, "date")
    low = _zoned_instant(name, after, "after")
    high = _zoned_instant(name, before, "before")
    return low < when < high


FUNCTIONS: dict[str, Callable] = {
    "dayOfWeek": lambda ctx, date=None: DAYS[local_date("dayOfWeek", date).weekday()],
    "isWeekend": lambda ctx, date=None: local_date("isWeekend", date).weekday() >= 5,
    "hourOfDay": hour_of_day,
    "dayOfMonth": lambda ctx, date=None: local_date("dayOfMonth", date).day,
    "monthOfYear": lambda ctx, date=None: local_date("monthOfYear", date).month,
    "isDayWeekInMonth": is_day_week_in_month,
    "isLastWorkingDay": is_last_working_day,
    "isDateAfter": _compare("isDateAfter", later=True),
    "isDateBefore": _compare("isDateBefore", later=False),
    "isDateBetween": is_date_between,
}
