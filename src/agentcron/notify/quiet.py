"""Quiet hours: a daily window, in the person's zone, when notifications wait."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from agentcron.errors import InvalidInputError

_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class QuietHours:
    """From ``start`` to ``end`` local time, every day; a window past midnight
    (22:00-07:00) ends the next morning."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        match = _WINDOW.match(text)
        if match is None:
            raise InvalidInputError(
                f"Quiet hours '{text}' are not understood; give them as HH:MM-HH:MM, e.g. "
                "22:00-07:00."
            )
        hour1, minute1, hour2, minute2 = (int(part) for part in match.groups())
        if hour1 > 23 or hour2 > 23 or minute1 > 59 or minute2 > 59:
            raise InvalidInputError(f"Quiet hours '{text}' name a time that does not exist.")
        start, end = time(hour1, minute1), time(hour2, minute2)
        if start == end:
            raise InvalidInputError(
                f"Quiet hours '{text}' start and end at the same time; give a window."
            )
        return cls(start, end)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def ends_after(self, instant: datetime, zone: ZoneInfo) -> datetime | None:
        """When the quiet hours around ``instant`` end (UTC), or None outside them."""
        local = instant.astimezone(zone)
        now = local.time().replace(tzinfo=None)
        crosses_midnight = self.start > self.end
        if crosses_midnight:
            inside = now >= self.start or now < self.end
        else:
            inside = self.start <= now < self.end
        if not inside:
            return None
        day = local.date() + timedelta(days=1 if crosses_midnight and now >= self.start else 0)
        # A wall time that does not exist (spring forward) is shifted by the gap (fold 0);
        # one that happens twice (fall back) is its first pass, or its second when the
        # instant is in the second pass of that hour already.
        end = datetime.combine(day, self.end, tzinfo=zone)
        if end <= instant:
            end = end.replace(fold=1)
        return end.astimezone(UTC)
