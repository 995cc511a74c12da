"""Day phrases in English: 'tomorrow', 'next monday', 'december 25', 'the 1st', '2026-12-25',
'next week on thursday', 'the end of the month'."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from agentcron.errors import ScheduleError
from agentcron.schedules._words import MONTH_NAMES, WEEKDAY_NAMES
from agentcron.schedules.natural._lexicon import (
    MONTH,
    NUMBER,
    ORDINAL,
    PART_OF_DAY,
    WEEKDAY,
    month_value,
    number_value,
    ordinal_value,
    weekday_value,
)

_YEAR = r"(?P<year>\d{4})"
_MONTH_DAY = re.compile(
    rf"^(?:on\s+)?(?:(?P<wd>{WEEKDAY}),?\s+)?(?:the\s+)?(?:(?P<m1>{MONTH})\s+(?:the\s+)?(?P<d1>{ORDINAL})"
    rf"|(?P<d2>{ORDINAL})\s+(?:of\s+)?(?P<m2>{MONTH}))(?:,?\s+{_YEAR})?$"
)
_ISO_DATE = re.compile(r"^(?:on\s+)?(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$")
_DAY_OF_MONTH = re.compile(
    rf"^(?:on\s+)?the\s+(?P<d>{ORDINAL})(?:\s+(?:day\s+)?of\s+(?:the|this)\s+month)?$"
)
_DAY_OF_NEXT_MONTH = re.compile(
    rf"^(?:(?:on\s+)?the\s+(?P<d1>{ORDINAL})\s+(?:day\s+)?of\s+next\s+month"
    rf"|next\s+month\s+on\s+the\s+(?P<d2>{ORDINAL}))$"
)
_WEEKDAY = re.compile(
    rf"^(?:(?:on|this|coming|this\s+coming)\s+)?(?P<next>next\s+)?(?P<wd>{WEEKDAY})"
    rf"(?:\s+(?P<part>{PART_OF_DAY}))?$"
)
_WEEK_RELATIVE = re.compile(
    rf"^(?:(?:on\s+)?(?P<wd1>{WEEKDAY})\s+(?:of\s+)?(?P<w1>next|this)\s+week"
    rf"|(?P<w2>next|this)\s+week(?:\s+on)?\s+(?P<wd2>{WEEKDAY}))(?:\s+(?P<part>{PART_OF_DAY}))?$"
)
_END_OF = re.compile(
    r"^(?:the\s+)?end\s+of\s+(?:(?:the|this)\s+)?(?P<next>next\s+)?(?P<unit>week|month|year)$"
)
_RELATIVE_DAY = re.compile(
    rf"^(?P<day>today|tonight|tomorrow|(?:the\s+)?day\s+after\s+tomorrow|this\s+(?P<this>{PART_OF_DAY}))"
    rf"(?:\s+(?P<part>{PART_OF_DAY}))?$"
)
_IN_DAYS = re.compile(rf"^in\s+(?P<n>{NUMBER})\s+(?P<unit>days?|weeks?)$")


@dataclass(frozen=True)
class DayPhrase:
    """Calendar days a phrase may mean, best first; the first still ahead is chosen."""

    candidates: tuple[date, ...]
    part_of_day: str | None = None


def parse_day(text: str, today: date) -> DayPhrase | None:
    """The days ``text`` names relative to ``today``, or None when it names no day."""
    if match := _RELATIVE_DAY.match(text):
        offset = {"today": 0, "tonight": 0, "tomorrow": 1}.get(match.group("day"), 2)
        if match.group("this"):
            offset = 0
        part = match.group("part") or match.group("this")
        if match.group("day") == "tonight":
            part = "night"
        return DayPhrase((today + timedelta(days=offset),), part)
    if match := _IN_DAYS.match(text):
        days = number_value(match.group("n")) * (7 if match.group("unit").startswith("w") else 1)
        return DayPhrase((today + timedelta(days=days),))
    if match := _WEEKDAY.match(text):
        return _weekday(match, today)
    if match := _WEEK_RELATIVE.match(text):
        monday = today - timedelta(days=today.weekday())
        if (match["w1"] or match["w2"]) == "next":
            monday += timedelta(weeks=1)
        named = monday + timedelta(days=weekday_value(match["wd1"] or match["wd2"]))
        return DayPhrase((named,), match["part"])
    if match := _END_OF.match(text):
        return DayPhrase((_end_of(match["unit"], today, ahead=bool(match["next"])),))
    if match := _ISO_DATE.match(text):
        return DayPhrase((_real_date(int(match["y"]), int(match["m"]), int(match["d"])),))
    if match := _MONTH_DAY.match(text):
        month = month_value(match["m1"] or match["m2"])
        day = ordinal_value(match["d1"] or match["d2"])
        found: tuple[date, ...]
        if match["year"]:
            found = (_real_date(int(match["year"]), month, day),)
        else:
            _real_date(2024, month, day)  # a leap year: rejects only days no year has
            years = [y for y in range(today.year, today.year + 9) if _exists(y, month, day)]
            found = tuple(date(y, month, day) for y in years[:2])
        if match["wd"]:
            found = _on_weekday(found, weekday_value(match["wd"]))
        return DayPhrase(found)
    if match := _DAY_OF_MONTH.match(text):
        day = ordinal_value(match["d"])
        if not 1 <= day <= 31:
            raise ScheduleError(f"There is no day {day} in a month.")
        months = [_add_months(today.replace(day=1), k) for k in range(4)]
        return DayPhrase(
            tuple(m.replace(day=day) for m in months if _exists(m.year, m.month, day))[:2]
        )
    if match := _DAY_OF_NEXT_MONTH.match(text):
        following = _add_months(today.replace(day=1), 1)
        number = ordinal_value(match["d1"] or match["d2"])
        return DayPhrase((_real_date(following.year, following.month, number),))
    return None


def _end_of(unit: str, today: date, *, ahead: bool) -> date:
    """The last day of this (or the next) week, month or year: weeks end on Sunday."""
    if unit == "week":
        return today + timedelta(days=6 - today.weekday() + (7 if ahead else 0))
    if unit == "month":
        return _add_months(today.replace(day=1), 2 if ahead else 1) - timedelta(days=1)
    return date(today.year + (1 if ahead else 0), 12, 31)


def _weekday(match: re.Match[str], today: date) -> DayPhrase:
    weekday = weekday_value(match["wd"])
    ahead = (weekday - today.weekday()) % 7
    part = match["part"]
    if match["next"]:
        return DayPhrase((today + timedelta(days=ahead or 7),), part)
    first = today + timedelta(days=ahead)
    return DayPhrase((first, first + timedelta(days=7)), part)


def _on_weekday(days: tuple[date, ...], weekday: int) -> tuple[date, ...]:
    """The days that fall on ``weekday``; a named weekday that does not fit is an error."""
    fitting = tuple(d for d in days if d.weekday() == weekday)
    if not fitting:
        first = days[0]
        raise ScheduleError(
            f"{first:%-d %B %Y} is a {WEEKDAY_NAMES[first.weekday()]}, "
            f"not a {WEEKDAY_NAMES[weekday]}."
        )
    return fitting


def _exists(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _real_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        name = MONTH_NAMES[month - 1] if 1 <= month <= 12 else f"month {month}"
        raise ScheduleError(f"{name} {day} does not exist.") from None


def _add_months(first_of_month: date, months: int) -> date:
    year, month = divmod(first_of_month.month - 1 + months, 12)
    return date(first_of_month.year + year, month + 1, 1)
