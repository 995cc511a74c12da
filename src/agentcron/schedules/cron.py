"""Cron schedules: 5 fields, or 6 with seconds first, evaluated on the wall clock of a zone.

Fields follow Vixie cron: lists, ranges, steps, month and weekday names
(Sunday is 0 or 7), and the macros @hourly, @daily, @weekly, @monthly, @yearly.
When both day-of-month and day-of-week are restricted, a day matches either.
Extensions: ``L`` as day of month (the last day), ``5L`` (last Friday of the
month) and ``1#2`` (second Monday of the month) as day of week.

The evaluator is ours rather than croniter's or cronsim's: it works on naive
wall times so that the DST rules of ``_zones`` apply unchanged, and it is
several times faster than either (see docs/performance.md).
"""

from __future__ import annotations

import bisect
import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from agentcron.clock import ensure_utc
from agentcron.errors import ScheduleError
from agentcron.plurals import plural
from agentcron.schedules import _words
from agentcron.schedules._base import Schedule, ScheduleKind
from agentcron.schedules._wallclock import next_instant
from agentcron.schedules._zones import get_zone

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTH_ABBREVIATIONS = [
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
]
_MONTHS = {name: i for i, name in enumerate(_MONTH_ABBREVIATIONS, start=1)}
_DAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
_SEARCH_YEARS = 30  # beyond this a cron expression is treated as never firing
_FIELD_TOKEN = re.compile(r"^[0-9a-z*?/,#\-]+$")
_NAME = re.compile(r"[a-z]+")
_CLOCK_TIMES = re.compile(r"^at \d")


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int] = field(default_factory=dict)


_SECOND = _Field("second", 0, 59)
_MINUTE = _Field("minute", 0, 59)
_HOUR = _Field("hour", 0, 23)
_DAY = _Field("day-of-month", 1, 31)
_MONTH = _Field("month", 1, 12, _MONTHS)
_WEEKDAY = _Field("day-of-week", 0, 7, _DAYS)


def looks_like_cron(text: str) -> bool:
    """True for text shaped like a cron expression (a macro, or 5-6 cron-like fields)."""
    stripped = text.strip().lower()
    if re.fullmatch(r"@[a-z]+", stripped):
        return True
    tokens = stripped.split()
    if len(tokens) not in (5, 6) or not all(_FIELD_TOKEN.match(t) for t in tokens):
        return False
    words = {w for t in tokens for w in _NAME.findall(t)}
    return words <= set(_MONTHS) | set(_DAYS) | {"l", "w", "lw"}


