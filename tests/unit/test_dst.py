"""DST changes, case by case, with the expected instants written out.

2026-2027 changes used below (local wall clock, from the IANA database):

- Europe/Paris: 29 Mar 2026 and 28 Mar 2027 02:00+01:00 -> 03:00+02:00;
  25 Oct 2026 03:00+02:00 -> 02:00+01:00.
- America/New_York: 8 Mar 2026 and 14 Mar 2027 02:00-05:00 -> 03:00-04:00;
  1 Nov 2026 02:00-04:00 -> 01:00-05:00.
- Australia/Lord_Howe (half-hour shift): 5 Apr 2026 02:00+11:00 -> 01:30+10:30;
  4 Oct 2026 02:00+10:30 -> 02:30+11:00.
- America/Santiago (at midnight): 5 Apr 2026 00:00-03:00 -> 4 Apr 23:00-04:00;
  6 Sep 2026 00:00-04:00 -> 01:00-03:00.

A skipped wall time fires once, shifted by the gap; a repeated one fires once, on its
first pass.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agentcron.schedules import Cron, Interval, Schedule, ScheduleKind, parse


def local(instants: list[datetime], zone: str) -> list[str]:
    """Instants as ISO strings on the zone's wall clock, with the offset in force."""
    return [instant.astimezone(ZoneInfo(zone)).isoformat() for instant in instants]


def daily_forms(hour: int, minute: int, zone: str) -> list[tuple[str, ScheduleKind]]:
    """The same daily wall time as cron, RRULE (with and without DTSTART) and English."""
    rule = f"FREQ=DAILY;BYHOUR={hour};BYMINUTE={minute}"
    return [
        (f"{minute} {hour} * * *", ScheduleKind.CRON),
        (rule, ScheduleKind.RRULE),
        (f"DTSTART;TZID={zone}:20260101T000000 RRULE:{rule}", ScheduleKind.RRULE),
        (f"every day at {hour}:{minute:02d}", ScheduleKind.RRULE),
    ]


