"""Every input form of ``parse`` and the promises every schedule keeps."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from agentcron.schedules import Cron, Interval, Once, RRule, ScheduleError, ScheduleKind, parse

NOW = datetime(2026, 11, 22, 10, 7, 31, tzinfo=UTC)  # Sunday, 11:07:31 in Paris
PARIS = "Europe/Paris"


def local(schedule_text: str, tz: str = PARIS, n: int = 3) -> list[str]:
    schedule = parse(schedule_text, tz, NOW)
    return [o.astimezone(schedule.zone).isoformat() for o in schedule.preview(n, NOW)]


class TestIso:
    def test_instant_without_offset_is_wall_time_in_zone(self) -> None:
        assert local("2026-12-25T08:00") == ["2026-12-25T08:00:00+01:00"]
        assert local("2026-12-25 08:00", "America/New_York") == ["2026-12-25T08:00:00-05:00"]

    def test_instant_with_offset_keeps_the_instant(self) -> None:
        schedule = parse("2026-12-25T08:00:00Z", PARIS, NOW)
        assert isinstance(schedule, Once)
        assert schedule.at == datetime(2026, 12, 25, 8, tzinfo=UTC)
        assert schedule.normalized == "2026-12-25T09:00:00+01:00"

    def test_duration_is_an_interval_from_now(self) -> None:
        schedule = parse("PT15M", PARIS, NOW)
        assert isinstance(schedule, Interval)
        assert schedule.every == timedelta(minutes=15)
        assert local("PT15M") == [
            "2026-11-22T11:22:00+01:00",
            "2026-11-22T11:37:00+01:00",
            "2026-11-22T11:52:00+01:00",
        ]

    def test_repeating_interval_keeps_its_start(self) -> None:
        text = "R/2026-11-22T09:00:00+01:00/PT2H"
        assert local(text) == [
            "2026-11-22T13:00:00+01:00",
            "2026-11-22T15:00:00+01:00",
            "2026-11-22T17:00:00+01:00",
        ]

    def test_repeat_count_is_the_number_of_occurrences(self) -> None:
        assert local("R2/2026-12-01T09:00:00+01:00/PT1H", n=5) == [
            "2026-12-01T09:00:00+01:00",
            "2026-12-01T10:00:00+01:00",
        ]

    def test_interval_in_the_future_starts_at_its_anchor(self) -> None:
        assert local("R/2026-12-01T09:00:00+01:00/P1D", n=2) == [
            "2026-12-01T09:00:00+01:00",
            "2026-12-02T09:00:00+01:00",
        ]

    @pytest.mark.parametrize(
        ("text", "fragment"),
        [
            ("2026-12-25", "without a time"),
            ("2020-01-01T10:00", "in the past"),
            ("2026-02-30T10:00", "not a valid date-time"),
            ("P1M", "no fixed length"),
            ("PT0S", "zero"),
            ("R0/2026-12-01T09:00:00+01:00/PT1H", "at least once"),
            ("R/2026-12-01T09:00:00+01:00", "should look like"),
        ],
    )
    def test_rejected(self, text: str, fragment: str) -> None:
        with pytest.raises(ScheduleError, match=fragment):
            parse(text, PARIS, NOW)


class TestCron:
    def test_five_fields(self) -> None:
        schedule = parse("30 8 * * 1-5", PARIS, NOW)
        assert isinstance(schedule, Cron)
        assert schedule.describe() == "every weekday at 08:30 (Europe/Paris)"
        assert local("30 8 * * 1-5") == [
            "2026-11-23T08:30:00+01:00",
            "2026-11-24T08:30:00+01:00",
            "2026-11-25T08:30:00+01:00",
        ]

    def test_six_fields_put_seconds_first(self) -> None:
        assert local("15 0 12 * * *", n=2) == [
            "2026-11-22T12:00:15+01:00",
            "2026-11-23T12:00:15+01:00",
        ]

    def test_names_macros_and_extensions(self) -> None:
        assert local("0 9 * dec mon", n=1) == ["2026-12-07T09:00:00+01:00"]
        assert local("@monthly", n=1) == ["2026-12-01T00:00:00+01:00"]
        assert local("0 17 L * *", n=2) == [
            "2026-11-30T17:00:00+01:00",
            "2026-12-31T17:00:00+01:00",
        ]
        assert local("0 9 * * 5L", n=1) == ["2026-11-27T09:00:00+01:00"]
        assert local("0 9 * * 1#1", n=1) == ["2026-12-07T09:00:00+01:00"]

    def test_day_fields_follow_vixie_cron(self) -> None:
        # both restricted: either matches; one starts with '*': both must match
        assert local("0 12 1 * fri", n=3) == [
            "2026-11-27T12:00:00+01:00",
            "2026-12-01T12:00:00+01:00",
            "2026-12-04T12:00:00+01:00",
        ]
        assert local("0 12 */2 * fri", n=2) == [
            "2026-11-27T12:00:00+01:00",
            "2026-12-11T12:00:00+01:00",
        ]

    @pytest.mark.parametrize(
        ("text", "fragment"),
        [
            ("61 * * * *", "minute field '61': 61 is out of range 0-59"),
            ("0 24 * * *", "hour field"),
            ("0 0 0 * *", "day-of-month field"),
            ("0 0 * 13 *", "month field"),
            ("0 0 * * 8", "day-of-week field"),
            ("*/0 * * * *", "step"),
            ("0 5-2 * * *", "goes backwards"),
            ("@reboot", "Unknown cron macro"),
            ("0 0 30 2 *", "no occurrence"),
            ("0 0 1W * *", "only numbers"),
        ],
    )
    def test_rejected(self, text: str, fragment: str) -> None:
        with pytest.raises(ScheduleError, match=fragment):
            parse(text, PARIS, NOW)


class TestRRule:
    def test_with_and_without_prefix_and_dtstart(self) -> None:
        for text in (
            "RRULE:FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0",
            "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0",
            "DTSTART:20261101T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO",
            "DTSTART;TZID=Europe/Paris:20261102T090000 RRULE:FREQ=WEEKLY",
        ):
            assert local(text, n=2) == [
                "2026-11-23T09:00:00+01:00",
                "2026-11-30T09:00:00+01:00",
            ], text

    def test_tzid_sets_the_zone(self) -> None:
        schedule = parse(
            "DTSTART;TZID=America/New_York:20261101T090000 RRULE:FREQ=DAILY", PARIS, NOW
        )
        assert schedule.timezone == "America/New_York"
        assert schedule.preview(1, NOW)[0] == datetime(2026, 11, 22, 14, tzinfo=UTC)

    def test_ordinals_setpos_count_until(self) -> None:
        assert local("DTSTART:20260101T170000 RRULE:FREQ=MONTHLY;BYDAY=-1FR", n=2) == [
            "2026-11-27T17:00:00+01:00",
            "2026-12-25T17:00:00+01:00",
        ]
        last_weekday = "DTSTART:20260101T170000 RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"
        assert local(last_weekday, n=3) == [
            "2026-11-30T17:00:00+01:00",
            "2026-12-31T17:00:00+01:00",
            "2027-01-29T17:00:00+01:00",
        ]
        assert local("DTSTART:20261123T080000 RRULE:FREQ=DAILY;COUNT=3", n=10) == [
            "2026-11-23T08:00:00+01:00",
            "2026-11-24T08:00:00+01:00",
            "2026-11-25T08:00:00+01:00",
        ]
        until = "DTSTART:20261123T080000 RRULE:FREQ=DAILY;UNTIL=20261124T235959Z"
        assert len(parse(until, PARIS, NOW).preview(10, NOW)) == 2

    def test_a_rule_running_for_years_still_lands_on_its_phase(self) -> None:
        text = "DTSTART:20200107T090000 RRULE:FREQ=WEEKLY;INTERVAL=3;BYDAY=TU"
        schedule = parse(text, PARIS, NOW)
        assert isinstance(schedule, RRule)
        got = schedule.preview(3, NOW)
        for occurrence in got:
            weeks = (occurrence.astimezone(schedule.zone).date() - datetime(2020, 1, 7).date()).days
            assert weeks % 21 == 0
        assert [o - got[0] for o in got] == [timedelta(0), timedelta(weeks=3), timedelta(weeks=6)]

    @pytest.mark.parametrize(
        ("text", "fragment"),
        [
            ("FREQ=SOMETIMES", "FREQ must be one of"),
            ("FREQ=DAILY;BYHOUR=25", "BYHOUR: 25 is out of range"),
            ("FREQ=DAILY;BYDAY=1MO", "needs FREQ=MONTHLY"),
            ("FREQ=DAILY;COUNT=2;UNTIL=20270101T000000Z", "COUNT or UNTIL"),
            ("FREQ=DAILY;COUNT=0", "COUNT"),
            ("FREQ=DAILY;FOO=1", "Unsupported"),
            ("DTSTART:2026113 RRULE:FREQ=DAILY", "DTSTART"),
            ("RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never happens"),
            ("DTSTART:20261123T090000 RRULE:FREQ=DAILY;INTERVAL=7;BYDAY=TU", "never meet"),
            ("DTSTART:20261123T000000 RRULE:FREQ=HOURLY;INTERVAL=2;BYHOUR=1", "impossible"),
            ("DTSTART:20200101T000000 RRULE:FREQ=DAILY;COUNT=3", "no occurrence"),
            ("DTSTART;TZID=Mars/Olympus:20261101T090000 RRULE:FREQ=DAILY", "Unknown time zone"),
            ("RRULE:FREQ=DAILY\nRRULE:FREQ=WEEKLY;BYDAY=MO", "has two RRULE lines"),
            ("DTSTART:20261123T090000\nRRULE:FREQ=DAILY\nRRULE:FREQ=MONTHLY", "two RRULE"),
            ("RRULE:FREQ=DAILY FREQ=WEEKLY", "two RRULE lines"),
            ("FREQ=DAILY;BYHOUR=9\r\nRRULE:FREQ=HOURLY", "a task follows one rule"),
            ("DTSTART:20261123T090000 DTSTART:20261124T090000 RRULE:FREQ=DAILY", "two DTSTART"),
        ],
    )
    def test_rejected(self, text: str, fragment: str) -> None:
        with pytest.raises(ScheduleError, match=fragment):
            parse(text, PARIS, NOW)


ROUND_TRIP = [
    "in 5 minutes",
    "tomorrow at 9am",
    "every 15 minutes",
    "every 2 hours",
    "every weekday at 8:30",
    "every monday and thursday at 18:00",
    "on the last day of every month at 17:00",
    "every first monday of the month at 9am",
    "every other week on tuesday at 9",
    "every sunday at 10pm until december 31",
    "every day at 8am for 10 days",
    "every 2 hours for 3 times",
    "every year on the fourth thursday of november at noon",
    "30 8 * * 1-5",
    "@hourly",
    "0 0 9 * * mon-fri",
    "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;BYHOUR=17;BYMINUTE=0",
    "PT90M",
    "R/2026-11-22T09:00:00+01:00/PT2H",
    "2026-12-25T08:00:00+01:00",
]


@pytest.mark.parametrize("text", ROUND_TRIP)
@pytest.mark.parametrize("tz", [PARIS, "America/New_York", "Asia/Kolkata"])
def test_normalized_form_parses_back_to_the_same_schedule(text: str, tz: str) -> None:
    schedule = parse(text, tz, NOW)
    again = parse(schedule.normalized, schedule.timezone, NOW)
    assert again == schedule
    assert again.normalized == schedule.normalized
    assert again.preview(5, NOW) == schedule.preview(5, NOW)


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_next_after_is_strictly_later_and_preview_agrees(text: str) -> None:
    schedule = parse(text, PARIS, NOW)
    occurrences = schedule.preview(6, NOW)
    assert occurrences, text
    assert all(o.tzinfo is UTC for o in occurrences)
    assert all(a < b for a, b in zip([NOW, *occurrences], occurrences, strict=False))
    for previous, following in itertools.pairwise(occurrences):
        assert schedule.next_after(previous) == following
        assert schedule.next_after(following - timedelta(microseconds=1)) == following


def test_kinds() -> None:
    assert parse("tomorrow at 9am", PARIS, NOW).kind is ScheduleKind.ONCE
    assert parse("every 5 minutes", PARIS, NOW).kind is ScheduleKind.INTERVAL
    assert parse("*/5 * * * *", PARIS, NOW).kind is ScheduleKind.CRON
    assert parse("every day at 9am", PARIS, NOW).kind is ScheduleKind.RRULE


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse("tomorrow at 9am", PARIS, datetime(2026, 11, 22, 10))


@pytest.mark.parametrize(
    ("tz", "fragment"),
    [
        ("Europe/Pariss", "Did you mean 'Europe/Paris'"),
        ("Mars/Olympus", "Use an IANA name"),
        ("", "empty"),
    ],
)
def test_unknown_zone(tz: str, fragment: str) -> None:
    with pytest.raises(ScheduleError, match=fragment):
        parse("tomorrow at 9am", tz, NOW)


def test_zone_names_are_accepted_in_any_case() -> None:
    assert parse("tomorrow at 9am", "europe/paris", NOW).timezone == PARIS


def test_errors_offer_two_examples() -> None:
    with pytest.raises(ScheduleError) as caught:
        parse("when pigs fly", PARIS, NOW)
    assert "'when pigs fly'" in caught.value.message
    assert caught.value.message.count("'every") + caught.value.message.count("'tomorrow") >= 1
    assert "Try for example" in caught.value.message


def test_oversized_text_is_refused_quickly() -> None:
    with pytest.raises(ScheduleError, match="at most 500"):
        parse("every day " * 1000, PARIS, NOW)


def test_a_named_weekday_must_fit_the_date() -> None:
    assert local("Thursday, 3 December 2026 at 14:00") == ["2026-12-03T14:00:00+01:00"]
    assert local("thursday december 3rd at 2pm") == ["2026-12-03T14:00:00+01:00"]
    with pytest.raises(ScheduleError, match="3 December 2026 is a Thursday, not a Friday"):
        parse("Friday, 3 December 2026 at 14:00", PARIS, NOW)


def test_fortnights() -> None:
    assert local("in a fortnight at 9am") == ["2026-12-06T09:00:00+01:00"]
