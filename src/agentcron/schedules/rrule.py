"""RFC 5545 recurrence rules, evaluated on the wall clock of a zone with dateutil.

Accepted text: an optional ``DTSTART`` line (floating, ``Z`` or ``;TZID=``) and a
rule, with or without the ``RRULE:`` prefix, separated by new lines or spaces.
Floating times are wall times of the schedule's zone; ``UNTIL`` is kept in UTC
in the normalized form, as RFC 5545 asks when DTSTART names a zone.

dateutil iterates from DTSTART, which gets slow for a rule that has run for
years. Rules without COUNT are therefore re-based on a recent period boundary
(same phase of INTERVAL, every BYxxx made explicit), so finding the next
occurrence costs the same in year ten as on day one.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from enum import IntEnum
from zoneinfo import ZoneInfo

from dateutil import rrule as du

from agentcron.clock import ensure_utc
from agentcron.errors import ScheduleError
from agentcron.plurals import plural
from agentcron.schedules import _words
from agentcron.schedules._base import Schedule, ScheduleKind
from agentcron.schedules._wallclock import next_instant
from agentcron.schedules._zones import get_zone, to_instant, wall_time

MAX_COUNT = 10_000
_WINDOW_PERIODS = {"YEARLY": 1, "MONTHLY": 1, "WEEKLY": 1, "DAILY": 7, "HOURLY": 24}
_SEARCH_YEARS = 400
_DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_STAMP = re.compile(r"^(\d{8})(?:T(\d{6})(Z?))?$")


class Frequency(IntEnum):
    """RFC 5545 FREQ values, numbered as dateutil numbers them."""

    YEARLY = du.YEARLY
    MONTHLY = du.MONTHLY
    WEEKLY = du.WEEKLY
    DAILY = du.DAILY
    HOURLY = du.HOURLY
    MINUTELY = du.MINUTELY
    SECONDLY = du.SECONDLY


@dataclass(frozen=True)
class RRuleSpec:
    """One recurrence rule; ``dtstart`` and ``until`` are naive wall times of its zone."""

    freq: Frequency
    dtstart: datetime
    interval: int = 1
    count: int | None = None
    until: datetime | None = None
    wkst: int = 0
    bysetpos: tuple[int, ...] = ()
    bymonth: tuple[int, ...] = ()
    byweekno: tuple[int, ...] = ()
    byyearday: tuple[int, ...] = ()
    bymonthday: tuple[int, ...] = ()
    byday: tuple[tuple[int, int], ...] = ()  # (weekday Monday = 0, ordinal; 0 = every)
    byhour: tuple[int, ...] = ()
    byminute: tuple[int, ...] = ()
    bysecond: tuple[int, ...] = ()
    _recent: list[_Window] = field(
        default_factory=list, init=False, compare=False, hash=False, repr=False
    )
    """The window used last: consecutive calls mostly fall in it (a private cache)."""

    def rule_text(self, zone: ZoneInfo) -> str:
        """The RRULE value, parts in a fixed order, UNTIL in UTC."""
        parts = [f"FREQ={self.freq.name}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        if self.until is not None:
            parts.append(f"UNTIL={to_instant(self.until, zone):%Y%m%dT%H%M%SZ}")
        if self.wkst:
            parts.append(f"WKST={_DAY_CODES[self.wkst]}")
        for name, values in (
            ("BYMONTH", self.bymonth),
            ("BYWEEKNO", self.byweekno),
            ("BYYEARDAY", self.byyearday),
            ("BYMONTHDAY", self.bymonthday),
        ):
            if values:
                parts.append(f"{name}={_numbers(values)}")
        if self.byday:
            days = ",".join(f"{n if n else ''}{_DAY_CODES[d]}" for d, n in self.byday)
            parts.append(f"BYDAY={days}")
        for name, values in (
            ("BYHOUR", self.byhour),
            ("BYMINUTE", self.byminute),
            ("BYSECOND", self.bysecond),
            ("BYSETPOS", self.bysetpos),
        ):
            if values:
                parts.append(f"{name}={_numbers(values)}")
        return ";".join(parts)

    def walls_from(self, start: datetime) -> Iterator[datetime]:
        """Every occurrence's wall time at or after ``start``, in order."""
        if self.count is not None:
            walls = _all_occurrences(self)
            return iter(walls[bisect.bisect_left(walls, start) :])
        return _windows_from(self, start)


