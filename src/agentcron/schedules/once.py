"""One-off schedules: a single instant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from agentcron.clock import ensure_utc
from agentcron.schedules._base import Schedule, ScheduleKind
from agentcron.schedules._words import WEEKDAY_NAMES, clock_time
from agentcron.schedules._zones import get_zone, to_instant, wall_time, zone_name


@dataclass(frozen=True)
class Once(Schedule):
    """Fires once, at ``at`` (stored in UTC)."""

    at: datetime
    timezone: str
    kind = ScheduleKind.ONCE

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", ensure_utc(self.at))

    def next_after(self, after: datetime) -> datetime | None:
        return self.at if self.at > ensure_utc(after) else None

    def describe(self) -> str:
        local = self.at.astimezone(self.zone)
        day = f"{WEEKDAY_NAMES[local.weekday()]} {local.day} {local:%B} {local.year}"
        at = clock_time(local.hour, local.minute, local.second)
        return f"once on {day} at {at} ({self.timezone})"

    def with_timezone(self, timezone: str) -> Schedule:
        zone = get_zone(timezone)
        return Once(to_instant(wall_time(self.at, self.zone), zone), zone_name(zone))

    @property
    def normalized(self) -> str:
        return self.at.astimezone(self.zone).isoformat()
