"""Windows of the day for intervals: 'every 15 minutes from 8 to 6', 'hourly between 10 and 4'.

A window turns an interval into wall-clock times of the day: its start, then every
step up to and including its end. Like lists of times, a bare end hour that would come
before the start is the afternoon's ('from 8 to 6' is 08:00 to 18:00), and a bare start
takes the end's 'pm' when that keeps it first ('from 1 to 5pm' is 13:00 to 17:00).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from agentcron.errors import ScheduleError
from agentcron.schedules._words import clock_time, span_words
from agentcron.schedules.natural._clock import parse_clock

MAX_TIMES_PER_DAY = 366  # RFC 5545 positions (BYSETPOS) go up to 366

_TIME = r"(?:\d{1,2}(?::\d{2}){0,2}\s*(?:am|pm)?|noon|midday|midnight)"
_WINDOW = re.compile(
    rf"(?<![\w:])(?:from|between)\s+(?P<start>{_TIME})\s*(?:to|and|until|till|through|thru|-)\s*"
    rf"(?P<end>{_TIME})(?![\w:])"
)
_DAY = datetime(2000, 1, 3)  # any date: the window's times are computed on it


@dataclass(frozen=True)
class Window:
    """From ``start`` to ``end`` on the wall clock; ``end`` before ``start`` crosses midnight."""

    start: time
    end: time

    @property
    def crosses_midnight(self) -> bool:
        return self.end < self.start

    def times(self, step: timedelta) -> tuple[time, ...]:
        """The start, then every ``step`` up to and including the end, in order of the day."""
        first = datetime.combine(_DAY, self.start)
        last = datetime.combine(_DAY, self.end)
        if self.crosses_midnight:
            last += timedelta(days=1)
        count = (last - first) // step + 1
        if count > MAX_TIMES_PER_DAY:
            first_reading = clock_time(self.start.hour, self.start.minute)
            last_reading = clock_time(self.end.hour, self.end.minute)
            raise ScheduleError(
                f"Every {span_words(int(step.total_seconds()))} from {first_reading} "
                f"to {last_reading} is {count} times a day; "
                f"one schedule holds at most {MAX_TIMES_PER_DAY}. Use a cron expression "
                "such as '* 8-17 * * 1-5' for every minute of a window."
            )
        return tuple(sorted({(first + step * k).time() for k in range(count)}))


def whole_day() -> Window:
    """The window of an interval limited to some days but to no hours."""
    return Window(time(0, 0), time(23, 59, 59))


def take_window(text: str) -> tuple[Window | None, str]:
    """The 'from ... to ...' window in ``text`` and the text without it."""
    matches = list(_WINDOW.finditer(text))
    if not matches:
        return None, text
    if len(matches) > 1:
        raise ScheduleError("Give one window of the day, e.g. 'from 9am to 5pm'.")
    match = matches[0]
    start, end = _read(match["start"]), _read(match["end"])
    if start[0] == end[0]:
        raise ScheduleError(f"The window '{match.group(0)}' starts and ends at the same time.")
    rest = " ".join((text[: match.start()] + " " + text[match.end() :]).split())
    return Window(*_resolve(start, end)), rest


def _read(text: str) -> tuple[time, bool]:
    found = parse_clock(text)
    if found is None:  # the pattern only lets times through
        raise ScheduleError(f"'{text}' is not a time of day.")
    return found


def _resolve(start: tuple[time, bool], end: tuple[time, bool]) -> tuple[time, time]:
    (first, first_bare), (last, last_bare) = start, end
    if first_bare and not last_bare and last.hour >= 12 and 1 <= first.hour <= 11:
        afternoon = first.replace(hour=first.hour + 12)
        if afternoon < last:
            first = afternoon
    if last_bare and last < first and 1 <= last.hour <= 11:
        last = last.replace(hour=last.hour + 12)
    return first, last