def _numbers(values: tuple[int, ...]) -> str:
    return ",".join(str(v) for v in values)


@functools.lru_cache(maxsize=256)
def _all_occurrences(spec: RRuleSpec) -> tuple[datetime, ...]:
    return tuple(_dateutil_rule(spec, spec.dtstart))


@dataclass(frozen=True)
class _Window:
    start: datetime
    end: datetime
    walls: tuple[datetime, ...]


def _windows_from(spec: RRuleSpec, start: datetime) -> Iterator[datetime]:
    """Occurrences at or after ``start``, one cached window of periods at a time."""
    recent = spec._recent[0] if spec._recent else None
    if recent is None or not recent.start <= start < recent.end:
        window_start, window_end = _window(spec, start)
        recent = _Window(
            window_start, window_end, _window_occurrences(spec, window_start, window_end)
        )
        spec._recent[:] = [recent]
    yield from recent.walls[bisect.bisect_left(recent.walls, start) :]
    horizon = start.replace(year=min(start.year + _SEARCH_YEARS, 9999))
    last = min(spec.until or datetime.max, horizon)
    window_start = recent.end
    while window_start <= last:
        window_end = _shift(spec, window_start, _window_size(spec))
        yield from _window_occurrences(spec, window_start, window_end)
        window_start = window_end


@functools.lru_cache(maxsize=4096)
def _window_occurrences(
    spec: RRuleSpec, window_start: datetime, window_end: datetime
) -> tuple[datetime, ...]:
    rule = _dateutil_rule(spec, window_start, window_end - timedelta(microseconds=1))
    return tuple(rule)


def _dateutil_rule(spec: RRuleSpec, start: datetime, end: datetime | None = None) -> du.rrule:
    """A dateutil rule equal to ``spec`` from ``start`` on, every default made explicit."""
    origin = spec.dtstart
    bymonth, bymonthday, byday = spec.bymonth, spec.bymonthday, spec.byday
    if not (spec.byweekno or spec.byyearday or bymonthday or byday):
        if spec.freq == Frequency.YEARLY:
            bymonth = bymonth or (origin.month,)
            bymonthday = (origin.day,)
        elif spec.freq == Frequency.MONTHLY:
            bymonthday = (origin.day,)
        elif spec.freq == Frequency.WEEKLY:
            byday = ((origin.weekday(), 0),)
    finer = spec.freq.value  # dateutil defaults every unit coarser than FREQ from DTSTART
    horizon = end or datetime(min(start.year + _SEARCH_YEARS, 9999), 12, 31, 23, 59, 59)
    until = min(spec.until or horizon, horizon)
    return du.rrule(
        spec.freq.value,
        dtstart=start,
        interval=spec.interval,
        wkst=spec.wkst,
        count=spec.count,
        until=None if spec.count is not None else until,
        bysetpos=spec.bysetpos or None,
        bymonth=bymonth or None,
        bymonthday=bymonthday or None,
        byyearday=spec.byyearday or None,
        byweekno=spec.byweekno or None,
        byweekday=[du.weekday(d, n or None) for d, n in byday] or None,
        byhour=spec.byhour or ((origin.hour,) if finer < du.HOURLY else None),
        byminute=spec.byminute or ((origin.minute,) if finer < du.MINUTELY else None),
        bysecond=spec.bysecond or ((origin.second,) if finer < du.SECONDLY else None),
        cache=False,
    )


_MANY_TIMES_A_DAY = 24