@dataclass(frozen=True)
class CronExpression:
    """A parsed cron expression; pure calendar arithmetic on naive wall times."""

    text: str
    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # Python numbering: Monday = 0
    last_day: bool = False
    nth_weekdays: frozenset[tuple[int, int]] = frozenset()  # (weekday, n); n = -1 is the last
    day_restricted: bool = False
    weekday_restricted: bool = False

    @classmethod
    def parse(cls, text: str) -> CronExpression:
        """Parse cron text, raising ScheduleError that names the faulty field."""
        source = " ".join(text.strip().lower().split())
        expanded = MACROS.get(source, source)
        if expanded.startswith("@"):
            raise ScheduleError(
                f"Unknown cron macro '{source}'. Use one of {', '.join(sorted(MACROS))}."
            )
        fields = expanded.split()
        if len(fields) == 5:
            fields.insert(0, "0")
        elif len(fields) != 6:
            raise ScheduleError(
                f"A cron expression has 5 fields (minute hour day month weekday) or 6 with "
                f"seconds first; '{source}' has {len(fields)}."
            )
        sec, minute, hour, dom, month, dow = fields
        days, last_day = _parse_days(dom)
        weekdays, nth = _parse_weekdays(dow)
        return cls(
            text=source,
            seconds=tuple(sorted(_parse_field(sec, _SECOND))),
            minutes=tuple(sorted(_parse_field(minute, _MINUTE))),
            hours=tuple(sorted(_parse_field(hour, _HOUR))),
            days=frozenset(days),
            months=frozenset(_parse_field(month, _MONTH)),
            weekdays=frozenset(weekdays),
            last_day=last_day,
            nth_weekdays=frozenset(nth),
            day_restricted=not dom.startswith(("*", "?")),
            weekday_restricted=not dow.startswith(("*", "?")),
        )

    def matches_day(self, day: date) -> bool:
        """Vixie's rule: a day matches both day fields, or either when neither starts with '*'."""
        by_day = day.day in self.days or (
            self.last_day and day.day == calendar.monthrange(day.year, day.month)[1]
        )
        by_weekday = day.weekday() in self.weekdays or (
            bool(self.nth_weekdays) and _nth_matches(day, self.nth_weekdays)
        )
        if self.day_restricted and self.weekday_restricted:
            return by_day or by_weekday
        return by_day and by_weekday

    def walls_from(self, start: datetime) -> Iterator[datetime]:
        """Every matching wall time at or after ``start``, in order (for about 30 years)."""
        if start.microsecond:
            start = start.replace(microsecond=0) + timedelta(seconds=1)
        day = start.date()
        first = start.time()
        last_year = day.year + _SEARCH_YEARS
        while day.year <= last_year:
            if day.month not in self.months:
                day = _first_of_next_month(day)
                first = time()
                continue
            if self.matches_day(day):
                for moment in self._times_from(first):
                    yield datetime.combine(day, moment)
            day += timedelta(days=1)
            first = time()

    def _times_from(self, start: time) -> Iterator[time]:
        hours, minutes, seconds = self.hours, self.minutes, self.seconds
        for h in hours[bisect.bisect_left(hours, start.hour) :]:
            same_hour = h == start.hour
            m_from = bisect.bisect_left(minutes, start.minute) if same_hour else 0
            for m in minutes[m_from:]:
                same_minute = same_hour and m == start.minute
                s_from = bisect.bisect_left(seconds, start.second) if same_minute else 0
                for s in seconds[s_from:]:
                    yield time(h, m, s)

    def describe(self) -> str:
        times, days = self._time_phrase(), self._day_phrase()
        if _CLOCK_TIMES.match(times):
            return f"{days} {times}"
        return times if days == "every day" else f"{times}, {days}"

    def _time_phrase(self) -> str:
        hours, minutes, seconds = self.hours, self.minutes, self.seconds
        every_hour = len(hours) == 24
        if len(seconds) == 60 and len(minutes) == 60 and every_hour:
            return "every second"
        if seconds == (0,) and len(minutes) == 60 and every_hour:
            return "every minute"
        if seconds == (0,) and every_hour and (step := _even_step(minutes, 60)):
            return f"every {plural(step, 'minute')}"
        if seconds == (0,) and minutes == (0,) and (step := _even_step(hours, 24)):
            return "every hour" if step == 1 else f"every {step} hours"
        if len(hours) * len(minutes) * len(seconds) <= 6:
            return "at " + _words.clock_times(hours, minutes, seconds)
        parts = []
        if len(seconds) < 60 and seconds != (0,):
            parts.append(f"at second {_list_numbers(seconds)}")
        if len(minutes) < 60:
            parts.append(f"at minute {_list_numbers(minutes)}")
        else:
            parts.append("every minute")
        if not every_hour:
            parts.append(f"of hour {_list_numbers(hours)}")
        return " ".join(parts)

    def _day_phrase(self) -> str:
        day_part = ""
        if self.last_day or len(self.days) < 31:
            names = [_words.ordinal(d) for d in sorted(self.days)] + ["last"] * self.last_day
            day_part = f"on the {_words.join_words(names)} day of the month"
        week_part = ""
        if self.nth_weekdays or len(self.weekdays) < 7:
            nth = [
                f"the {_words.ordinal(n)} {_words.WEEKDAY_NAMES[wd]} of the month"
                for wd, n in sorted(self.nth_weekdays)
            ]
            plain = [_words.weekday_phrase(self.weekdays)] if self.weekdays else []
            week_part = _words.join_words(plain + nth, "or")
            if not plain:
                week_part = f"on {week_part}"
        either = self.day_restricted and self.weekday_restricted
        days = (" or " if either else " if ").join(p for p in (day_part, week_part) if p)
        days = days or "every day"
        if len(self.months) < 12:
            months = [_words.MONTH_NAMES[m - 1] for m in sorted(self.months)]
            days += f" in {_words.join_words(months)}"
        return days


