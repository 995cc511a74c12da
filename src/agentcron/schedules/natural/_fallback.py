"""dateparser as a guarded fallback for one-off dates our grammar does not cover.

dateparser reads many more date forms than our grammar ('25 Dec 2026',
'the day after tomorrow'), but it also guesses: it drops words it does not
know and invents a time when none is given. So it is only asked when the
phrase is not recurring, names a time of day that we read ourselves, and has
no ambiguous numeric date; and its answer must carry exactly that time.
"""

from __future__ import annotations

import functools
import re
import warnings
from datetime import datetime
from typing import TYPE_CHECKING

from agentcron.errors import ScheduleError
from agentcron.schedules.natural._clock import TimeClause

if TYPE_CHECKING:
    from dateparser.date import DateDataParser

_RECURRING_WORDS = re.compile(
    r"\b(?:every|each|daily|weekly|monthly|yearly|annually|hourly|nightly|weekdays|weekends"
    r"|until|mondays|tuesdays|wednesdays|thursdays|fridays|saturdays|sundays)\b"
)
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[/.](\d{1,2})(?:[/.]\d{2,4})?\b")


def parse_with_dateparser(text: str, clause: TimeClause | None, now: datetime) -> datetime | None:
    """A naive wall time for ``text`` relative to the naive wall time ``now``, or None."""
    lowered = text.lower()
    if clause is None or len(clause.times) != 1 or _RECURRING_WORDS.search(lowered):
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
    if found.time().replace(microsecond=0) != wanted:
        return None
    return found.replace(tzinfo=None, microsecond=0)


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
