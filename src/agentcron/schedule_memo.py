"""Schedules read for one batch of requests, each parsed and evaluated once.

An import of thousands of tasks names a few dozen schedules: ``parse`` is pure given its
text, zone and ``now``, and a Schedule never changes, so the tasks of a batch that say the
same thing share one Schedule and its first occurrences.
"""

from __future__ import annotations

from datetime import datetime

from agentcron.schedules import Schedule, parse


class ScheduleMemo:
    """``parse``, ``next_after`` and ``preview`` answered from what this memo computed
    already; it lives for one call of the service (a batch is read at one ``now``)."""

    __slots__ = ("_next", "_parsed", "_previews")

    def __init__(self) -> None:
        self._parsed: dict[tuple[str, str, datetime], Schedule] = {}
        # By id, each answer beside its schedule, held so that no other takes its id.
        self._next: dict[tuple[int, datetime], tuple[Schedule, datetime | None]] = {}
        self._previews: dict[tuple[int, int, datetime], tuple[Schedule, list[datetime]]] = {}

    def parse(self, text: str, zone: str, now: datetime) -> Schedule:
        """``schedules.parse``; a refused text is parsed again each time (its error is
        raised for each request that gives it)."""
        key = (text, zone, now)
        schedule = self._parsed.get(key)
        if schedule is None:
            schedule = self._parsed[key] = parse(text, zone, now)
        return schedule

    def next_after(self, schedule: Schedule, after: datetime) -> datetime | None:
        key = (id(schedule), after)
        known = self._next.get(key)
        if known is None:
            known = self._next[key] = (schedule, schedule.next_after(after))
        return known[1]

    def preview(self, schedule: Schedule, n: int, after: datetime) -> list[datetime]:
        key = (id(schedule), n, after)
        known = self._previews.get(key)
        if known is None:
            known = self._previews[key] = (schedule, schedule.preview(n, after))
        return list(known[1])
