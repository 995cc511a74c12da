"""The next instant of a wall-clock sequence, with agentcron's DST rules applied."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from agentcron.schedules._zones import earliest_wall_for, to_instant, wall_time

WallTimes = Callable[[datetime], Iterator[datetime]]
"""Yields the naive wall times at or after its argument, in increasing order."""


def next_instant(after: datetime, zone: ZoneInfo, walls_from: WallTimes) -> datetime | None:
    """The first instant strictly after ``after`` produced by the wall times of ``walls_from``.

    Wall times map to instants monotonically except inside a spring-forward gap,
    where a skipped reading lands after the gap and can overtake the readings
    just past it. So when the first hit lies in a gap, the search goes on over
    the readings up to the hit's real wall time and keeps the earliest instant;
    equal instants are one occurrence.
    """
    best: datetime | None = None
    best_wall: datetime | None = None
    for wall in walls_from(earliest_wall_for(after, zone)):
        if best_wall is not None and wall > best_wall:
            break
        instant = to_instant(wall, zone)
        if instant <= after or (best is not None and instant >= best):
            continue
        best = instant
        best_wall = wall_time(instant, zone)
        if best_wall == wall:
            break
    return best
