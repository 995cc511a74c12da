"""Interval schedules: every fixed span of elapsed time from an anchor, blind to DST."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from agentcron.clock import ensure_utc
from agentcron.errors import ScheduleError
from agentcron.plurals import plural
from agentcron.schedules._base import Schedule, ScheduleKind
from agentcron.schedules._words import clock_time
from agentcron.schedules._zones import get_zone

_UNITS = (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1))


@dataclass(frozen=True)
class Interval(Schedule):
    """Fires at ``anchor + k * every`` for k = 0, 1, 2, ... (elapsed time, not wall time).

    With ``count``, only the first ``count`` occurrences.
    """

    every: timedelta
    anchor: datetime
    timezone: str
    count: int | None = None
    kind = ScheduleKind.INTERVAL

    def __post_init__(self) -> None:
        if self.every < timedelta(seconds=1) or self.every % timedelta(seconds=1):
            raise ScheduleError(
                f"An interval must be a positive whole number of seconds, got {self.every}."
            )
        if self.count is not None and self.count < 1:
            raise ScheduleError(f"An interval repeats at least once, not {self.count} times.")
        object.__setattr__(self, "anchor", ensure_utc(self.anchor))

    def next_after(self, after: datetime) -> datetime | None:
        after = ensure_utc(after)
        index = 0 if after < self.anchor else (after - self.anchor) // self.every + 1
        if self.count is not None and index >= self.count:
            return None
        return self.anchor + index * self.every

    def describe(self) -> str:
        local = self.anchor.astimezone(self.zone)
        start = f"{local:%Y-%m-%d} {clock_time(local.hour, local.minute, local.second)}"
        times = f", {plural(self.count, 'time')}" if self.count is not None else ""
        return f"every {span_words(self.every)} from {start}{times} ({self.timezone})"

    def with_timezone(self, timezone: str) -> Schedule:
        return self._rezoned(timezone)

    @property
    def normalized(self) -> str:
        """ISO 8601 repeating interval: ``R[n]/<anchor>/<duration>``, n = number of occurrences."""
        repeat = "" if self.count is None else str(self.count)
        anchor = self.anchor.astimezone(self.zone).isoformat()
        return f"R{repeat}/{anchor}/{iso_duration(self.every)}"


def span_words(span: timedelta) -> str:
    """'15 minutes', '2 hours', '1 hour 30 minutes', 'minute' for exactly one minute."""
    seconds = int(span.total_seconds())
    parts = []
    for unit, size in _UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(plural(count, unit))
    text = " ".join(parts)
    return text.removeprefix("1 ") if len(parts) == 1 and text.startswith("1 ") else text


def iso_duration(span: timedelta) -> str:
    """ISO 8601 duration with day, hour, minute and second parts: 'PT15M', 'P1DT2H'."""
    seconds = int(span.total_seconds())
    days, seconds = divmod(seconds, 86_400)
    hours, seconds = divmod(seconds, 3_600)
    minutes, seconds = divmod(seconds, 60)
    clock = "".join(f"{v}{u}" for v, u in ((hours, "H"), (minutes, "M"), (seconds, "S")) if v)
    return "P" + (f"{days}D" if days else "") + (f"T{clock}" if clock else "")


def starting_now(every: timedelta, now: datetime, timezone: str) -> Interval:
    """An interval anchored at ``now`` cut down to the interval's coarsest whole unit.

    'every 2 hours' asked at 10:07 fires at 12:00, 14:00, ...; 'every 15 minutes'
    asked at 10:07:31 fires at 10:22, 10:37, ...: round readings without drifting.
    """
    local = ensure_utc(now).astimezone(get_zone(timezone))
    if every % timedelta(hours=1) == timedelta(0):
        anchor = local.replace(minute=0, second=0, microsecond=0)
    elif every % timedelta(minutes=1) == timedelta(0):
        anchor = local.replace(second=0, microsecond=0)
    else:
        anchor = local.replace(microsecond=0)
    return Interval(every, anchor, timezone)