def _window_size(spec: RRuleSpec) -> int:
    """Periods per cached window: about a week of occurrences for fine frequencies, one
    day when each day already holds many ('every 15 minutes from 8 to 6')."""
    periods = _WINDOW_PERIODS.get(spec.freq.name, 60)
    times = len(spec.byhour or (0,)) * len(spec.byminute or (0,)) * len(spec.bysecond or (0,))
    if spec.freq == Frequency.DAILY and times > _MANY_TIMES_A_DAY:
        periods = 1
    return spec.interval * periods


def _window(spec: RRuleSpec, wall: datetime) -> tuple[datetime, datetime]:
    """The window holding ``wall``: a span of whole periods in phase with INTERVAL.

    Windows start on period boundaries counted from DTSTART, so a rule re-based
    on a window's start yields exactly the original rule's occurrences there.
    """
    origin = spec.dtstart
    size = _window_size(spec)
    freq = spec.freq
    if freq == Frequency.YEARLY:
        first = datetime(origin.year, 1, 1)
        count = wall.year - origin.year
    elif freq == Frequency.MONTHLY:
        first = datetime(origin.year, origin.month, 1)
        count = wall.year * 12 + wall.month - origin.year * 12 - origin.month
    elif freq == Frequency.WEEKLY:
        first_day = origin.date() - timedelta(days=(origin.weekday() - spec.wkst) % 7)
        first = datetime.combine(first_day, datetime.min.time())
        count = (wall.date() - first_day).days // 7
    elif freq == Frequency.DAILY:
        first = datetime.combine(origin.date(), datetime.min.time())
        count = (wall.date() - origin.date()).days
    else:
        first = _floor(origin, _UNITS[freq])
        count = (wall - first) // _UNITS[freq]
    start = _shift(spec, first, max(count, 0) // size * size)
    return max(start, origin), _shift(spec, start, size)


_UNITS = {
    Frequency.HOURLY: timedelta(hours=1),
    Frequency.MINUTELY: timedelta(minutes=1),
    Frequency.SECONDLY: timedelta(seconds=1),
}


def _shift(spec: RRuleSpec, boundary: datetime, periods: int) -> datetime:
    """``boundary`` moved by a number of the rule's periods (calendar-aware)."""
    freq = spec.freq
    if freq == Frequency.YEARLY:
        return boundary.replace(year=min(boundary.year + periods, 9999))
    if freq == Frequency.MONTHLY:
        year, month = divmod(boundary.year * 12 + boundary.month - 1 + periods, 12)
        return boundary.replace(year=min(year, 9999), month=month + 1)
    if freq == Frequency.WEEKLY:
        return boundary + timedelta(weeks=periods)
    if freq == Frequency.DAILY:
        return boundary + timedelta(days=periods)
    return boundary + _UNITS[freq] * periods


def _floor(moment: datetime, unit: timedelta) -> datetime:
    return moment - (moment - datetime.combine(moment.date(), datetime.min.time())) % unit


@dataclass(frozen=True)
class RRule(Schedule):
    """An RFC 5545 recurrence rule on the wall clock of ``timezone``."""

    rule: RRuleSpec
    timezone: str
    kind = ScheduleKind.RRULE

    def next_after(self, after: datetime) -> datetime | None:
        return next_instant(ensure_utc(after), self.zone, self.rule.walls_from)

    def describe(self) -> str:
        return f"{describe_rule(self.rule)} ({self.timezone})"

    def with_timezone(self, timezone: str) -> Schedule:
        return self._rezoned(timezone)

    @property
    def normalized(self) -> str:
        start = f"DTSTART;TZID={self.timezone}:{self.rule.dtstart:%Y%m%dT%H%M%S}"
        return f"{start} RRULE:{self.rule.rule_text(self.zone)}"


def parse_rrule(text: str, timezone: str, now: datetime) -> RRule:
    """Parse RRULE text (with or without DTSTART and the ``RRULE:`` prefix)."""
    zone_label = timezone
    dtstart: datetime | None = None
    rule_parts: str | None = None
    for token in text.replace("\r", " ").split():
        upper = token.upper()
        if upper.startswith("DTSTART"):
            if dtstart is not None:
                raise ScheduleError("The recurrence rule has two DTSTART lines; give one.")
            dtstart, zone_label = _parse_dtstart(token, timezone)
        elif upper.startswith(("RRULE:", "FREQ=")) or ("=" in upper and rule_parts is None):
            if rule_parts is not None:
                raise ScheduleError(
                    "The schedule has two RRULE lines; a task follows one rule (make one task "
                    "per rule, or merge them, e.g. BYDAY=MO,TH)."
                )
            rule_parts = token[len("RRULE:") :] if upper.startswith("RRULE:") else token
        else:
            raise ScheduleError(
                f"Unexpected '{token}' in a recurrence rule: only DTSTART and RRULE are supported."
            )
    if rule_parts is None:
        raise ScheduleError("The recurrence rule has no RRULE part, e.g. 'RRULE:FREQ=DAILY'.")
    zone = get_zone(zone_label)
    if dtstart is None:
        # Without DTSTART, units finer than FREQ default from now: cut to the minute so
        # "FREQ=DAILY;BYHOUR=9;BYMINUTE=0" fires at 09:00:00, not at now's second.
        dtstart = wall_time(ensure_utc(now), zone).replace(second=0, microsecond=0)
    spec = _parse_rule_parts(rule_parts.upper(), dtstart, zone)
    return RRule(spec, zone_label)


def _parse_dtstart(token: str, default_zone: str) -> tuple[datetime, str]:
    head, sep, value = token.partition(":")
    if not sep:
        raise ScheduleError(
            f"DTSTART needs a value, e.g. 'DTSTART:20261123T083000', got '{token}'."
        )
    zone_label = default_zone
    for param in head.split(";")[1:]:
        key, _, val = param.partition("=")
        if key.upper() == "TZID":
            zone_label = val
        elif key.upper() != "VALUE":
            raise ScheduleError(f"Unsupported DTSTART parameter '{param}'.")
    stamp, is_utc = _parse_stamp(value, "DTSTART")
    zone = get_zone(zone_label)
    if is_utc:
        stamp = wall_time(stamp.replace(tzinfo=ZoneInfo("UTC")), zone)
    return stamp, zone_label


def _parse_stamp(value: str, name: str) -> tuple[datetime, bool]:
    match = _STAMP.match(value.strip().upper())
    if not match:
        raise ScheduleError(
            f"{name} '{value}' is not a date-time like 20261123T083000 (or 20261123T073000Z)."
        )
    day, clock, utc = match.groups()
    try:
        stamp = datetime.strptime(day + (clock or "000000"), "%Y%m%d%H%M%S")
    except ValueError:
        raise ScheduleError(f"{name} '{value}' is not a real date.") from None
    return stamp, bool(utc)


def _int_list(
    name: str, value: str, low: int, high: int, *, nonzero: bool = False
) -> tuple[int, ...]:
    numbers: list[int] = []
    for item in value.split(","):
        try:
            number = int(item)
        except ValueError:
            raise ScheduleError(f"{name}: '{item}' is not a whole number.") from None
        if not low <= number <= high or (nonzero and number == 0):
            allowed = f"{low} to {high}" + (" except 0" if nonzero else "")
            raise ScheduleError(f"{name}: {number} is out of range ({allowed}).")
        numbers.append(number)
    return tuple(sorted(set(numbers)))


def _parse_rule_parts(text: str, dtstart: datetime, zone: ZoneInfo) -> RRuleSpec:
    fields: dict[str, str] = {}
    for part in filter(None, text.strip(";").split(";")):
        key, sep, value = part.partition("=")
        if not sep or not value:
            raise ScheduleError(f"'{part}' in the recurrence rule should look like NAME=VALUE.")
        if key in fields:
            raise ScheduleError(f"{key} appears twice in the recurrence rule.")
        fields[key] = value
    if "FREQ" not in fields:
        raise ScheduleError("The recurrence rule needs FREQ, e.g. 'FREQ=WEEKLY;BYDAY=MO'.")
    try:
        freq = Frequency[fields.pop("FREQ")]
    except KeyError:
        names = ", ".join(f.name for f in Frequency)
        raise ScheduleError(f"FREQ must be one of {names}.") from None
    spec = RRuleSpec(freq=freq, dtstart=dtstart)
    changes: dict[str, object] = {}
    for key, value in fields.items():
        if key == "INTERVAL":
            (changes["interval"],) = _int_list(key, value, 1, 10_000)
        elif key == "COUNT":
            (changes["count"],) = _int_list(key, value, 1, MAX_COUNT)
        elif key == "UNTIL":
            stamp, is_utc = _parse_stamp(value, "UNTIL")
            if is_utc:
                stamp = wall_time(stamp.replace(tzinfo=ZoneInfo("UTC")), zone)
            elif len(value) == 8:
                stamp = stamp.replace(hour=23, minute=59, second=59)
            changes["until"] = wall_time(to_instant(stamp, zone), zone)
        elif key == "WKST":
            if value not in _DAY_CODES:
                raise ScheduleError(f"WKST must be a day code such as MO or SU, got '{value}'.")
            changes["wkst"] = _DAY_CODES.index(value)
        elif key == "BYDAY":
            changes["byday"] = _parse_byday(value)
        elif key in _RANGES:
            low, high, nonzero = _RANGES[key]
            changes[key.lower()] = _int_list(key, value, low, high, nonzero=nonzero)
        else:
            raise ScheduleError(f"Unsupported recurrence rule part '{key}'.")
    if "count" in changes and "until" in changes:
        raise ScheduleError("A recurrence rule may have COUNT or UNTIL, not both.")
    spec = replace(spec, **changes)  # type: ignore[arg-type]
    _check_combination(spec)
    if not _ever_occurs(spec):
        raise ScheduleError(
            "The parts of this rule never meet (check INTERVAL against BYDAY, BYMONTHDAY, "
            "BYMONTH and BYSETPOS): it would never happen."
        )
    return spec


_RANGES: dict[str, tuple[int, int, bool]] = {
    "BYSECOND": (0, 59, False),
    "BYMINUTE": (0, 59, False),
    "BYHOUR": (0, 23, False),
    "BYMONTHDAY": (-31, 31, True),
    "BYYEARDAY": (-366, 366, True),
    "BYWEEKNO": (-53, 53, True),
    "BYMONTH": (1, 12, False),
    "BYSETPOS": (-366, 366, True),
}


def _parse_byday(value: str) -> tuple[tuple[int, int], ...]:
    days: set[tuple[int, int]] = set()
    for item in value.split(","):
        match = _BYDAY.match(item)
        if not match:
            raise ScheduleError(
                f"BYDAY: '{item}' is not a day like MO, or an ordinal day like 1MO or -1FR."
            )
        ordinal = int(match.group(1) or 0)
        if not -53 <= ordinal <= 53:
            raise ScheduleError(f"BYDAY: the ordinal in '{item}' is out of range (-53 to 53).")
        days.add((_DAY_CODES.index(match.group(2)), ordinal))
    return tuple(sorted(days))


def _check_combination(spec: RRuleSpec) -> None:
    ordinals = any(n for _, n in spec.byday)
    if ordinals and spec.freq not in (Frequency.MONTHLY, Frequency.YEARLY):
        raise ScheduleError("BYDAY with an ordinal (like 1MO) needs FREQ=MONTHLY or FREQ=YEARLY.")
    if ordinals and spec.freq == Frequency.YEARLY and spec.byweekno:
        raise ScheduleError("BYDAY with an ordinal cannot be combined with BYWEEKNO.")
    if spec.bymonthday and spec.freq == Frequency.WEEKLY:
        raise ScheduleError("BYMONTHDAY cannot be used with FREQ=WEEKLY.")
    if spec.byweekno and spec.freq != Frequency.YEARLY:
        raise ScheduleError("BYWEEKNO needs FREQ=YEARLY.")
    if spec.byyearday and spec.freq in (Frequency.DAILY, Frequency.WEEKLY, Frequency.MONTHLY):
        raise ScheduleError("BYYEARDAY cannot be used with FREQ=DAILY, WEEKLY or MONTHLY.")
    if spec.bymonthday and spec.bymonth:
        longest = max(_words.LONGEST_MONTH[m - 1] for m in spec.bymonth)
        if all(abs(day) > longest for day in spec.bymonthday):
            raise ScheduleError(
                f"BYMONTHDAY={_numbers(spec.bymonthday)} never falls in "
                f"BYMONTH={_numbers(spec.bymonth)}: that rule never happens."
            )


_CALENDAR_CYCLE = 400  # years after which the Gregorian calendar repeats itself exactly


def _ever_occurs(spec: RRuleSpec) -> bool:
    """Whether the rule's parts can ever produce an occurrence, at bounded cost.

    dateutil looks for the first occurrence until the year 9999, which takes
    seconds to minutes for a rule that has none. The calendar repeats every 400
    years, so the same rule moved into the 9200s has the same pattern and at
    most 800 years to search before dateutil stops by itself.
    """
    shift = (9200 - spec.dtstart.year) // _CALENDAR_CYCLE * _CALENDAR_CYCLE
    moved = replace(
        spec,
        dtstart=spec.dtstart.replace(year=spec.dtstart.year + shift),
        until=spec.until.replace(year=spec.until.year + shift) if spec.until else None,
    )
    try:
        rule = _dateutil_rule(moved, moved.dtstart)
    except ValueError as error:  # dateutil's own check, e.g. BYHOUR unreachable with INTERVAL
        raise ScheduleError(f"The recurrence rule is impossible: {error}") from None
    return next(iter(rule), None) is not None


def describe_rule(spec: RRuleSpec) -> str:
    """English for a rule: 'every weekday at 08:30', 'on the last Friday of every month'."""
    words = [_days_phrase(spec)]
    times = _times_phrase(spec)
    if times.startswith(
        "every "
    ):  # a window: 'every 15 minutes from 08:00 to 18:00, every weekday'
        words = [f"{times},", words[0]]
    elif times:
        words.append(times)
    if spec.count is not None:
        words[-1] += ","
        words.append(plural(spec.count, "time"))
    if spec.until is not None:
        words.append(f"until {_format_day(spec.until)}")
    return " ".join(words)


def _format_day(moment: datetime) -> str:
    """'Thu 31 Dec 2026', with the time when it is not the start or end of the day."""
    day = moment.date()
    weekday = _words.WEEKDAY_NAMES[day.weekday()][:3]
    text = f"{weekday} {day.day} {_words.MONTH_NAMES[day.month - 1][:3]} {day.year}"
    if moment.time() in (time(0, 0), time(23, 59, 59)):
        return text
    return f"{text} {_words.clock_time(moment.hour, moment.minute, moment.second)}"


def _every(unit: str, interval: int) -> str:
    if interval == 1:
        return f"every {unit}"
    if interval == 2:
        return f"every other {unit}"
    return f"every {interval} {unit}s"


def _byday_names(spec: RRuleSpec) -> list[str]:
    return [
        (f"{_ORDINAL_WORDS.get(n, _words.ordinal(n))} " if n else "") + _words.WEEKDAY_NAMES[d]
        for d, n in spec.byday
    ]


_ORDINAL_WORDS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}