# zone, hour, minute, after (local), the next three occurrences (local)
DAILY_CASES = [
    pytest.param(
        "Europe/Paris", 2, 30, "2026-03-27T12:00:00+01:00",
        ["2026-03-28T02:30:00+01:00", "2026-03-29T03:30:00+02:00", "2026-03-30T02:30:00+02:00"],
        id="paris-02:30-spring-2026",
    ),
    pytest.param(
        "Europe/Paris", 2, 30, "2027-03-26T12:00:00+01:00",
        ["2027-03-27T02:30:00+01:00", "2027-03-28T03:30:00+02:00", "2027-03-29T02:30:00+02:00"],
        id="paris-02:30-spring-2027",
    ),
    pytest.param(
        "Europe/Paris", 2, 30, "2026-10-23T12:00:00+02:00",
        ["2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"],
        id="paris-02:30-fall-2026",
    ),
    pytest.param(
        "America/New_York", 2, 30, "2026-03-06T12:00:00-05:00",
        ["2026-03-07T02:30:00-05:00", "2026-03-08T03:30:00-04:00", "2026-03-09T02:30:00-04:00"],
        id="new-york-02:30-spring-2026",
    ),
    pytest.param(
        "America/New_York", 2, 30, "2027-03-12T12:00:00-05:00",
        ["2027-03-13T02:30:00-05:00", "2027-03-14T03:30:00-04:00", "2027-03-15T02:30:00-04:00"],
        id="new-york-02:30-spring-2027",
    ),
    pytest.param(  # 02:30 is not repeated in New York: the repeated hour is 01:00-01:59
        "America/New_York", 2, 30, "2026-10-30T12:00:00-04:00",
        ["2026-10-31T02:30:00-04:00", "2026-11-01T02:30:00-05:00", "2026-11-02T02:30:00-05:00"],
        id="new-york-02:30-fall-2026",
    ),
    pytest.param(
        "America/New_York", 1, 30, "2026-10-30T12:00:00-04:00",
        ["2026-10-31T01:30:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"],
        id="new-york-01:30-fall-2026",
    ),
    pytest.param(  # half-hour gap: 02:15 becomes 02:45
        "Australia/Lord_Howe", 2, 15, "2026-10-02T12:00:00+10:30",
        ["2026-10-03T02:15:00+10:30", "2026-10-04T02:45:00+11:00", "2026-10-05T02:15:00+11:00"],
        id="lord-howe-02:15-spring-2026",
    ),
    pytest.param(  # 02:30 is the first reading after the gap: unaffected
        "Australia/Lord_Howe", 2, 30, "2026-10-02T12:00:00+10:30",
        ["2026-10-03T02:30:00+10:30", "2026-10-04T02:30:00+11:00", "2026-10-05T02:30:00+11:00"],
        id="lord-howe-02:30-spring-2026",
    ),
    pytest.param(
        "Australia/Lord_Howe", 1, 45, "2026-04-03T12:00:00+11:00",
        ["2026-04-04T01:45:00+11:00", "2026-04-05T01:45:00+11:00", "2026-04-06T01:45:00+10:30"],
        id="lord-howe-01:45-fall-2026",
    ),
    pytest.param(  # Lord Howe 02:30 on the day it falls back: not repeated (01:30-01:59 is)
        "Australia/Lord_Howe", 2, 30, "2026-04-03T12:00:00+11:00",
        ["2026-04-04T02:30:00+11:00", "2026-04-05T02:30:00+10:30", "2026-04-06T02:30:00+10:30"],
        id="lord-howe-02:30-fall-2026",
    ),
    pytest.param(  # the gap is 00:00-00:59: 00:30 becomes 01:30
        "America/Santiago", 0, 30, "2026-09-04T12:00:00-04:00",
        ["2026-09-05T00:30:00-04:00", "2026-09-06T01:30:00-03:00", "2026-09-07T00:30:00-03:00"],
        id="santiago-00:30-spring-2026",
    ),
    pytest.param(  # falling back at midnight repeats 23:00-23:59 of the day before, not 00:30
        "America/Santiago", 0, 30, "2026-04-03T12:00:00-03:00",
        ["2026-04-04T00:30:00-03:00", "2026-04-05T00:30:00-04:00", "2026-04-06T00:30:00-04:00"],
        id="santiago-00:30-fall-2026",
    ),
    pytest.param(
        "America/Santiago", 23, 30, "2026-04-03T12:00:00-03:00",
        ["2026-04-03T23:30:00-03:00", "2026-04-04T23:30:00-03:00", "2026-04-05T23:30:00-04:00"],
        id="santiago-23:30-fall-2026",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("zone", "hour", "minute", "after", "expected"), DAILY_CASES)
def test_daily_wall_time_fires_once_a_day_across_dst(
    zone: str, hour: int, minute: int, after: str, expected: list[str]
) -> None:
    now = datetime.fromisoformat(after)
    for text, kind in daily_forms(hour, minute, zone):
        schedule = parse(text, zone, now)
        assert schedule.kind is kind, text
        fired = schedule.preview(3, now)
        assert local(fired, zone) == expected, text
        assert all(instant.tzinfo is UTC for instant in fired), text


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        # in the gap's aftermath, before 03:30: the shifted 02:30 is still to come
        ("2026-03-29T03:10:00+02:00", "2026-03-29T03:30:00+02:00"),
        ("2026-03-29T03:00:00+02:00", "2026-03-29T03:30:00+02:00"),
        ("2026-03-29T01:59:00+01:00", "2026-03-29T03:30:00+02:00"),
        ("2026-03-29T03:30:00+02:00", "2026-03-30T02:30:00+02:00"),
        # during the first pass of 02:00-02:59, before 02:30
        ("2026-10-25T02:10:00+02:00", "2026-10-25T02:30:00+02:00"),
        # after the first 02:30: the second pass does not fire again
        ("2026-10-25T02:40:00+02:00", "2026-10-26T02:30:00+01:00"),
        ("2026-10-25T02:10:00+01:00", "2026-10-26T02:30:00+01:00"),
        ("2026-10-25T02:30:00+01:00", "2026-10-26T02:30:00+01:00"),
    ],
)
def test_next_after_from_inside_a_change_in_paris(after: str, expected: str) -> None:
    schedule = Cron.from_text("30 2 * * *", "Europe/Paris")
    now = datetime.fromisoformat(after)
    following = schedule.next_after(now)
    assert following is not None
    assert local([following], "Europe/Paris") == [expected]
    rule = parse("FREQ=DAILY;BYHOUR=2;BYMINUTE=30", "Europe/Paris", now - timedelta(days=2))
    assert rule.next_after(now) == following


