"""Small English phrase builders shared by the schedule descriptions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

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


def plural(n: int, unit: str) -> str:
    """'1 minute', '15 minutes'."""
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"