def _monthday_names(days: tuple[int, ...]) -> str:
    names = ["last day" if d == -1 else _words.ordinal(d) for d in days]
    return _words.join_words(names)


def _days_phrase(spec: RRuleSpec) -> str:
    freq, interval = spec.freq, spec.interval
    plain_days = [d for d, n in spec.byday if not n]
    if freq == Frequency.DAILY and interval == 1 and spec.bymonthday:
        if spec.bymonth:  # a yearly day, as a daily rule limited to it
            return f"every year on {_year_position(spec)}"
        return f"on the {_monthday_names(spec.bymonthday)} of every month"
    if freq == Frequency.DAILY:
        if interval == 1 and spec.byday and len(plain_days) == len(spec.byday):
            text = _words.weekday_phrase(plain_days)
        else:
            text = _every("day", interval)
            if spec.byday:
                text += " on " + _words.join_words(_byday_names(spec))
    elif freq == Frequency.WEEKLY:
        days = plain_days or [spec.dtstart.weekday()]
        if interval == 1:
            text = _words.weekday_phrase(days)
        else:
            names = _words.join_words([_words.WEEKDAY_NAMES[d] for d in sorted(days)])
            text = f"{_every('week', interval)} on {names}"
    elif freq == Frequency.MONTHLY:
        text = f"on the {_month_position(spec)} of {_every('month', interval)}"
    elif freq == Frequency.YEARLY:
        text = f"{_every('year', interval)} on {_year_position(spec)}"
    else:
        unit = {Frequency.HOURLY: "hour", Frequency.MINUTELY: "minute"}.get(freq, "second")
        text = f"every {plural(interval, unit)}".replace("every 1 ", "every ")
        if spec.byday:
            text += " on " + _words.join_words(_byday_names(spec))
    if spec.bymonth and freq != Frequency.YEARLY:
        text += " in " + _words.join_words([_words.MONTH_NAMES[m - 1] for m in spec.bymonth])
    return text


