"""ISO 8601 forms: instants, durations (intervals from now) and repeating intervals."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from agentcron.clock import ensure_utc
from agentcron.errors import ScheduleError
from agentcron.schedules._zones import get_zone, to_instant
from agentcron.schedules.interval import Interval, starting_now
from agentcron.schedules.once import Once

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)
_CALENDAR_DURATION = re.compile(r"^P(?:\d+Y)?(?:\d+M)?(?:\d+[WD])?(?:T.*)?$")
_DATE_ONLY = re.compile(r"^\d{4}-?\d{2}-?\d{2}$")
_INSTANT_SHAPE = re.compile(
    r"^\d{4}-?\d{2}-?\d{2}([T ]\d{2}(:?\d{2}){0,2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$"
)


def looks_like_instant(text: str) -> bool:
    return bool(_INSTANT_SHAPE.match(text.strip().upper()))


def looks_like_duration(text: str) -> bool:
    upper = text.strip().upper()
    return upper.startswith("P") and bool(_CALENDAR_DURATION.match(upper)) and len(upper) > 1


def looks_like_repeating(text: str) -> bool:
    return bool(re.match(r"^R\d*/", text.strip().upper()))


def parse_instant(text: str, timezone: str, now: datetime) -> Once:
    """An ISO 8601 date-time; without an offset it is a wall time in ``timezone``."""
    stripped = text.strip()
    if _DATE_ONLY.match(stripped):
        raise ScheduleError(
            f"'{stripped}' is a date without a time. Add one, e.g. '{stripped} 09:00'."
        )
    instant = instant_of(stripped, timezone)
    if instant <= ensure_utc(now):
        local_now = ensure_utc(now).astimezone(get_zone(timezone))
        raise ScheduleError(
            f"'{stripped}' is in the past (it is now {local_now:%Y-%m-%d %H:%M} in {timezone})."
        )
    return Once(instant, timezone)


def instant_of(text: str, timezone: str) -> datetime:
    """The instant of an ISO 8601 date-time; without an offset, a wall time in ``timezone``."""
    try:
        moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise ScheduleError(
            f"'{text}' is not a valid date-time; use e.g. '2026-12-25 08:00' "
            "or '2026-12-25T08:00:00+01:00'."
        ) from None
    if moment.tzinfo is None:
        return to_instant(moment, get_zone(timezone))
    return ensure_utc(moment)


def parse_duration(text: str) -> timedelta:
    """An ISO 8601 duration of fixed length (weeks, days, hours, minutes, seconds)."""
    upper = text.strip().upper()
    match = _DURATION.match(upper)
    if not match:
        if _CALENDAR_DURATION.match(upper) and re.search(r"\d+[YM]", upper.split("T")[0]):
            raise ScheduleError(
                f"'{text}' uses months or years, which have no fixed length. Use a calendar "
                "rule instead, e.g. 'every month on the 1st at 09:00'."
            )
        raise ScheduleError(f"'{text}' is not an ISO 8601 duration like PT15M or P1DT12H.")
    parts = {k: int(v) for k, v in match.groupdict().items() if v}
    span = timedelta(**parts)
    if span <= timedelta(0):
        raise ScheduleError(f"The interval '{text}' is zero; it must be at least one second.")
    return span


def parse_duration_schedule(text: str, timezone: str, now: datetime) -> Interval:
    get_zone(timezone)
    return starting_now(parse_duration(text), now, timezone)


def parse_repeating(text: str, timezone: str) -> Interval:
    """'R/<start>/<duration>' forever, or 'R<n>/<start>/<duration>' for n occurrences."""
    parts = text.strip().split("/")
    head = parts[0].upper()
    if len(parts) != 3 or not re.fullmatch(r"R\d*", head):
        raise ScheduleError(f"'{text}' should look like 'R/2026-11-23T09:00:00+01:00/PT15M'.")
    get_zone(timezone)
    anchor = instant_of(parts[1], timezone)
    count = int(head[1:]) if len(head) > 1 else None
    return Interval(parse_duration(parts[2]), anchor, timezone, count=count)