def wall_hours(instants: list[datetime], zone: str) -> list[tuple[int, int, int, int]]:
    readings = [i.astimezone(ZoneInfo(zone)) for i in instants]
    return [(r.year, r.month, r.day, r.hour) for r in readings]


@pytest.mark.parametrize(
    ("zone", "text", "after", "expected"),
    [
        pytest.param(
            "Europe/Paris", "0 * * * *", "2026-10-24T23:30:00+02:00",
            ["2026-10-25T00:00:00+02:00", "2026-10-25T01:00:00+02:00",
             "2026-10-25T02:00:00+02:00", "2026-10-25T03:00:00+01:00",
             "2026-10-25T04:00:00+01:00"],
            id="paris",
        ),
        pytest.param(
            "America/New_York", "0 * * * *", "2026-10-31T23:30:00-04:00",
            ["2026-11-01T00:00:00-04:00", "2026-11-01T01:00:00-04:00",
             "2026-11-01T02:00:00-05:00", "2026-11-01T03:00:00-05:00",
             "2026-11-01T04:00:00-05:00"],
            id="new-york",
        ),
        pytest.param(
            "Australia/Lord_Howe", "0,30 * * * *", "2026-04-05T00:45:00+11:00",
            ["2026-04-05T01:00:00+11:00", "2026-04-05T01:30:00+11:00",
             "2026-04-05T02:00:00+10:30", "2026-04-05T02:30:00+10:30",
             "2026-04-05T03:00:00+10:30"],
            id="lord-howe",
        ),
        pytest.param(
            "America/Santiago", "0 * * * *", "2026-04-04T21:30:00-03:00",
            ["2026-04-04T22:00:00-03:00", "2026-04-04T23:00:00-03:00",
             "2026-04-05T00:00:00-04:00", "2026-04-05T01:00:00-04:00",
             "2026-04-05T02:00:00-04:00"],
            id="santiago",
        ),
    ],
)  # fmt: skip
def test_hourly_cron_fires_once_per_wall_hour_across_fall_back(
    zone: str, text: str, after: str, expected: list[str]
) -> None:
    fired = Cron.from_text(text, zone).preview(5, datetime.fromisoformat(after))
    assert local(fired, zone) == expected
    if text == "0 * * * *":
        hours = wall_hours(fired, zone)
        assert len(set(hours)) == len(hours)


@pytest.mark.parametrize(
    ("zone", "after", "expected"),
    [
        pytest.param(
            "Europe/Paris", "2026-03-29T00:45:00+01:00",
            ["2026-03-29T01:00:00+01:00", "2026-03-29T01:30:00+01:00",
             "2026-03-29T03:00:00+02:00", "2026-03-29T03:30:00+02:00",
             "2026-03-29T04:00:00+02:00"],
            id="paris",
        ),
        pytest.param(
            "America/New_York", "2026-03-08T00:45:00-05:00",
            ["2026-03-08T01:00:00-05:00", "2026-03-08T01:30:00-05:00",
             "2026-03-08T03:00:00-04:00", "2026-03-08T03:30:00-04:00",
             "2026-03-08T04:00:00-04:00"],
            id="new-york",
        ),
        pytest.param(
            "Australia/Lord_Howe", "2026-10-04T00:45:00+10:30",
            ["2026-10-04T01:00:00+10:30", "2026-10-04T01:30:00+10:30",
             "2026-10-04T02:30:00+11:00", "2026-10-04T03:00:00+11:00",
             "2026-10-04T03:30:00+11:00"],
            id="lord-howe",
        ),
        pytest.param(
            "America/Santiago", "2026-09-05T22:45:00-04:00",
            ["2026-09-05T23:00:00-04:00", "2026-09-05T23:30:00-04:00",
             "2026-09-06T01:00:00-03:00", "2026-09-06T01:30:00-03:00",
             "2026-09-06T02:00:00-03:00"],
            id="santiago",
        ),
    ],
)  # fmt: skip
def test_half_hourly_cron_never_repeats_an_instant_across_spring_forward(
    zone: str, after: str, expected: list[str]
) -> None:
    fired = Cron.from_text("*/30 * * * *", zone).preview(5, datetime.fromisoformat(after))
    assert len(set(fired)) == len(fired)
    assert local(fired, zone) == expected


