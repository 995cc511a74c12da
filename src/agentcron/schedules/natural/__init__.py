"""English schedule phrases: a deterministic grammar, with dateparser as a guarded fallback.

A phrase is read in slots, in this order: a window of the day ('from 8 to 6'), the
bounds ('until ...', 'for 10 days', '5 times', 'starting ...'), one time-of-day
clause, and what is left, the core, which must be a recurrence ('every weekday'), an
interval ('every 15 minutes', maybe limited to days: 'on weekdays'), a span ('in 2
hours') or a day ('tomorrow'). Every word must be used: a phrase with words left over
is refused, naming them, rather than guessed.

A phrase that names days but no time runs at 09:00 (13:00 in the afternoon, 18:00 in
the evening, 21:00 at night); the description shows the time chosen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from agentcron.clock import ensure_utc
from agentcron.errors import ScheduleError
from agentcron.plurals import plural
from agentcron.schedules._base import Schedule
from agentcron.schedules._words import WEEKDAY_NAMES
from agentcron.schedules._zones import get_zone, to_instant, wall_time
from agentcron.schedules.interval import Interval, starting_now
from agentcron.schedules.natural._bounds import Bounds, take_bounds
from agentcron.schedules.natural._calendar import DayPhrase, parse_day
from agentcron.schedules.natural._clock import TimeClause, extract_time_clause
from agentcron.schedules.natural._daytimes import day_times
from agentcron.schedules.natural._diagnosis import unread_words
from agentcron.schedules.natural._durations import parse_in_span
from agentcron.schedules.natural._fallback import parse_with_dateparser
from agentcron.schedules.natural._lexicon import WEEKDAY, weekday_value
from agentcron.schedules.natural._recurring import (
    Recurrence,
    parse_day_filter,
    parse_interval,
    parse_recurrence,
)
from agentcron.schedules.natural._windows import Window, take_window, whole_day
from agentcron.schedules.once import Once
from agentcron.schedules.rrule import Frequency, RRule, RRuleSpec

__all__ = ["DEFAULT_TIMES", "parse_natural"]

DEFAULT_TIMES: dict[str | None, time] = {
    None: time(9, 0),
    "morning": time(9, 0),
    "afternoon": time(13, 0),
    "evening": time(18, 0),
    "night": time(21, 0),
}
"""The time of a phrase that names days but no time, by the part of the day it names."""

_DAY_RANGE = re.compile(
    rf"\b(?P<first>{WEEKDAY})\s*(?:-|\u2013|\bthrough\b|\bthru\b|\bto\b)\s*(?P<last>{WEEKDAY})\b"
)


_ORDINAL_LOOKALIKES = frozenset({"every second", "each second"})


def normalize(text: str) -> str:
    """Lower case, one space between words, punctuation that carries no meaning removed,
    and day ranges spelled out ('mon-fri' is 'mondays, tuesdays, ... fridays')."""
    s = text.lower().strip()
    s = re.sub(r"\b([ap])\.\s?m\.?", r"\1m", s)
    s = re.sub(r"\bo'?\s?clock\b", "", s)
    s = re.sub(r"(\d{1,2})\.(\d{2})(?=\s*[ap]m\b)", r"\1:\2", s)
    s = re.sub(r"\bin\s+(\d+)h(\d{2})\b", r"in \1h \2m", s)  # 'in 1h30' is a span
    s = re.sub(r"\b(\d{1,2})h(\d{2})\b", r"\1:\2", s)
    s = re.sub(r"\beveryday\b", "every day", s)
    s = re.sub(r"\b(at\s+\d{1,2})\.(\d{2})\b", r"\1:\2", s)  # 'at 9.30'
    s = re.sub(r"\s+on\s+the\s+hour\b", "", s)  # hourly intervals start on the hour anyway
    s = re.sub(r"[;!?\"]+|\.(?=\s|$)", " ", s)
    s = re.sub(r"\s*,\s*", ", ", s)
    s = _DAY_RANGE.sub(_spell_out_days, s)
    return " ".join(s.split()).strip(" ,")


def _spell_out_days(match: re.Match[str]) -> str:
    first, last = weekday_value(match["first"]), weekday_value(match["last"])
    days = [(first + k) % 7 for k in range((last - first) % 7 + 1)]
    return ", ".join(f"{WEEKDAY_NAMES[d].lower()}s" for d in days)


@dataclass(frozen=True)
class _Request:
    """What every step needs to know: the phrase as given, the zone and now."""

    original: str
    timezone: str
    now: datetime

    @property
    def zone(self) -> ZoneInfo:
        return get_zone(self.timezone)

    @property
    def local_now(self) -> datetime:
        return wall_time(self.now, self.zone)


def parse_natural(text: str, timezone: str, now: datetime) -> Schedule:
    """Read an English phrase as a schedule in ``timezone``, relative to ``now``."""
    get_zone(timezone)
    request = _Request(text.strip(), timezone, ensure_utc(now))
    phrase = normalize(text)
    window, phrase = take_window(phrase)
    bounds, phrase = take_bounds(phrase)
    clause, core = extract_time_clause(phrase)
    core = core.strip(" ,")
    if clause is None and window is None:
        clause, bounds = _time_from_bounds(core, bounds)

    if (interval := _interval_and_days(core)) is not None:
        span, days = interval
        if window is None and days is None:
            return _interval(span, clause, bounds, request)
        if clause is not None:
            raise ScheduleError(
                f"'{request.original}' gives an interval and a time of day; "
                "give a window instead, e.g. 'every 15 minutes from 8am to 6pm'."
            )
        return _windowed(span, window or whole_day(), days, bounds, request)
    if window is not None:
        raise ScheduleError(
            "A window of the day goes with an interval, e.g. 'every 15 minutes from 8 to 6'."
        )
    if (recurrence := parse_recurrence(core)) is not None:
        return _recurring(recurrence, clause, bounds, request)
    if bounds.any():
        raise ScheduleError(
            f"'{request.original}': 'until', 'for', 'times' and 'starting' only apply to "
            "repeating schedules, such as 'every day at 8am for 10 days'."
        )
    return _once(core, clause, request)


def _time_from_bounds(core: str, bounds: Bounds) -> tuple[TimeClause | None, Bounds]:
    """'every day until friday at 7': the time of a rule named only in its bound is the
    rule's own, when the bound also names a day. An interval's bound keeps its time
    ('every 15 minutes until 5pm')."""
    if _interval_and_days(core) is not None or parse_recurrence(core) is None:
        return None, bounds
    if bounds.until is not None:
        clause, day = extract_time_clause(bounds.until)
        if clause is not None and day:
            return clause, replace(bounds, until=day)
    if bounds.start is not None:
        clause, day = extract_time_clause(bounds.start)
        if clause is not None and day:
            return clause, replace(bounds, start=day)
    return None, bounds


def _interval_and_days(core: str) -> tuple[timedelta, Recurrence | None] | None:
    """'every 15 minutes', alone or with the days it keeps to ('on weekdays', before or after)."""
    if (span := parse_interval(core)) is not None:
        return span, None
    words = core.split()
    for cut in range(1, len(words)):
        head, tail = " ".join(words[:cut]).strip(" ,"), " ".join(words[cut:]).strip(" ,")
        for interval_part, days_part in ((head, tail), (tail, head)):
            if interval_part in _ORDINAL_LOOKALIKES:  # 'every second tuesday' names no interval
                continue
            span = parse_interval(interval_part)
            if span is not None and (days := parse_day_filter(days_part)) is not None:
                return span, days
    return None


def _windowed(
    span: timedelta,
    window: Window,
    days: Recurrence | None,
    bounds: Bounds,
    request: _Request,
) -> Schedule:
    """An interval kept to a window of the day: its times, on the wall clock, on its days."""
    recurrence = days or Recurrence(Frequency.DAILY)
    if window.crosses_midnight and recurrence.freq != Frequency.DAILY:
        raise ScheduleError(
            "After midnight is the next day: a window on some days must end by midnight."
        )
    if bounds.start and extract_time_clause(bounds.start)[0] is not None:
        raise ScheduleError("The window says when each day starts; 'starting' can name a day.")
    return _rule(recurrence, window.times(span), bounds, request)


def _interval(
    span: timedelta, clause: TimeClause | None, bounds: Bounds, request: _Request
) -> Schedule:
    zone, timezone, now = request.zone, request.timezone, request.now
    start_time = clause.resolved(None) if clause else None
    if bounds.start:
        start_clause, start_day = extract_time_clause(bounds.start)
        if start_clause is None:
            raise ScheduleError(f"Say when '{bounds.start}' begins, e.g. 'starting at 9am'.")
        start_time = start_clause.resolved(None)
        if start_day:
            raise ScheduleError("An interval can start at a time of day, e.g. 'starting at 9am'.")
    if start_time is not None and len(start_time) != 1:
        raise ScheduleError("An interval starts at one time of day, e.g. 'every 2 hours from 9am'.")
    if start_time:
        anchor_wall = datetime.combine(request.local_now.date(), start_time[0])
        schedule: Interval = Interval(span, to_instant(anchor_wall, zone), timezone)
    else:
        schedule = starting_now(span, now, timezone)
    if not (bounds.until or bounds.count or bounds.span):
        return schedule
    (first,) = schedule.preview(1, now)  # an unbounded interval always has a next occurrence
    count, until = _limits(bounds, wall_time(first, zone), request)
    if until is not None:
        count = (to_instant(until, zone) - first) // span + 1
    if not count or count < 1:
        raise ScheduleError(f"That schedule has no occurrence before its end ({bounds.until}).")
    return Interval(span, first, timezone, count=count)


def _recurring(
    recurrence: Recurrence, clause: TimeClause | None, bounds: Bounds, request: _Request
) -> Schedule:
    part = recurrence.part_of_day
    wanted = recurrence.times_per_day
    if wanted and (clause is None or len(set(clause.times)) != wanted):
        raise ScheduleError(
            f"'{request.original}' should name {plural(wanted, 'time')} of day, "
            "e.g. 'twice a day at 9 and 21'."
        )
    if clause is None:
        return _rule(recurrence, (DEFAULT_TIMES[part],), bounds, request)
    if clause.crosses_midnight(part) and recurrence.freq != Frequency.DAILY:
        raise ScheduleError(
            "After midnight is the next day: say e.g. 'every tuesday at 1am' instead."
        )
    return _rule(recurrence, clause.resolved(part), bounds, request)


def _rule(
    recurrence: Recurrence, times: tuple[time, ...], bounds: Bounds, request: _Request
) -> Schedule:
    """The rule for ``times`` on the days of ``recurrence``, from its first occurrence on."""
    fit = day_times(recurrence, times)
    days = fit.recurrence
    lower = request.local_now.replace(microsecond=0)
    if bounds.start:
        day = _first_day(bounds.start, lower.date())
        lower = max(lower, datetime.combine(day, time()) - timedelta(seconds=1))
    probe = RRuleSpec(
        days.freq,
        dtstart=lower,
        byday=days.byday,
        bymonthday=days.bymonthday,
        bymonth=days.bymonth,
        bysetpos=days.bysetpos or fit.positions,
        byhour=fit.hours,
        byminute=fit.minutes,
        bysecond=fit.seconds,
        count=2,  # the first occurrence after ``lower`` is all the probe is for
    )
    first = next(probe.walls_from(lower + timedelta(seconds=1)), None)
    if first is None:
        raise ScheduleError("That schedule never happens.")
    # DTSTART is the first occurrence: it sets the phase of 'every other week' and
    # lets BYSECOND=0 go unsaid, as dateutil defaults it from DTSTART.
    spec = replace(
        probe,
        dtstart=first,
        count=None,
        interval=days.interval,
        bysecond=() if fit.seconds == (0,) else fit.seconds,
    )
    return _bounded(spec, bounds, request)


def _bounded(spec: RRuleSpec, bounds: Bounds, request: _Request) -> RRule:
    count, until = _limits(bounds, spec.dtstart, request)
    schedule = RRule(replace(spec, count=count, until=until), request.timezone)
    if schedule.next_after(request.now) is None:
        raise ScheduleError(
            f"That schedule has no occurrence before its end ({bounds.until or 'the limit'})."
        )
    return schedule


def _limits(
    bounds: Bounds, first: datetime, request: _Request
) -> tuple[int | None, datetime | None]:
    """COUNT, or the wall time of the last moment allowed, from the bounds."""
    if bounds.count:
        return bounds.count, None
    if bounds.span:
        return None, first + bounds.span - timedelta(seconds=1)
    if not bounds.until:
        return None, None
    until_clause, until_day = extract_time_clause(bounds.until)
    end = until_clause.resolved(None)[0] if until_clause else time(23, 59, 59)
    if until_day:
        until = datetime.combine(_first_day(until_day, first.date()), end)
    else:
        until = datetime.combine(first.date(), end)
        until += timedelta(days=1) if until < first else timedelta(0)
    zone = request.zone
    return None, wall_time(to_instant(until, zone), zone)


def _first_day(text: str, earliest: date) -> date:
    phrase = parse_day(text, earliest)
    if phrase is None:
        raise ScheduleError(
            f"Could not read '{text}' as a day; try 'december 31', '2026-12-31' or 'next monday'."
        )
    for day in phrase.candidates:
        if day >= earliest:
            return day
    raise ScheduleError(f"'{text}' is in the past.")


def _once(core: str, clause: TimeClause | None, request: _Request) -> Schedule:
    local_now = request.local_now
    if core in ("now", "right now", "immediately", "asap"):
        raise ScheduleError("'now' is not a moment ahead; try 'in 1 minute'.")
    if (span := parse_in_span(core)) is not None:
        if clause is None:
            base = request.now
            if span.days:  # calendar days keep the wall time; the rest is elapsed time
                base = to_instant(local_now + timedelta(days=span.days), request.zone)
            return Once((base + span.elapsed).replace(microsecond=0), request.timezone)
        if span.elapsed:
            raise ScheduleError(
                f"'{request.original}' gives both a span and a time; give one of them."
            )
        day = DayPhrase((local_now.date() + timedelta(days=span.days),))
        return _at_first_future(day, clause, request)
    if not core:
        if clause is None:
            raise ScheduleError("The schedule is empty.")
        today = local_now.date()
        return _at_first_future(DayPhrase((today, today + timedelta(days=1))), clause, request)
    if (phrase := parse_day(core, local_now.date())) is not None:
        if clause is None:
            clause = _default_clause(phrase.part_of_day)
        return _at_first_future(phrase, clause, request)
    fallback = parse_with_dateparser(request.original, core, clause, local_now)
    if fallback is not None:
        instant = to_instant(fallback, request.zone)
        if instant <= request.now:
            raise ScheduleError(f"'{request.original}' is in the past.")
        return Once(instant, request.timezone)
    raise _not_understood(core, request)


def _default_clause(part_of_day: str | None) -> TimeClause:
    return TimeClause((DEFAULT_TIMES[part_of_day],), (False,), None)


def _not_understood(core: str, request: _Request) -> ScheduleError:
    """The refusal of a core the grammar does not read, naming the words it could not place."""
    today = request.local_now.date()

    def readable(text: str) -> bool:
        return (
            _interval_and_days(text) is not None
            or parse_recurrence(text) is not None
            or parse_in_span(text) is not None
            or parse_day(text, today) is not None
        )

    unread = unread_words(core, readable)
    if unread is not None and unread != core:
        return ScheduleError(f"Could not understand '{unread}' in '{request.original}'.")
    return ScheduleError(f"Could not understand '{core or request.original}'.")


def _at_first_future(day: DayPhrase, clause: TimeClause, request: _Request) -> Once:
    times = clause.resolved(day.part_of_day)
    if len(times) != 1:
        raise ScheduleError("A one-off reminder has one time; create one task per time.")
    shift = timedelta(days=1) if clause.crosses_midnight(day.part_of_day) else timedelta(0)
    for candidate in day.candidates:
        instant = to_instant(datetime.combine(candidate + shift, times[0]), request.zone)
        if instant > request.now:
            return Once(instant, request.timezone)
    raise ScheduleError(
        f"'{request.original}' is in the past "
        f"(it is now {request.local_now:%a %d %b %H:%M} in {request.timezone})."
    )
