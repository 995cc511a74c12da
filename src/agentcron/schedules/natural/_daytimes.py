"""Several times of day in one RFC 5545 rule, whatever their minutes.

BYHOUR, BYMINUTE and BYSECOND give every combination of their values: 07:00 and 19:30
would also give 07:30 and 19:00. When the times are not such a product, the rule keeps
the product and picks the wanted times out of each period's set with BYSETPOS. That is
exact when every period holds the same number of days, so the recurrence is first made
to have one day per period where it can (weekdays as a daily rule limited to those
days); otherwise, when the number of days per period is fixed, the positions repeat
for each day.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import time

from agentcron.errors import ScheduleError
from agentcron.schedules._words import clock_time, join_words
from agentcron.schedules.natural._recurring import Recurrence
from agentcron.schedules.natural._windows import MAX_TIMES_PER_DAY
from agentcron.schedules.rrule import Frequency

_ALWAYS_IN_A_MONTH = 28
_LISTED = 4


@dataclass(frozen=True)
class DayTimes:
    """The BYHOUR, BYMINUTE, BYSECOND and BYSETPOS of a rule, and the recurrence they fit."""

    recurrence: Recurrence
    hours: tuple[int, ...]
    minutes: tuple[int, ...]
    seconds: tuple[int, ...]
    positions: tuple[int, ...] = ()


def day_times(recurrence: Recurrence, times: tuple[time, ...]) -> DayTimes:
    """Fit ``times`` (each day of ``recurrence``) into one rule."""
    wanted = sorted(set(times))
    hours = tuple(sorted({t.hour for t in wanted}))
    minutes = tuple(sorted({t.minute for t in wanted}))
    seconds = tuple(sorted({t.second for t in wanted}))
    product = [time(h, m, s) for h in hours for m in minutes for s in seconds]
    if len(product) == len(wanted):
        return DayTimes(recurrence, hours, minutes, seconds)
    if len(product) > MAX_TIMES_PER_DAY:
        raise _cannot_share(wanted)
    index = {moment: position for position, moment in enumerate(product, start=1)}
    picked = [index[moment] for moment in wanted]
    fitted, days = _one_day_per_period(recurrence)
    if fitted.bysetpos or days is None or days * len(product) > MAX_TIMES_PER_DAY:
        raise _cannot_share(wanted)
    positions = tuple(day * len(product) + p for day in range(days) for p in picked)
    return DayTimes(fitted, hours, minutes, seconds, positions)


def _one_day_per_period(recurrence: Recurrence) -> tuple[Recurrence, int | None]:
    """The recurrence with one day per period where possible, and its days per period.

    None when periods hold different numbers of days (the 31st, the fifth Monday).
    """
    freq, interval = recurrence.freq, recurrence.interval
    if recurrence.bysetpos:
        return recurrence, None
    if freq == Frequency.DAILY:
        return recurrence, 1
    if freq == Frequency.WEEKLY:
        if interval == 1:
            return replace(recurrence, freq=Frequency.DAILY), 1
        return recurrence, len(recurrence.byday) or 1
    if recurrence.bymonthday and interval == 1:
        return replace(recurrence, freq=Frequency.DAILY), 1
    if recurrence.bymonthday:
        fixed = all(d == -1 or 1 <= d <= _ALWAYS_IN_A_MONTH for d in recurrence.bymonthday)
        return recurrence, len(recurrence.bymonthday) if fixed else None
    if recurrence.byday:
        fixed = all(n in (1, 2, 3, 4, -1) for _, n in recurrence.byday)
        return recurrence, len(recurrence.byday) if fixed else None
    return recurrence, None


def _cannot_share(times: list[time]) -> ScheduleError:
    if len(times) > _LISTED:
        return ScheduleError(
            f"These {len(times)} times of day cannot share one schedule on those days; "
            "use a window whose step divides an hour, e.g. 'every 15 minutes from 8 to 6', "
            "or a cron expression."
        )
    listed = join_words([clock_time(t.hour, t.minute, t.second) for t in times])
    return ScheduleError(
        f"The times {listed} cannot share one schedule on those days; create one task per time."
    )
