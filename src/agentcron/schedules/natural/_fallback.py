"""dateparser as a guarded fallback for one-off dates our grammar does not cover.

dateparser reads many more date forms than our grammar ('25 Dec 2026',
'the day after tomorrow'), but it also guesses: it drops words it does not
know and invents a time when none is given. So it is only asked when the
phrase is not recurring, names a time of day that we read ourselves, has no
ambiguous numeric date, and has only words of dates: a word dateparser would
skip ('banana', 'maybe') refuses the phrase instead. Its answer must carry
exactly the time we read.
"""

from __future__ import annotations

import functools
import re
import warnings
from datetime import datetime
from typing import TYPE_CHECKING

from agentcron.errors import ScheduleError
from agentcron.schedules.natural._clock import TimeClause
from agentcron.schedules.natural._lexicon import MONTH, NUMBER, ORDINAL, PART_OF_DAY, WEEKDAY

if TYPE_CHECKING:
    from dateparser.date import DateDataParser

_RECURRING_WORDS = re.compile(
    r"\b(?:every|each|daily|weekly|monthly|yearly|annually|hourly|nightly|weekdays|weekends"
    r"|until|mondays|tuesdays|wednesdays|thursdays|fridays|saturdays|sundays)\b"
)
_MONTH_NAME = re.compile(rf"\b{MONTH}\b")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[/.](\d{1,2})(?:[/.]\d{2,4})?\b")
_DATE_WORD = re.compile(
    rf"^(?:{MONTH}|{WEEKDAY}|{ORDINAL}|{NUMBER}|{PART_OF_DAY}|[\d/.:-]+|of|the|on|in|at|next"
    r"|last|this|coming|after|before|from|day|days|week|weeks|month|months|year|years|and"
    r"|a|an|today|tomorrow|tonight)$"
)


def only_date_words(core: str) -> bool:
    """Whether every word of ``core`` is one a date is written with."""
    return all(_DATE_WORD.match(word) for word in re.split(r"[\s,]+", core) if word)


def parse_with_dateparser(
    text: str, core: str, clause: TimeClause | None, now: datetime
) -> datetime | None:
    """A naive wall time for ``text`` relative to the naive wall time ``now``, or None.

    ``core`` is what is left of the phrase once its time is read: only its words decide
    whether dateparser may be asked.
    """
    lowered = text.lower()
    if clause is None or len(clause.times) != 1 or _RECURRING_WORDS.search(lowered):
        return None
    if not only_date_words(core):
        return None
    numeric = _NUMERIC_DATE.search(lowered)
    if numeric and int(numeric[1]) <= 12 and int(numeric[2]) <= 12:
        raise ScheduleError(
            f"'{numeric[0]}' could be read day-first or month-first; write the date as "
            "2026-12-25 or 'december 25'."
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dateparser warns about its own pytz-era internals
        found = _parser(now).get_date_data(text).date_obj
    if found is None:
        return None
    wanted = clause.resolved(None)[0]
    if found.time().replace(microsecond=0) != wanted or not _uses_every_number(core, found, now):
        return None
    return found.replace(tzinfo=None, microsecond=0)


def _uses_every_number(core: str, found: datetime, now: datetime) -> bool:
    """Whether each number of ``core`` is, once, the answer's day, month (when no month is
    named) or four-digit year, and an unwritten year is this one or the next: dateparser
    reads '3 december 25' as 3 December 2125 and 'december 25 12' as the year 2112."""
    free = {"day": found.day, "month": None if _MONTH_NAME.search(core) else found.month}
    year_written = False
    for number in re.findall(r"\d+", core):
        if len(number) == 4 and int(number) == found.year and not year_written:
            year_written = True
            continue
        part = next((k for k, v in free.items() if v == int(number) and len(number) <= 2), None)
        if part is None:
            return False
        free[part] = None
    return year_written or found.year in (now.year, now.year + 1)


@functools.lru_cache(maxsize=8)
def _parser(now: datetime) -> DateDataParser:
    from dateparser.date import DateDataParser  # noqa: PLC0415 - slow to import, rarely needed

    return DateDataParser(
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": now,
            "RETURN_AS_TIMEZONE_AWARE": False,
            "REQUIRE_PARTS": ["day", "month"],
        },
    )
