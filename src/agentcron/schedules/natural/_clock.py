"""Times of day in English: '7am', '8:30', '18:00', 'noon', 'at 9', '9am and 5pm'.

A bare hour is on the 24-hour clock ('at 7' is 07:00), with one exception applied
everywhere: in a list, an hour that would come before the one it follows is the
afternoon's ('at 9 and 3' is 09:00 and 15:00). Listed times are joined by a comma,
'and' or '&': 'at 9 3' is refused, so a stray number never becomes a time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

from agentcron.errors import ScheduleError
from agentcron.schedules.natural._lexicon import PART_OF_DAY

_STRICT = r"(?:\d{1,2}(?::\d{2}){0,2}\s*(?:am|pm)|\d{1,2}:\d{2}(?::\d{2})?|noon|midday|midnight)"
_LOOSE = r"(?:\d{1,2}(?::\d{2}){0,2}\s*(?:am|pm)?|noon|midday|midnight)"
_SEP = r"(?:\s*(?:,\s*(?:and\s+)?|\band\b|&)\s*)"
_PART = rf"(?:\s+(?:in\s+the\s+(?P<part>{PART_OF_DAY})|(?P<night>at\s+night)))?"
_CLAUSE = re.compile(
    rf"(?<![\w:.-])(?:(?:at|@)\s*(?P<loose>{_LOOSE}(?:{_SEP}{_LOOSE})*)"
    rf"|(?P<strict>{_STRICT}(?:{_SEP}{_STRICT})*)){_PART}(?![\w:])"
)
_ONE = re.compile(r"(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*(am|pm)?|noon|midday|midnight")


@dataclass(frozen=True)
class TimeClause:
    """The times of day a phrase names, and whether each hour came without am/pm."""

    times: tuple[time, ...]
    bare_hours: tuple[bool, ...]
    part_of_day: str | None

    def resolved(self, part_of_day: str | None) -> tuple[time, ...]:
        """Apply 'evening', 'tonight'... to hours given without am/pm.

        In the afternoon and evening 7 is 19:00; at night 11 is 23:00, while 12 is
        midnight and 1 to 5 are the small hours (see ``crosses_midnight``).
        """
        part = self.part_of_day or part_of_day
        if part not in ("afternoon", "evening", "night"):
            return self.times
        return tuple(
            _shift(t, part) if bare else t
            for t, bare in zip(self.times, self.bare_hours, strict=True)
        )

    def crosses_midnight(self, part_of_day: str | None) -> bool:
        """True for 'tonight at 12' or 'tonight at 1': the time falls on the next day."""
        if (self.part_of_day or part_of_day) != "night":
            return False
        return any(
            bare and (t.hour == 12 or 1 <= t.hour <= _SMALL_HOURS_END)
            for t, bare in zip(self.times, self.bare_hours, strict=True)
        )


_SMALL_HOURS_END = 5


def _shift(moment: time, part: str) -> time:
    if part == "night" and moment.hour == 12:
        return moment.replace(hour=0)
    if part == "night" and moment.hour <= _SMALL_HOURS_END:
        return moment
    if 1 <= moment.hour <= 11:
        return moment.replace(hour=moment.hour + 12)
    return moment


def extract_time_clause(text: str) -> tuple[TimeClause | None, str]:
    """Find the one time clause in ``text``; return it and the text without it."""
    matches = list(_CLAUSE.finditer(text))
    if not matches:
        return None, text
    if len(matches) > 1:
        found = " and ".join(f"'{m.group(0).strip()}'" for m in matches)
        raise ScheduleError(f"Found more than one time of day ({found}); give the times together.")
    match = matches[0]
    listed = match.group("loose") or match.group("strict")
    times: list[time] = []
    bare: list[bool] = []
    for item in _ONE.finditer(listed):
        moment, is_bare = _parse_time(item)
        if is_bare and times and moment < times[-1] and 1 <= moment.hour <= 11:
            moment, is_bare = moment.replace(hour=moment.hour + 12), False
        times.append(moment)
        bare.append(is_bare)
    part = match.group("part") or ("night" if match.group("night") else None)
    rest = (text[: match.start()] + " " + text[match.end() :]).strip()
    return TimeClause(tuple(times), tuple(bare), part), " ".join(rest.split())


def parse_clock(text: str) -> tuple[time, bool] | None:
    """One time of day ('9', '9:30', '6pm', 'noon') and whether it came without am/pm."""
    match = _ONE.fullmatch(text.strip())
    return _parse_time(match) if match else None


def _parse_time(item: re.Match[str]) -> tuple[time, bool]:
    word = item.group(0)
    if word in ("noon", "midday"):
        return time(12, 0), False
    if word == "midnight":
        return time(0, 0), False
    hour = int(item.group(1))
    minute = int(item.group(2) or 0)
    second = int(item.group(3) or 0)
    meridiem = item.group(4)
    if meridiem:
        if not 1 <= hour <= 12:
            raise ScheduleError(f"'{word}' is not a time: with am/pm the hour must be 1-12.")
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ScheduleError(f"'{word}' is not a time of day (00:00 to 23:59).")
    return time(hour, minute, second), meridiem is None