def _even_step(values: tuple[int, ...], span: int) -> int | None:
    """The step of an evenly spaced set starting at 0 that covers the span ('*/15')."""
    if values[0] != 0 or len(values) < 2:
        return None
    step = values[1] - values[0]
    if values == tuple(range(0, span, step)):
        return step
    return None


def _list_numbers(values: tuple[int, ...]) -> str:
    return _words.join_words([str(v) for v in values])


def _first_of_next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def _nth_matches(day: date, nth: frozenset[tuple[int, int]]) -> bool:
    weekday = day.weekday()
    index = (day.day - 1) // 7 + 1
    is_last = day.day + 7 > calendar.monthrange(day.year, day.month)[1]
    return (weekday, index) in nth or (is_last and (weekday, -1) in nth)


def _value(token: str, spec: _Field, whole: str) -> int:
    if token in spec.names:
        return spec.names[token]
    if not token.isdigit():
        raise ScheduleError(
            f"Cron {spec.name} field '{whole}': '{token}' is not a number"
            + (f" or a name such as '{next(iter(spec.names))}'." if spec.names else ".")
        )
    value = int(token)
    if not spec.low <= value <= spec.high:
        raise ScheduleError(
            f"Cron {spec.name} field '{whole}': {value} is out of range {spec.low}-{spec.high}."
        )
    return value


def _parse_field(text: str, spec: _Field) -> set[int]:
    values: set[int] = set()
    for item in text.split(","):
        if not item:
            raise ScheduleError(f"Cron {spec.name} field '{text}' has an empty list item.")
        base, _, step_text = item.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ScheduleError(
                    f"Cron {spec.name} field '{text}': the step '/{step_text}' must be a "
                    "positive whole number."
                )
            step = int(step_text)
        if base in ("*", "?"):
            low, high = spec.low, spec.high
        elif "-" in base:
            start, _, end = base.partition("-")
            low, high = _value(start, spec, text), _value(end, spec, text)
            if low > high:
                raise ScheduleError(
                    f"Cron {spec.name} field '{text}': the range {base} goes backwards."
                )
        else:
            low = _value(base, spec, text)
            high = spec.high if step_text else low
        values.update(range(low, high + 1, step))
    return values


def _parse_days(text: str) -> tuple[set[int], bool]:
    items = text.split(",")
    last = "l" in items
    rest = [i for i in items if i != "l"]
    if any("w" in i or "l" in i for i in rest):
        raise ScheduleError(
            f"Cron day-of-month field '{text}': only numbers, ranges, steps and 'L' (the last "
            "day) are supported."
        )
    return (_parse_field(",".join(rest), _DAY) if rest else set()), last


def _parse_weekdays(text: str) -> tuple[set[int], set[tuple[int, int]]]:
    plain: list[str] = []
    nth: set[tuple[int, int]] = set()
    for item in text.split(","):
        if "#" in item:
            day, _, index = item.partition("#")
            if not index.isdigit() or not 1 <= int(index) <= 5:
                raise ScheduleError(
                    f"Cron day-of-week field '{text}': in '{item}' the number after # must be 1-5."
                )
            nth.add((_to_python_weekday(_value(day, _WEEKDAY, text)), int(index)))
        elif item.endswith("l") and item != "l":
            nth.add((_to_python_weekday(_value(item[:-1], _WEEKDAY, text)), -1))
        else:
            plain.append(item)
    weekdays = _parse_field(",".join(plain), _WEEKDAY) if plain else set()
    return {_to_python_weekday(d) for d in weekdays}, nth


def _to_python_weekday(cron_day: int) -> int:
    """Cron counts Sunday as 0 (and 7); Python counts Monday as 0."""
    return (cron_day - 1) % 7


@dataclass(frozen=True)
class Cron(Schedule):
    """A cron expression on the wall clock of ``timezone``."""

    expression: CronExpression
    timezone: str
    kind = ScheduleKind.CRON

    @classmethod
    def from_text(cls, text: str, timezone: str) -> Cron:
        get_zone(timezone)
        return cls(CronExpression.parse(text), timezone)

    def next_after(self, after: datetime) -> datetime | None:
        return next_instant(ensure_utc(after), self.zone, self.expression.walls_from)

    def describe(self) -> str:
        return f"{self.expression.describe()} ({self.timezone})"

    def with_timezone(self, timezone: str) -> Schedule:
        return self._rezoned(timezone)

    @property
    def normalized(self) -> str:
        return self.expression.text