def _month_position(spec: RRuleSpec) -> str:
    if spec.bysetpos and spec.byday and len(_time_product(spec)) == 1:
        plain = [d for d, _ in spec.byday]
        group = (
            "weekday"
            if frozenset(plain) == _words.WEEKDAYS
            else "/".join(_words.WEEKDAY_NAMES[d] for d in plain)
        )
        positions = [_ORDINAL_WORDS.get(p, _words.ordinal(p)) for p in spec.bysetpos]
        return f"{_words.join_words(positions)} {group}"
    weekdays = {d for d, _ in spec.byday}
    if len(weekdays) == 1 and all(n for _, n in spec.byday):  # 'the first and third Monday'
        positions = [_ORDINAL_WORDS.get(n, _words.ordinal(n)) for _, n in spec.byday]
        return f"{_words.join_words(positions)} {_words.WEEKDAY_NAMES[weekdays.pop()]}"
    if spec.byday:
        return _words.join_words(_byday_names(spec))
    days = spec.bymonthday or (spec.dtstart.day,)
    return _monthday_names(days)


def _year_position(spec: RRuleSpec) -> str:
    months = spec.bymonth or (spec.dtstart.month,)
    month_names = _words.join_words([_words.MONTH_NAMES[m - 1] for m in months])
    if spec.byday:
        return f"the {_words.join_words(_byday_names(spec))} of {month_names}"
    if spec.byyearday:
        return "day " + _words.join_words([str(d) for d in spec.byyearday]) + " of the year"
    days = spec.bymonthday or (spec.dtstart.day,)
    if days == (-1,):
        return f"the last day of {month_names}"
    return f"{month_names} {_words.join_words([str(d) for d in days])}"


def _times_phrase(spec: RRuleSpec) -> str:
    if spec.freq >= Frequency.HOURLY:
        if spec.byminute and spec.freq == Frequency.HOURLY:
            return "at minute " + _words.join_words([str(m) for m in spec.byminute])
        return ""
    return _words.times_of_day(_day_times(spec))


def _time_product(spec: RRuleSpec) -> list[time]:
    """Every time of day BYHOUR, BYMINUTE and BYSECOND combine into, in order."""
    start = spec.dtstart
    return [
        time(h, m, s)
        for h in spec.byhour or (start.hour,)
        for m in spec.byminute or (start.minute,)
        for s in spec.bysecond or (start.second,)
    ]


def _day_times(spec: RRuleSpec) -> list[time]:
    """The times of each day: the product, or the ones BYSETPOS picks out of it.

    The grammar writes times that do not form a product as positions that repeat
    for each day of a period (see ``natural._daytimes``).
    """
    product = _time_product(spec)
    if not spec.bysetpos or len(product) == 1:
        return product
    picked = {product[(p - 1) % len(product)] for p in spec.bysetpos if p > 0}
    return sorted(picked) or product
