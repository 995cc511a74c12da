"""Small English phrase builders shared by the schedule descriptions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import time
from itertools import pairwise

from agentcron.plurals import plural

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
LONGEST_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # days, February of a leap year
WEEKDAYS = frozenset(range(5))
WEEKEND = frozenset({5, 6})


def join_words(items: Sequence[str], conjunction: str = "and") -> str:
    """'a', 'a and b', 'a, b and c'."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def ordinal(n: int) -> str:
    """1 -> '1st', 22 -> '22nd', -1 -> 'last', -2 -> '2nd to last'."""
    if n == -1:
        return "last"
    if n < 0:
        return f"{ordinal(-n)} to last"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def clock_time(hour: int, minute: int, second: int = 0) -> str:
    """24-hour reading, seconds only when not zero: '08:30', '08:30:15'."""
    text = f"{hour:02d}:{minute:02d}"
    return f"{text}:{second:02d}" if second else text


def clock_times(hours: Iterable[int], minutes: Iterable[int], seconds: Iterable[int]) -> str:
    """'08:30', '09:00 and 17:00' for every combination, in order of the day."""
    return join_words(
        [
            clock_time(h, m, s)
            for h in sorted(hours)
            for m in sorted(minutes)
            for s in sorted(seconds)
        ]
    )


def weekday_phrase(weekdays: Iterable[int]) -> str:
    """Weekday numbers (Monday = 0) as 'every day', 'every weekday', 'every Monday and Friday'."""
    days = frozenset(weekdays)
    if len(days) == 7:
        return "every day"
    if days == WEEKDAYS:
        return "every weekday"
    if days == WEEKEND:
        return "every Saturday and Sunday"
    return "every " + join_words([WEEKDAY_NAMES[d] for d in sorted(days)])


_LISTED_TIMES = 8


def times_of_day(times: Sequence[time]) -> str:
    """'at 09:00 and 17:00', or 'every 15 minutes from 08:00 to 18:00' for a steady beat."""
    readings = [clock_time(t.hour, t.minute, t.second) for t in times]
    steps = {_seconds(b) - _seconds(a) for a, b in pairwise(times)}
    if len(times) > 2 and len(steps) == 1:
        return f"every {span_words(steps.pop())} from {readings[0]} to {readings[-1]}"
    if len(readings) > _LISTED_TIMES:
        return f"{len(readings)} times a day from {readings[0]} to {readings[-1]}"
    return "at " + join_words(readings)


def span_words(seconds: int) -> str:
    """3600 -> 'hour', 900 -> '15 minutes', 5400 -> '90 minutes', 30 -> '30 seconds'."""
    for size, unit in ((3600, "hour"), (60, "minute"), (1, "second")):
        if seconds % size == 0:
            count = seconds // size
            return unit if count == 1 else plural(count, unit)
    return plural(seconds, "second")


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second