@pytest.mark.parametrize(
    ("zone", "text", "after", "expected"),
    [
        pytest.param(  # 02:15 is shifted onto 02:45, which is also scheduled: one firing
            "Australia/Lord_Howe", "15,45 2 * * *", "2026-10-02T12:00:00+10:30",
            ["2026-10-03T02:15:00+10:30", "2026-10-03T02:45:00+10:30",
             "2026-10-04T02:45:00+11:00", "2026-10-05T02:15:00+11:00"],
            id="lord-howe-02:15-meets-02:45",
        ),
        pytest.param(  # 02:15 becomes 02:45, after the real 02:40 that is read first
            "Australia/Lord_Howe", "15,40 2 * * *", "2026-10-02T12:00:00+10:30",
            ["2026-10-03T02:15:00+10:30", "2026-10-03T02:40:00+10:30",
             "2026-10-04T02:40:00+11:00", "2026-10-04T02:45:00+11:00",
             "2026-10-05T02:15:00+11:00"],
            id="lord-howe-shifted-reading-overtaken",
        ),
        pytest.param(  # 02:10 and 02:50 become 03:10 and 03:50, both also scheduled
            "Europe/Paris", "10,50 2,3 29 3 *", "2026-03-29T00:00:00+01:00",
            ["2026-03-29T03:10:00+02:00", "2026-03-29T03:50:00+02:00",
             "2027-03-29T02:10:00+02:00", "2027-03-29T02:50:00+02:00"],
            id="paris-shifted-readings-meet-real-ones",
        ),
        pytest.param(
            "America/Santiago", "0,30 0,1 6 9 *", "2026-09-05T12:00:00-04:00",
            ["2026-09-06T01:00:00-03:00", "2026-09-06T01:30:00-03:00",
             "2027-09-06T00:00:00-03:00", "2027-09-06T00:30:00-03:00"],
            id="santiago-midnight-gap-meets-01:00",
        ),
    ],
)  # fmt: skip
def test_shifted_and_real_readings_meeting_fire_once(
    zone: str, text: str, after: str, expected: list[str]
) -> None:
    fired = Cron.from_text(text, zone).preview(len(expected), datetime.fromisoformat(after))
    assert local(fired, zone) == expected


def preview_local(schedule: Schedule, after: str, n: int) -> list[str]:
    return local(schedule.preview(n, datetime.fromisoformat(after)), schedule.timezone)


def test_interval_of_a_day_counts_elapsed_time_across_spring_forward() -> None:
    anchor = datetime.fromisoformat("2026-03-28T09:00:00+01:00")
    schedule = Interval(every=timedelta(days=1), anchor=anchor, timezone="Europe/Paris")
    assert preview_local(schedule, "2026-03-28T08:00:00+01:00", 3) == [
        "2026-03-28T09:00:00+01:00",
        "2026-03-29T10:00:00+02:00",
        "2026-03-30T10:00:00+02:00",
    ]


def test_interval_of_an_hour_fires_in_both_passes_of_a_repeated_hour() -> None:
    anchor = datetime.fromisoformat("2026-11-01T00:00:00-04:00")
    schedule = Interval(every=timedelta(hours=1), anchor=anchor, timezone="America/New_York")
    assert preview_local(schedule, "2026-10-31T23:30:00-04:00", 4) == [
        "2026-11-01T00:00:00-04:00",
        "2026-11-01T01:00:00-04:00",
        "2026-11-01T01:00:00-05:00",
        "2026-11-01T02:00:00-05:00",
    ]
