"""A person's upcoming runs as an iCalendar feed (RFC 5545), for calendar programs to
subscribe to.

An active task whose schedule is a recurrence rule is one event with its ``RRULE``, starting
at its next occurrence, with what is left of its limits (the rule's own count or end, the
task's ``max_runs`` and ``ends_at``) as a ``COUNT`` or an ``UNTIL``; the calendar program
repeats it. Any other schedule (cron, an interval, a single instant) is one event for each
occurrence in the window. Paused, finished and cancelled tasks fire nothing, and show
nothing. Every event carries the task's zone, with a VTIMEZONE for it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, vRecur

from agentcron.domain import TaskStatus
from agentcron.schedules import RRule, Schedule, parse_normalized
from agentcron.views import TaskView

WINDOW = timedelta(days=30)
"""How far ahead the feed looks."""
EVENT_LENGTH = timedelta(minutes=15)
"""Runs are instants; calendar programs draw an event of no length poorly."""
MAX_EVENTS_PER_TASK = 200
"""Occurrences one task without a rule may add (an 'every minute' task would add 43,200)."""
_FINITE_RULE_SCAN = 5_000
"""Occurrences counted to turn a rule's limits into a COUNT; past this, an UNTIL is kept."""


def render_feed(tasks: Sequence[TaskView], now: datetime, *, name: str) -> bytes:
    """The feed of ``tasks`` (one person's) from ``now`` over ``WINDOW``."""
    until = now + WINDOW
    feed = Calendar()
    feed.add("prodid", "-//agentcron//calendar feed//EN")
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("x-wr-calname", f"agentcron: {name}")
    for task in tasks:
        if task.status != TaskStatus.ACTIVE:
            continue
        for event in _events(task, now, until):
            event.add("dtstamp", now.astimezone(UTC))
            feed.add_component(event)
    feed.add_missing_timezones(first_date=now.date(), last_date=(until + WINDOW).date())
    written: bytes = feed.to_ical()
    return written


def _events(task: TaskView, now: datetime, until: datetime) -> Iterator[Event]:
    schedule = parse_normalized(task.schedule, task.timezone)
    left = None if task.max_runs is None else max(task.max_runs - task.run_count, 0)
    if left == 0:
        return
    if isinstance(schedule, RRule):
        event = _repeating(task, schedule, now, until, left)
        if event is not None:
            yield event
        return
    shown = MAX_EVENTS_PER_TASK if left is None else min(left, MAX_EVENTS_PER_TASK)
    for at in _occurrences(schedule, task, now, until, limit=shown):
        yield _event(task, f"task-{task.id}-{at:%Y%m%dT%H%M%SZ}@agentcron", at, schedule)


def _repeating(
    task: TaskView, schedule: RRule, now: datetime, until: datetime, left: int | None
) -> Event | None:
    first = schedule.next_after(now)
    if first is None or first > until or (task.ends_at is not None and first > task.ends_at):
        return None
    rule = dict(vRecur.from_ical(schedule.rule.rule_text(schedule.zone)))
    own_end: list[datetime] = rule.pop("UNTIL", [])
    rule.pop("COUNT", None)
    if left is not None or schedule.rule.count is not None or own_end or task.ends_at:
        ahead = list(_occurrences(schedule, task, now, None, limit=_FINITE_RULE_SCAN))
        if left is not None:
            ahead = ahead[:left]
        if len(ahead) < _FINITE_RULE_SCAN:
            rule["COUNT"] = [len(ahead)]
        else:  # too many to count: the end is kept as an instant, the earlier one
            ends = [end.astimezone(UTC) for end in (*own_end, task.ends_at) if end is not None]
            if ends:
                rule["UNTIL"] = [min(ends)]
    event = _event(task, f"task-{task.id}@agentcron", first, schedule)
    event.add("rrule", vRecur(rule))
    return event


def _occurrences(
    schedule: Schedule,
    task: TaskView,
    now: datetime,
    until: datetime | None,
    *,
    limit: int = MAX_EVENTS_PER_TASK,
) -> Iterator[datetime]:
    """The schedule's instants after ``now``, up to ``until`` and the task's end."""
    at: datetime | None = now
    for _ in range(limit):
        assert at is not None
        at = schedule.next_after(at)
        if at is None or (until is not None and at > until):
            return
        if task.ends_at is not None and at > task.ends_at:
            return
        yield at


def _event(task: TaskView, uid: str, at: datetime, schedule: Schedule) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("summary", task.title)
    event.add("dtstart", at.astimezone(schedule.zone))
    event.add("duration", EVENT_LENGTH)
    event.add("description", f"{task.description}; action: {task.action}")
    return event
