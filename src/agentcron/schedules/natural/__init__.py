"""English schedule phrases: a deterministic grammar, with dateparser as a guarded fallback.

A phrase is read in slots, in this order: an ``until ...`` bound, a ``for N
days|times`` bound, a ``starting ...`` bound, one time-of-day clause, and what is
left, the core, which must be a recurrence ('every weekday'), an interval
('every 15 minutes'), a span ('in 2 hours') or a day ('tomorrow'). Every word
must be used: a phrase with words left over is refused rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from agentcron.clock import ensure_utc
from agentcron.errors import ScheduleError
from agentcron.schedules._base import Schedule
from agentcron.schedules._zones import get_zone, to_instant, wall_time
from agentcron.schedules.interval import Interval, starting_now
from agentcron.schedules.natural._calendar import DayPhrase, parse_day
from agentcron.schedules.natural._clock import TimeClause, extract_time_clause
from agentcron.schedules.natural._durations import parse_in_span
from agentcron.schedules.natural._fallback import parse_with_dateparser
from agentcron.schedules.natural._lexicon import NUMBER, number_value
from agentcron.schedules.natural._recurring import Recurrence, parse_interval, parse_recurrence
from agentcron.schedules.once import Once
from agentcron.schedules.rrule import Frequency, RRule, RRuleSpec

__all__ = ["parse_natural"]

_UNTIL = re.compile(
    r"\s*\b(?:until|till|til|through|thru|up\s+to)\s+(?P<value>.+?)"
    r"(?=\s+(?:for|starting|beginning)\b|$)"
)
_FOR = re.compile(
    rf"\s*\bfor\s+(?:the\s+next\s+)?(?P<n>{NUMBER})\s+"
    r"(?P<unit>minutes?|hours?|days?|weeks?|months?|years?|times|occurrences|runs)\b"
)
_STARTING = re.compile(
    r"\s*\b(?:starting|beginning|from|as\s+of)(?:\s+(?:on|at))?\s+(?!now\b)(?P<value>.+?)"
    r"(?=\s+(?:until|till|for)\b|$)"
)


def normalize(text: str) -> str:
    """Lower case, one space between words, punctuation that carries no meaning removed."""
    s = text.lower().strip()
    s = re.sub(r"\b([ap])\.\s?m\.?", r"\1m", s)
    s = re.sub(r"\bo'?\s?clock\b", "", s)
    s = re.sub(r"(\d{1,2})\.(\d{2})(?=\s*[ap]m\b)", r"\1:\2", s)
    s = re.sub(r"\b(\d{1,2})h(\d{2})\b", r"\1:\2", s)
    s = re.sub(r"\beveryday\b", "every day", s)
    s = re.sub(r"[;!?\"]+|\.(?=\s|$)", " ", s)
    s = re.sub(r"\s*,\s*", ", ", s)
    return " ".join(s.split()).strip(" ,")


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
    until_text, phrase = _take(_UNTIL, phrase)
    for_match, phrase = _take_match(_FOR, phrase)
    start_text, phrase = _take(_STARTING, phrase)
    clause, core = extract_time_clause(phrase)
    core = core.strip(" ,")
    bounds = _Bounds(until_text, for_match, start_text)

    if (span := parse_interval(core)) is not None:
        return _interval(span, clause, bounds, request)
    if (recurrence := parse_recurrence(core)) is not None:
        return _recurring(recurrence, clause, bounds, request)
    if bounds.any():
        raise ScheduleError(
            f"'{request.original}': 'until', 'for' and 'starting' only apply to repeating "
            "schedules, such as 'every day at 8am for 10 days'."
        )
    return _once(core, clause, request)


class _Bounds:
    def __init__(self, until: str | None, count: re.Match[str] | None, start: str | None) -> None:
        self.until, self.count, self.start = until, count, start

    def any(self) -> bool:
        return bool(self.until or self.count or self.start)


def _take(pattern: re.Pattern[str], text: str) -> tuple[str | None, str]:
    match, rest = _take_match(pattern, text)
    return (match["value"].strip(" ,") if match else None), rest


def _take_match(pattern: re.Pattern[str], text: str) -> tuple[re.Match[str] | None, str]:
    match = pattern.search(text)
    if not match:
        return None, text
    return match, " ".join((text[: match.start()] + " " + text[match.end() :]).split())


def _interval(
    span: timedelta, clause: TimeClause | None, bounds: _Bounds, request: _Request
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
    if not (bounds.until or bounds.count):
        return schedule
    (first,) = schedule.preview(1, now)  # an unbounded interval always has a next occurrence
    count, until = _limits(bounds, wall_time(first, zone), request)
    if until is not None:
        count = (to_instant(until, zone) - first) // span + 1
    if not count or count < 1:
        raise ScheduleError(f"That schedule has no occurrence before its end ({bounds.until}).")
    return Interval(span, first, timezone, count=count)


def _recurring(
    recurrence: Recurrence, clause: TimeClause | None, bounds: _Bounds, request: _Request
) -> Schedule:
    if clause is None:
        raise ScheduleError("Say at what time, e.g. 'every monday at 9am' or 'every day at 18:30'.")
    times = clause.resolved(recurrence.part_of_day)
    if clause.crosses_midnight(recurrence.part_of_day) and recurrence.freq != Frequency.DAILY:
        raise ScheduleError(
            "After midnight is the next day: say e.g. 'every tuesday at 1am' instead."
        )
    hours = tuple(sorted({t.hour for t in times}))
    minutes = tuple(sorted({t.minute for t in times}))
    seconds = tuple(sorted({t.second for t in times}))
    if len(hours) * len(minutes) * len(seconds) != len(set(times)):
        listed = " and ".join(t.strftime("%H:%M") for t in times)
        raise ScheduleError(
            f"The times {listed} cannot share one schedule (their minutes differ); "
            "create one task per time."
        )
    lower = request.local_now.replace(microsecond=0)
    if bounds.start:
        day = _first_day(bounds.start, lower.date())
        lower = max(lower, datetime.combine(day, time()) - timedelta(seconds=1))
    probe = RRuleSpec(
        recurrence.freq,
        dtstart=lower,
        byday=recurrence.byday,
        bymonthday=recurrence.bymonthday,
        bymonth=recurrence.bymonth,
        bysetpos=recurrence.bysetpos,
        byhour=hours,
        byminute=minutes,
        bysecond=seconds,
    )
    first = next(probe.walls_from(lower + timedelta(seconds=1)), None)
    if first is None:
        raise ScheduleError("That schedule never happens.")
    # DTSTART is the first occurrence: it sets the phase of 'every other week' and
    # lets BYSECOND=0 go unsaid, as dateutil defaults it from DTSTART.
    spec = replace(
        probe,
        dtstart=first,
        interval=recurrence.interval,
        bysecond=() if seconds == (0,) else seconds,
    )
    return _bounded(spec, bounds, request)


def _bounded(spec: RRuleSpec, bounds: _Bounds, request: _Request) -> RRule:
    count, until = _limits(bounds, spec.dtstart, request)
    schedule = RRule(replace(spec, count=count, until=until), request.timezone)
    if schedule.next_after(request.now) is None:
        raise ScheduleError(
            f"That schedule has no occurrence before its end ({bounds.until or 'the limit'})."
        )
    return schedule


def _limits(
    bounds: _Bounds, first: datetime, request: _Request
) -> tuple[int | None, datetime | None]:
    """COUNT, or the wall time of the last moment allowed, from 'for ...' and 'until ...'."""
    if bounds.count and bounds.until:
        raise ScheduleError("Give either 'until' or 'for', not both.")
    if bounds.count:
        amount = number_value(bounds.count["n"])
        unit = bounds.count["unit"].rstrip("s") + "s"
        if unit in ("times", "occurrences", "runs"):
            return amount, None
        step = relativedelta(**{unit: amount})  # type: ignore[arg-type]
        return None, first + step - timedelta(seconds=1)
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
            raise ScheduleError(f"Say at what time on that day, e.g. '{core} at 9am'.")
        return _at_first_future(phrase, clause, request)
    fallback = parse_with_dateparser(request.original, clause, local_now)
    if fallback is not None:
        instant = to_instant(fallback, request.zone)
        if instant <= request.now:
            raise ScheduleError(f"'{request.original}' is in the past.")
        return Once(instant, request.timezone)
    raise ScheduleError(f"Could not understand '{core or request.original}'.")


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
