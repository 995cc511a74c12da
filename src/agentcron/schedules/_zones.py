"""Time zones and the mapping from wall-clock times to instants.

The DST rules of agentcron live here and nowhere else:

- a wall time that does not exist (spring forward) is read with the offset in
  force before the gap, so 02:30 becomes 03:30 on that day (PEP 495, fold=0);
- a wall time that happens twice (fall back) is its first occurrence (fold=0).
"""

from __future__ import annotations

import difflib
import functools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from agentcron.errors import ScheduleError

_GAP_LOOKBACK = timedelta(hours=26)  # longer than any UTC offset change on record (Samoa, 24 h)


@functools.lru_cache(maxsize=512)
def get_zone(name: str) -> ZoneInfo:
    """Load an IANA zone by name, or explain which names would work."""
    cleaned = name.strip()
    if not cleaned:
        raise ScheduleError("The time zone is empty. Use an IANA name such as 'Europe/Paris'.")
    try:
        return ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError, IsADirectoryError, OSError):
        pass
    by_lower = {zone.lower(): zone for zone in _known_zones()}
    if cleaned.lower() in by_lower:
        return ZoneInfo(by_lower[cleaned.lower()])
    close = difflib.get_close_matches(cleaned.lower(), by_lower, n=2, cutoff=0.75)
    hint = (
        " Did you mean " + " or ".join(f"'{by_lower[c]}'" for c in close) + "?"
        if close
        else " Use an IANA name such as 'Europe/Paris' or 'America/New_York'."
    )
    raise ScheduleError(f"Unknown time zone '{cleaned}'.{hint}")


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_name(zone: ZoneInfo) -> str:
    """The IANA key of a zone loaded by name."""
    if zone.key is None:
        raise ValueError("zones must be loaded by IANA name")
    return zone.key


def wall_time(instant: datetime, zone: ZoneInfo) -> datetime:
    """The naive wall-clock reading of ``instant`` in ``zone``."""
    return instant.astimezone(zone).replace(tzinfo=None)


def to_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a naive wall-clock time in ``zone``, applying the DST rules above."""
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


def earliest_wall_for(after: datetime, zone: ZoneInfo) -> datetime:
    """The earliest wall time whose instant can fall after ``after``.

    Wall times inside a recent gap map to instants later than their reading, so the
    search for the next wall-clock occurrence must start up to one gap earlier.
    """
    reading = wall_time(after, zone)
    earlier_offset = (after - _GAP_LOOKBACK).astimezone(zone).utcoffset()
    current_offset = after.astimezone(zone).utcoffset()
    if earlier_offset is None or current_offset is None or earlier_offset >= current_offset:
        return reading
    return reading - (current_offset - earlier_offset)
