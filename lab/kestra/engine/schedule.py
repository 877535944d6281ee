"""Kestra's Schedule trigger (`io.kestra.plugin.core.trigger.Schedule`) on the engine's clock.

As Kestra's scheduler does: a Unix cron expression (five fields, or six with `withSeconds: true`;
the nicknames `@yearly`/`@annually`, `@monthly`, `@weekly`, `@daily`/`@midnight`, `@hourly`)
read in the trigger's `timezone` (default `Etc/UTC`); a trigger starts counting from when its flow
is deployed (Kestra starts a new trigger from the current date, no backfill); when the clock moves,
every date it passes fires, in order, as a scheduler running all that time would have fired them
(so `recoverMissedSchedules`, about a scheduler that was down, does not apply). Each scheduled execution gets the trigger variables `date`,
`next` and `previous` (ISO-8601 in the trigger's zone) and the trigger's rendered `inputs`.
The lab's virtual clock moves by `/advance`, which fires the schedules that came due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lab.errors import ConfigError
from lab.kestra.engine.flow import FlowDef

SCHEDULE_TYPES = (
    "io.kestra.plugin.core.trigger.Schedule",
    "io.kestra.core.models.triggers.types.Schedule",
)
NICKNAMES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
# A clock move fires at most this many dates of one trigger (a minute cron over a year is 525,600).
MAX_FIRES = 1000
_MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
_DAYS = "SUN MON TUE WED THU FRI SAT".split()


@dataclass(frozen=True, slots=True)
class Cron:
    """A parsed cron expression: the allowed values of each field."""

    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool  # day of month is `*` (then only the weekday restricts, as Vixie cron reads it)
    any_weekday: bool

    def day_matches(self, day: datetime) -> bool:
        if day.month not in self.months:
            return False
        dom, dow = day.day in self.days, (day.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return dom and dow
        return dom or dow  # both restricted: either one (Unix cron)

    def next_after(self, moment: datetime) -> datetime:
        """The first scheduled time strictly after `moment` (an aware datetime in the cron's zone)."""
        start = moment.replace(microsecond=0) + timedelta(seconds=1)
        day = start.replace(hour=0, minute=0, second=0)
        for _ in range(366 * 5):  # every cron matches within a few years (29 Feb: four)
            if self.day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        for second in sorted(self.seconds):
                            when = day.replace(hour=hour, minute=minute, second=second)
                            if when >= start:
                                return when
            day = (day + timedelta(days=1)).replace(hour=0, minute=0, second=0)
        raise ConfigError("this cron expression never matches a date", fix="check its fields")


def parse_cron(text: str, *, with_seconds: bool = False, where: str | None = None) -> Cron:
    """A cron expression as Kestra reads it; a ConfigError names the field that is wrong."""
    expression = NICKNAMES.get(text.strip().lower(), text.strip())
    fields = expression.split()
    want = 6 if with_seconds else 5
    if len(fields) != want:
        raise ConfigError(
            f"cron {text!r} has {len(fields)} fields, a Schedule wants {want}"
            + (" (withSeconds: true)" if with_seconds else ""),
            where=where,
            fix="minute hour day-of-month month day-of-week, e.g. '0 9 * * MON-FRI', or a "
            "nickname (@hourly, @daily, @weekly, @monthly, @yearly)",
        )
    if not with_seconds:
        fields = ["0", *fields]
    names = (None, None, None, None, _MONTHS, _DAYS)
    limits = ((0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
    sets = [
        _field(value, low, high, words, text, where)
        for value, (low, high), words in zip(fields, limits, names)
    ]
    weekdays = frozenset(d % 7 for d in sets[5])  # 7 is Sunday too
    return Cron(
        sets[0], sets[1], sets[2], sets[3], sets[4], weekdays,
        any_day=fields[3] in ("*", "?"),
        any_weekday=fields[5] in ("*", "?"),
    )  # fmt: skip


def _field(
    value: str, low: int, high: int, words: list[str] | None, text: str, where: str | None
) -> frozenset[int]:
    def number(part: str) -> int:
        if words and part.upper() in words:
            return words.index(part.upper()) + (1 if words is _MONTHS else 0)
        if not part.isdigit() or not low <= int(part) <= high:
            raise ConfigError(
                f"cron {text!r}: {part!r} is not a value from {low} to {high}",
                where=where,
                fix="write numbers in the field's range (names for months and weekdays)",
            )
        return int(part)

    out: set[int] = set()
    for item in value.split(","):
        base, _, step = item.partition("/")
        if base in ("*", "?"):
            first, last = low, high
        elif "-" in base:
            a, _, b = base.partition("-")
            first, last = number(a), number(b)
        else:
            first = last = number(base)
            if step:
                last = high
        every = number(step) if step else 1
        out.update(range(first, last + 1, max(every, 1)))
    return frozenset(out)


def zone(name: str | None, where: str | None = None) -> ZoneInfo:
    """The trigger's time zone (Etc/UTC when none is given)."""
    try:
        return ZoneInfo(name or "Etc/UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown time zone {name!r}",
            where=where,
            fix="an IANA zone id such as America/Sao_Paulo or Etc/UTC",
        ) from None


def due_dates(cron: Cron, tz: ZoneInfo, after: float, until: float) -> list[datetime]:
    """The scheduled dates in (after, until], in order (at most MAX_FIRES)."""
    dates: list[datetime] = []
    moment = datetime.fromtimestamp(after, tz)
    while len(dates) < MAX_FIRES:
        moment = cron.next_after(moment)
        if moment.timestamp() > until:
            break
        dates.append(moment)
    return dates


@dataclass(frozen=True, slots=True)
class ScheduleTrigger:
    """One Schedule trigger of a deployed flow, read once at deploy."""

    namespace: str
    flow_id: str
    id: str
    type: str
    cron: Cron
    tz: ZoneInfo
    inputs: Any
    unsupported: tuple[str, ...] = ()  # properties the engine does not evaluate (see UNSUPPORTED)


# Schedule properties the engine does not evaluate: such a trigger deploys (validation and a real
# Kestra take it), and a clock move that reaches one of its dates says it did not fire.
UNSUPPORTED = ("conditions", "backfill", "stopAfter", "scheduleConditions")


class Scheduler:
    """The engine's scheduler: which Schedule triggers exist and up to when each has fired."""

    def __init__(self) -> None:
        self._triggers: dict[tuple[str, str, str], ScheduleTrigger] = {}
        self._fired_until: dict[tuple[str, str, str], float] = {}

    def track(self, flow: FlowDef, now: float) -> None:
        """Read the flow's Schedule triggers (a new one counts from now, as on Kestra)."""
        where = f"{flow.namespace}.{flow.id}"
        for key in [k for k in self._triggers if k[:2] == (flow.namespace, flow.id)]:
            del self._triggers[key]
        for trigger in flow.triggers:
            if trigger.type not in SCHEDULE_TYPES or trigger.disabled:
                continue
            props = trigger.props
            cron = parse_cron(
                str(props.get("cron") or ""),
                with_seconds=bool(props.get("withSeconds")),
                where=f"{where}, trigger {trigger.id}",
            )
            key = (flow.namespace, flow.id, trigger.id)
            self._triggers[key] = ScheduleTrigger(
                flow.namespace,
                flow.id,
                trigger.id,
                trigger.type,
                cron,
                zone(props.get("timezone"), where),
                props.get("inputs"),
                tuple(name for name in UNSUPPORTED if props.get(name)),
            )
            self._fired_until.setdefault(key, now)

    def due(self, now: float) -> list[tuple[ScheduleTrigger, datetime, dict[str, str]]]:
        """Every (trigger, date, trigger variables) the clock passed, in date order; marks them."""
        found = []
        for key, trigger in self._triggers.items():
            after = self._fired_until.get(key, now)
            dates = due_dates(trigger.cron, trigger.tz, after, now)
            for i, date in enumerate(dates):
                previous = dates[i - 1] if i else _previous(trigger, date)
                found.append(
                    (
                        trigger,
                        date,
                        {
                            "date": date.isoformat(),
                            "next": trigger.cron.next_after(date).isoformat(),
                            "previous": previous.isoformat(),
                        },
                    )
                )
            self._fired_until[key] = now
        return sorted(found, key=lambda item: item[1].timestamp())


def _previous(trigger: ScheduleTrigger, date: datetime) -> datetime:
    """The scheduled date before `date` (searched a minute back, then further)."""
    for seconds in (60, 3600, 86400, 8 * 86400, 32 * 86400, 367 * 86400, 5 * 366 * 86400):
        candidates = due_dates(
            trigger.cron, trigger.tz, date.timestamp() - seconds, date.timestamp() - 1
        )
        if candidates:
            return candidates[-1]
    return date
