"""The calendar feed, read back by the ``icalendar`` library: each active task's events, in
its zone (with a VTIMEZONE), recurring ones by their RRULE, all as ``preview`` has them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar

from agentcron.calendar_feed import MAX_EVENTS_PER_TASK, WINDOW
from agentcron.schedules import parse_normalized
from agentcron.service import TaskService
from agentcron.testing import FakeClock
from agentcron.views import TaskView

PARIS = ZoneInfo("Europe/Paris")
NEAR_DST = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)
"""The window then holds Paris' spring change (28 March): wall times must stay put."""


def _reminder(title: str, when: str, **options: object) -> dict[str, object]:
    return {"title": title, "when": when, "payload": {"message": title}, **options}


def _expected(task: TaskView, now: datetime, until: datetime, most: int) -> list[datetime]:
    """The task's runs to come, by ``preview``, within its own limits and the window."""
    schedule = parse_normalized(task.schedule, task.timezone)
    ahead = [at for at in schedule.preview(most, now) if task.ends_at is None or at <= task.ends_at]
    if task.max_runs is not None:
        ahead = ahead[: task.max_runs - task.run_count]
    return [at for at in ahead if at <= until]


def _occurrences(event: object, until: datetime) -> list[datetime]:
    """The event's instants up to ``until``, its RRULE expanded as a calendar program would."""
    start = event["DTSTART"].dt  # type: ignore[index]
    if "RRULE" not in event:  # type: ignore[operator]
        return [start.astimezone(UTC)]
    rule = event["RRULE"].to_ical().decode()  # type: ignore[index]
    expanded = rrulestr(rule, dtstart=start)
    return [at.astimezone(UTC) for at in expanded.between(start, until, inc=True)]


@pytest.fixture
async def tasks(service: TaskService, clock: FakeClock) -> dict[str, TaskView]:
    clock.set(NEAR_DST)
    made = {
        "weekdays": _reminder("Stand-up, daily; team", "every weekday at 9:30"),
        "five": _reminder("Five mornings", "every day at 7 for 5 times"),
        "capped": _reminder("Three more", "every day at 18:00", max_runs=3),
        "ending": _reminder("Until April", "every monday at 8", ends_at="2027-04-06T00:00:00Z"),
        "cron": _reminder("Half-hourly", "*/30 9-10 * * 2"),
        "interval": _reminder("Every 3 days", "every 3 days"),
        "once": _reminder("Dentist", "in 2 days"),
        "far": _reminder("Much later", "in 60 days"),
        "minutely": _reminder("Every minute", "every minute"),
        "paused": _reminder("Paused", "every day at 10"),
    }
    found = {name: await service.create("ann", body) for name, body in made.items()}
    await service.pause("ann", found["paused"].id)
    await service.create("bob", _reminder("Bob's own", "every day at 9"))
    return found


async def test_each_active_task_is_in_the_feed_as_preview_has_it(
    service: TaskService, tasks: dict[str, TaskView], clock: FakeClock
) -> None:
    now = clock.now()
    until = now + WINDOW
    feed = Calendar.from_ical(await service.calendar_feed("ann"))
    assert feed["X-WR-CALNAME"] == "agentcron: Ann"
    assert [zone["TZID"] for zone in feed.walk("VTIMEZONE")] == ["Europe/Paris"]
    events = feed.walk("VEVENT")
    by_title: dict[str, list[object]] = {}
    for event in events:
        by_title.setdefault(str(event["SUMMARY"]), []).append(event)
        assert event["DTSTART"].params["TZID"] == "Europe/Paris"
        assert event["DTSTART"].dt.tzinfo is not None
    assert set(by_title) == {
        task.title for name, task in tasks.items() if name not in ("paused", "far")
    }  # nothing paused, nothing past the window, nothing of Bob's
    for name in ("weekdays", "five", "capped", "ending"):
        (event,) = by_title[tasks[name].title]  # one event, its rule repeating it
        assert "RRULE" in event  # type: ignore[operator]
        expected = _expected(tasks[name], now, until, 100)
        assert _occurrences(event, until) == expected, name
    for name in ("cron", "interval", "once"):
        found = sorted(at for e in by_title[tasks[name].title] for at in _occurrences(e, until))
        assert found == _expected(tasks[name], now, until, 100), name
    minutely = by_title[tasks["minutely"].title]
    assert len(minutely) == MAX_EVENTS_PER_TASK  # the first ones, not 43,200


async def test_limits_end_a_rule_where_the_task_ends(
    service: TaskService, tasks: dict[str, TaskView], clock: FakeClock
) -> None:
    feed = Calendar.from_ical(await service.calendar_feed("ann"))
    rules = {str(e["SUMMARY"]): e["RRULE"] for e in feed.walk("VEVENT") if "RRULE" in e}
    assert rules[tasks["five"].title]["COUNT"] == [5]
    assert rules[tasks["capped"].title]["COUNT"] == [3]
    assert rules[tasks["ending"].title]["COUNT"] == [3]  # 22 and 29 March, 5 April
    assert "COUNT" not in rules[tasks["weekdays"].title]
    weekdays = [e for e in feed.walk("VEVENT") if e["SUMMARY"] == tasks["weekdays"].title]
    after_change = [at.astimezone(PARIS) for at in _occurrences(weekdays[0], clock.now() + WINDOW)]
    assert {(at.hour, at.minute) for at in after_change} == {(9, 30)}  # either side of DST


async def test_a_task_that_ran_its_course_or_a_person_without_tasks_shows_nothing(
    service: TaskService, clock: FakeClock
) -> None:
    clock.set(NEAR_DST)
    feed = Calendar.from_ical(await service.calendar_feed("bob"))
    assert feed.walk("VEVENT") == []
    made = await service.create("bob", _reminder("Soon", "in 1 hour"))
    clock.advance(timedelta(hours=2))
    later = Calendar.from_ical(await service.calendar_feed("bob"))
    assert [str(e["SUMMARY"]) for e in later.walk("VEVENT")] == []
    assert (await service.get("bob", made.id)).status == "active"  # due, not yet run
