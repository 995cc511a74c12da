"""The contract every schedule honours."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from typing import ClassVar
from zoneinfo import ZoneInfo

from agentcron.clock import ensure_utc
from agentcron.schedules._zones import get_zone, zone_name


class ScheduleKind(StrEnum):
    ONCE = "once"
    INTERVAL = "interval"
    CRON = "cron"
    RRULE = "rrule"
    AFTER = "after"
    """Not a clock: after another task's runs (``schedules.after``)."""


class Schedule(ABC):
    """When a task runs: a pure description of instants, evaluated in an IANA time zone.

    Instants going in and out are timezone-aware; results are in UTC.
    """

    kind: ClassVar[ScheduleKind]
    timezone: str

    @property
    def zone(self) -> ZoneInfo:
        return get_zone(self.timezone)

    @abstractmethod
    def next_after(self, after: datetime) -> datetime | None:
        """The first occurrence strictly after ``after``, or None when the schedule has ended."""

    @abstractmethod
    def describe(self) -> str:
        """A short English sentence, e.g. 'every weekday at 08:30 (Europe/Paris)'."""

    @property
    @abstractmethod
    def normalized(self) -> str:
        """The canonical text form: ``parse(s.normalized, s.timezone, now)`` gives ``s`` back."""

    @abstractmethod
    def with_timezone(self, timezone: str) -> Schedule:
        """The same schedule for a person now living in ``timezone``: wall times are kept,
        elapsed-time intervals keep their instants."""

    def preview(self, n: int, after: datetime) -> list[datetime]:
        """The next ``n`` occurrences after ``after`` (fewer when the schedule ends)."""
        occurrences: list[datetime] = []
        cursor: datetime | None = ensure_utc(after)
        while len(occurrences) < n and cursor is not None:
            cursor = self.next_after(cursor)
            if cursor is not None:
                occurrences.append(cursor)
        return occurrences

    def preview_dict(self, n: int, after: datetime) -> dict[str, object]:
        """What front doors show of it: kind, normal form, zone, description, and the next
        ``n`` occurrences after ``after`` in its zone (ISO 8601)."""
        return {
            "kind": self.kind.value,
            "normalized": self.normalized,
            "timezone": self.timezone,
            "description": self.describe(),
            "next": [o.astimezone(self.zone).isoformat() for o in self.preview(n, after)],
        }

    def _rezoned(self, timezone: str) -> Schedule:
        """A copy with another zone and nothing else changed."""
        return replace(self, timezone=zone_name(get_zone(timezone)))  # type: ignore[type-var]

    def __str__(self) -> str:
        return self.normalized
