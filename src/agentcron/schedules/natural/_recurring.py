"""The recurring core of a phrase: 'every weekday', 'on the last day of every month', ..."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

from agentcron.errors import ScheduleError
from agentcron.schedules._words import LONGEST_MONTH, MONTH_NAMES, WEEKDAY_NAMES
from agentcron.schedules.natural._lexicon import (
    EVERY,
    LIST_SEPARATOR,
    MONTH,
    NUMBER,
    ORDINAL,
    PART_OF_DAY,
    WEEKDAY,
    WEEKDAY_PLURAL,
    month_value,
    number_value,
    ordinal_value,
    weekday_value,
)
from agentcron.schedules.rrule import Frequency

_N = rf"(?:(?P<n>{NUMBER}|other)\s+)?"
_WEEKDAYS = rf"(?P<days>{WEEKDAY_PLURAL}(?:{LIST_SEPARATOR}{WEEKDAY_PLURAL})*)"
_MONTH_DAYS = rf"(?P<mdays>(?:{ORDINAL}|last\s+day)(?:{LIST_SEPARATOR}(?:{ORDINAL}|last\s+day))*)"
_ONE_NTH = r"(?:second\s+to\s+last|first|second|third|fourth|fifth|last|[1-5](?:st|nd|rd|th))"
_NTH = rf"(?P<nth>{_ONE_NTH}(?:\s*(?:,\s*(?:and\s+)?|\band\b|&)\s*{_ONE_NTH})*)"
_DAY_NAME = rf"(?P<wd>{WEEKDAY}|weekday|weekend\s+day|day)"
_QUARTERS = (
    r"(?P<quarterly>quarterly|(?:every|each)\s+quarter)"
    r"|(?P<halfyearly>semi-?annually|half-?yearly|bi-?annually|twice\s+a\s+year"
    r"|(?:every|each)\s+half[\s-]year)"
)
_MONTHS = rf"(?:{EVERY}\s+{_N}months?|monthly|{_QUARTERS})"
_THE_MONTH = rf"(?:(?:the|every|each)\s+{_N}months?|(?:the|every|each)\s+(?P<quarter>quarter))"

_SPAN_UNITS = {
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
}


@dataclass(frozen=True)
class Recurrence:
    """What the recurring core says, before times and bounds are added."""

    freq: Frequency
    interval: int = 1
    byday: tuple[tuple[int, int], ...] = ()
    bymonthday: tuple[int, ...] = ()
    bymonth: tuple[int, ...] = ()
    bysetpos: tuple[int, ...] = ()
    part_of_day: str | None = None
    times_per_day: int | None = None  # 'twice a day': how many times the phrase must name


class _Forms:
    """Whole-phrase patterns of one form, compiled on first use: a phrase is tried against
    the forms in order and most match one of the first few, so a command that reads one
    phrase does not pay to compile the whole grammar. Alternatives may reuse group names."""

    def __init__(self, *alternatives: str) -> None:
        self._alternatives = alternatives

    @cached_property
    def patterns(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(rf"^(?:{pattern})$") for pattern in self._alternatives)


def _match(forms: _Forms, text: str) -> re.Match[str] | None:
    return next((m for p in forms.patterns if (m := p.match(text))), None)


_INTERVAL = _Forms(
    rf"(?:{EVERY}\s+(?:(?P<n>{NUMBER}|\d+\.\d+)\s+)?(?P<unit>seconds?|secs?|minutes?|mins?|hours?|hrs?)"
    r"|(?P<hourly>hourly)|(?P<half>every\s+half(?:\s+an)?\s+hour|half-hourly)"
    r"|(?P<quarter>every\s+quarter(?:\s+of\s+an)?\s+hour))"
)
_DAILY = _Forms(
    rf"{EVERY}\s+{_N}days?|daily|every\s+single\s+day|nightly",
    rf"{EVERY}(?:\s+day)?\s+(?:in\s+the\s+)?(?P<part>{PART_OF_DAY})",
    r"(?P<per_day>once|twice|three\s+times|four\s+times)\s+(?:a\s+day|per\s+day|daily)",
    rf"{EVERY}\s+(?P<nth_day>\d+(?:st|nd|rd|th)|second|third|fourth|fifth)\s+day",
)
_DAILY_EXCEPT = _Forms(
    rf"{EVERY}\s+day\s+(?:except|but\s+not)\s+(?:on\s+)?"
    rf"(?:(?P<weekend>weekends?)|(?P<workdays>week\s*days?)|{_WEEKDAYS})"
)
_PER_DAY = {"once": 1, "twice": 2, "three times": 3, "four times": 4}
_WORKDAYS = _Forms(
    rf"(?:(?:{EVERY}|on)\s+)?(?:week\s*days?|working\s+days?|work\s*days?|business\s+days?)"
    rf"(?:\s+(?:in\s+the\s+)?(?P<part>{PART_OF_DAY}))?"
)
_WEEKENDS = _Forms(r"(?:(?:every|each|on)\s+)?weekends?(?:\s+days?)?")
_WEEKLY_EVERY = _Forms(
    rf"(?:{EVERY}\s+{_N}weeks?\s+on|(?:weekly|bi-?weekly|fortnightly)\s+on|{EVERY}\s+(?P<other>other\s+)?)"
    rf"\s*{_WEEKDAYS}(?:\s+(?P<part>{PART_OF_DAY})s?)?"
)
_WEEKLY_PLURAL = _Forms(rf"(?:on\s+)?{_WEEKDAYS}(?:\s+(?P<part>{PART_OF_DAY})s?)?")
_MONTHLY_DAYS = _Forms(
    rf"{_MONTHS}\s+on\s+the\s+{_MONTH_DAYS}(?:\s+days?)?",
    rf"(?:on\s+)?the\s+{_MONTH_DAYS}\s+(?:day\s+)?of\s+{_THE_MONTH}",
    rf"{EVERY}\s+{_MONTH_DAYS}\s+(?:day\s+)?of\s+{_THE_MONTH}",
)
_MONTHLY_NTH = _Forms(
    rf"(?:{EVERY}|on\s+the|the)\s+{_NTH}\s+{_DAY_NAME}\s+(?:of|in)\s+{_THE_MONTH}",
    rf"{EVERY}\s+(?P<nth>first|1st|last)\s+(?P<wd>{WEEKDAY})",
    rf"{_MONTHS}\s+on\s+the\s+{_NTH}\s+{_DAY_NAME}",
)
_MD = (
    rf"(?:the\s+)?(?:(?P<m1>{MONTH})\s+(?:the\s+)?(?P<d1>{ORDINAL})"
    rf"|(?P<d2>{ORDINAL})\s+(?:of\s+)?(?P<m2>{MONTH}))"
)
_YEARLY = _Forms(
    rf"(?:{EVERY}\s+{_N}years?|yearly|annually)\s+on\s+{_MD}",
    rf"{EVERY}\s+{_MD}",
    rf"(?:on\s+)?{_MD}\s+(?:every|each)\s+year",
)
_YEARLY_NTH = _Forms(
    rf"(?:{EVERY}(?:\s+year\s+on)?|yearly\s+on|annually\s+on)\s+the\s+{_NTH}\s+{_DAY_NAME}"
    rf"\s+(?:of|in)\s+(?P<month>{MONTH})"
)
_VAGUE = _Forms(
    rf"(?:{EVERY}\s+{_N}(?:weeks?|months?|years?)|weekly|monthly|yearly|annually|{_QUARTERS})"
)
_SUFFIXED_DAY = r"\d{1,2}(?:st|nd|rd|th)"  # 'every 15th', never a bare 'every 15'
_EVERY_MONTH_DAY = _Forms(  # 'every 1st and 15th'
    rf"{EVERY}\s+(?:the\s+)?(?P<mdays>{_SUFFIXED_DAY}(?:{LIST_SEPARATOR}{_SUFFIXED_DAY})*)"
)
_DAY_FILTER = _Forms(rf"(?:on\s+)?{_WEEKDAYS}")
_EVERY_NTH_WEEKDAY = _Forms(rf"{EVERY}\s+(?P<nth>{_ONE_NTH})\s+(?P<wd>{WEEKDAY})")


_WEEK_COUNTS = {"second": "2", "2nd": "2", "third": "3", "3rd": "3", "fourth": "4", "4th": "4"}


def parse_interval(core: str) -> timedelta | None:
    """The span of 'every 15 minutes', 'hourly', 'every half hour'; None for other phrases."""
    match = _match(_INTERVAL, core)
    if not match:
        return None
    if match["hourly"]:
        return timedelta(hours=1)
    if match["half"]:
        return timedelta(minutes=30)
    if match["quarter"]:
        return timedelta(minutes=15)
    raw = match["n"] or "1"
    count = float(raw) if "." in raw else number_value(raw)
    span = _SPAN_UNITS[match["unit"][0]] * count
    if span < timedelta(seconds=1):
        raise ScheduleError(f"An interval must be at least one second; '{core}' is not.")
    if span % timedelta(seconds=1):
        raise ScheduleError(f"'{core}' is not a whole number of seconds.")
    return span


def parse_recurrence(core: str) -> Recurrence | None:
    """The recurrence a core phrase names, or None when it names none."""
    if match := _match(_DAILY, core):
        per_day = match.groupdict().get("per_day")
        if per_day:
            return Recurrence(Frequency.DAILY, times_per_day=_PER_DAY[" ".join(per_day.split())])
        if nth_day := match.groupdict().get("nth_day"):  # 'every 2nd day'
            return Recurrence(Frequency.DAILY, max(ordinal_value(nth_day), 1))
        return Recurrence(Frequency.DAILY, _count(match), part_of_day=_part(match))
    if match := _match(_DAILY_EXCEPT, core):
        if match["weekend"]:
            left_out = {5, 6}
        elif match["workdays"]:
            left_out = set(range(5))
        else:
            left_out = {d for d, _ in _weekday_list(match["days"])}
        kept = [d for d in range(7) if d not in left_out]
        if not kept:
            raise ScheduleError(f"'{core}' leaves no day.")
        return Recurrence(Frequency.WEEKLY, byday=_days(kept))
    if match := _match(_WORKDAYS, core):
        return Recurrence(Frequency.WEEKLY, byday=_days(range(5)), part_of_day=_part(match))
    if _match(_WEEKENDS, core):
        return Recurrence(Frequency.WEEKLY, byday=_days((5, 6)))
    if match := _match(_WEEKLY_EVERY, core):
        interval = 2 if match["other"] or "bi" in core or "fortnight" in core else _count(match)
        return Recurrence(
            Frequency.WEEKLY, interval, _weekday_list(match["days"]), part_of_day=_part(match)
        )
    if (match := _match(_WEEKLY_PLURAL, core)) and _all_plural(match["days"]):
        return Recurrence(
            Frequency.WEEKLY, byday=_weekday_list(match["days"]), part_of_day=_part(match)
        )
    if match := _match(_EVERY_MONTH_DAY, core):
        return Recurrence(Frequency.MONTHLY, bymonthday=_month_days(match["mdays"]))
    if match := _match(_MONTHLY_DAYS, core):
        return Recurrence(Frequency.MONTHLY, _months(match), bymonthday=_month_days(match["mdays"]))
    if match := _match(_MONTHLY_NTH, core):
        return _nth_day(Frequency.MONTHLY, match, ())
    if match := _match(_YEARLY, core):
        month = month_value(match["m1"] or match["m2"])
        day = ordinal_value(match["d1"] or match["d2"])
        if day == -1:
            return Recurrence(Frequency.YEARLY, _count(match), bymonthday=(-1,), bymonth=(month,))
        _check_day_of_month(month, day)
        return Recurrence(Frequency.YEARLY, _count(match), bymonthday=(day,), bymonth=(month,))
    if match := _match(_YEARLY_NTH, core):
        return _nth_day(Frequency.YEARLY, match, (month_value(match["month"]),))
    if match := _match(_EVERY_NTH_WEEKDAY, core):
        nth, weekday = match["nth"], WEEKDAY_NAMES[weekday_value(match["wd"])].lower()
        raise ScheduleError(
            f"'{core}' could mean every {nth} week or the {nth} {weekday} of each month: say "
            f"'every {_WEEK_COUNTS.get(nth, '2')} weeks on {weekday}' or "
            f"'the {nth} {weekday} of every month'."
        )
    if _match(_VAGUE, core):
        raise ScheduleError(
            f"'{core}' does not say on which day. Say e.g. 'every week on monday' or "
            "'every month on the 1st'."
        )
    return None


def parse_day_filter(text: str) -> Recurrence | None:
    """The days an interval is limited to: 'on weekdays', 'on monday and friday', ..."""
    if (recurrence := parse_recurrence(text)) is not None:
        return recurrence
    if match := _match(_DAY_FILTER, text):
        return Recurrence(Frequency.WEEKLY, byday=_weekday_list(match["days"]))
    return None


def _count(match: re.Match[str]) -> int:
    groups = match.groupdict()
    raw = groups.get("n")
    value = number_value(raw) if raw else 1
    if value < 1:
        raise ScheduleError("A repeat interval must be at least 1.")
    if (
        value > 1
        and raw
        and raw != "other"
        and not re.search(rf"\b{re.escape(raw)}\s+\w+s\b", match.group(0))
    ):
        raise ScheduleError(f"'{match.group(0)}': say e.g. 'every {value} days', in the plural.")
    return value


def _months(match: re.Match[str]) -> int:
    """The months between occurrences: 'every 2 months' 2, 'quarterly' 3, 'half-yearly' 6."""
    groups = match.groupdict()
    if groups.get("quarterly") or groups.get("quarter"):
        return 3
    if groups.get("halfyearly"):
        return 6
    return _count(match)


def _part(match: re.Match[str]) -> str | None:
    return match.groupdict().get("part")


def _days(days: Iterable[int]) -> tuple[tuple[int, int], ...]:
    return tuple((d, 0) for d in days)


def _weekday_list(text: str) -> tuple[tuple[int, int], ...]:
    found = sorted({weekday_value(w) for w in re.findall(WEEKDAY, text)})
    return tuple((d, 0) for d in found)


def _all_plural(text: str) -> bool:
    words = [w for w in re.findall(r"[a-z]+", text) if w not in ("and", "or")]
    return all(w.endswith("s") and w not in ("tues", "thurs", "weds") for w in words)


def _month_days(text: str) -> tuple[int, ...]:
    days = set()
    for item in re.findall(rf"last\s+day|{ORDINAL}", text):
        day = -1 if item.startswith("last") else ordinal_value(item)
        if day != -1 and not 1 <= day <= 31:
            raise ScheduleError(f"There is no day {day} in a month.")
        days.add(day)
    return tuple(sorted(days))


def _nth_value(word: str) -> int:
    if word.startswith("second") and word.endswith("last"):
        return -2
    return ordinal_value(word)


def _nth_day(freq: Frequency, match: re.Match[str], months: tuple[int, ...]) -> Recurrence:
    nths = tuple(sorted({_nth_value(w) for w in re.findall(_ONE_NTH, match["nth"])}))
    name = match["wd"]
    interval = _months(match) if freq == Frequency.MONTHLY else _count(match)
    if name == "day":
        return Recurrence(freq, interval, bymonthday=nths, bymonth=months)
    if name in ("weekday", "weekend day"):
        group = range(5) if name == "weekday" else (5, 6)
        return Recurrence(freq, interval, byday=_days(group), bysetpos=nths, bymonth=months)
    byday = tuple((weekday_value(name), nth) for nth in nths)
    return Recurrence(freq, interval, byday=byday, bymonth=months)


def _check_day_of_month(month: int, day: int) -> None:
    longest = LONGEST_MONTH[month - 1]
    if not 1 <= day <= longest:
        raise ScheduleError(f"{MONTH_NAMES[month - 1]} {day} does not exist.")
