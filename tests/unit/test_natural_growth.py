"""The grown "when" language, and the promise that no phrase is ever half-read.

The expected instants were worked out from the calendar (the fixed "now"s are those
of ``test_natural_corpus``), not copied from agentcron's output:

- several times of day, in any minutes ('at 7 and 19:30');
- windows, both ends included ('every 15 minutes from 8 to 6' ends at 18:00);
- day ranges, several ordinal weekdays, quarters and half-years, relative bounds,
  starts, looser spans, week-relative days and counts.

Bare hours follow one rule everywhere: the 24-hour clock, except that an hour after a
later one in a list or window is the afternoon's ('at 9 and 3', 'from 8 to 6').
A phrase that names days but no time runs at 09:00.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from agentcron.errors import ScheduleError
from agentcron.schedules import Schedule, parse
from tests.unit.test_natural_corpus import (
    DST,
    EVE,
    KOLKATA,
    MON,
    NEW_YORK,
    NOWS,
    OCT,
    PARIS,
    SUN,
    SYDNEY,
    UTC,
    Case,
    interval,
    local_readings,
    once,
    rule,
)

GROWN = [
    # Several times of day.
    rule(
        "at 8am, noon and 6pm every day",
        PARIS,
        SUN,
        "2026-11-22T12:00:00+01:00",
        "2026-11-22T18:00:00+01:00",
        "2026-11-23T08:00:00+01:00",
    ),
    rule(
        "every day at 7 and 19:30",
        NEW_YORK,
        SUN,
        "2026-11-22T07:00:00-05:00",
        "2026-11-22T19:30:00-05:00",
        "2026-11-23T07:00:00-05:00",
    ),
    rule(
        "every day at 7 and 19:30",
        PARIS,
        DST,
        "2027-03-27T19:30:00+01:00",
        "2027-03-28T07:00:00+02:00",
        "2027-03-28T19:30:00+02:00",
    ),
    rule(
        "every monday and friday at 7 and 19:30",
        SYDNEY,
        SUN,
        "2026-11-23T07:00:00+11:00",
        "2026-11-23T19:30:00+11:00",
        "2026-11-27T07:00:00+11:00",
        "2026-11-27T19:30:00+11:00",
        "2026-11-30T07:00:00+11:00",
    ),
    rule(
        "every other week on tuesday and thursday at 8:15 and 17:45",
        UTC,
        SUN,
        "2026-11-24T08:15:00+00:00",
        "2026-11-24T17:45:00+00:00",
        "2026-11-26T08:15:00+00:00",
        "2026-11-26T17:45:00+00:00",
        "2026-12-08T08:15:00+00:00",
    ),
    rule(
        "on the 1st and 15th of every month at 9:15 and 17:45",
        KOLKATA,
        SUN,
        "2026-12-01T09:15:00+05:30",
        "2026-12-01T17:45:00+05:30",
        "2026-12-15T09:15:00+05:30",
    ),
    rule(
        "at 9 and 3 every day",
        PARIS,
        SUN,
        "2026-11-22T15:00:00+01:00",
        "2026-11-23T09:00:00+01:00",
        "2026-11-23T15:00:00+01:00",
    ),
    # Windows of the day.
    rule(
        "every 15 minutes from 8 to 6 on weekdays",
        PARIS,
        SUN,
        "2026-11-23T08:00:00+01:00",
        "2026-11-23T08:15:00+01:00",
        "2026-11-23T08:30:00+01:00",
    ),
    rule(
        "hourly between 10am and 4pm",
        KOLKATA,
        SUN,
        "2026-11-22T16:00:00+05:30",
        "2026-11-23T10:00:00+05:30",
        "2026-11-23T11:00:00+05:30",
    ),
    rule(
        "on weekdays every 20 minutes between 9 and 5",
        NEW_YORK,
        MON,
        "2027-01-04T09:20:00-05:00",
        "2027-01-04T09:40:00-05:00",
        "2027-01-04T10:00:00-05:00",
    ),
    # A window across the spring-forward gap: 02:00 and 02:30 do not exist and are
    # shifted by the gap onto 03:00 and 03:30, which the window holds anyway.
    rule(
        "every 30 minutes from 1 to 4 on sundays",
        PARIS,
        DST,
        "2027-03-28T01:00:00+01:00",
        "2027-03-28T01:30:00+01:00",
        "2027-03-28T03:00:00+02:00",
        "2027-03-28T03:30:00+02:00",
        "2027-03-28T04:00:00+02:00",
        "2027-04-04T01:00:00+02:00",
    ),
    # Across the fall-back night: 02:00 happens twice and fires at its first pass.
    rule(
        "every hour from 1 to 3 on sundays",
        PARIS,
        OCT,
        "2026-10-25T01:00:00+02:00",
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T03:00:00+01:00",
        "2026-11-01T01:00:00+01:00",
    ),
    rule(
        "every hour from 10pm to 2am",
        UTC,
        EVE,
        "2026-12-09T22:00:00+00:00",
        "2026-12-09T23:00:00+00:00",
        "2026-12-10T00:00:00+00:00",
        "2026-12-10T01:00:00+00:00",
        "2026-12-10T02:00:00+00:00",
        "2026-12-10T22:00:00+00:00",
    ),
    # Day ranges.
    rule(
        "tuesday through friday at 8",
        SYDNEY,
        SUN,
        "2026-11-24T08:00:00+11:00",
        "2026-11-25T08:00:00+11:00",
        "2026-11-26T08:00:00+11:00",
        "2026-11-27T08:00:00+11:00",
        "2026-12-01T08:00:00+11:00",
    ),
    rule(
        "mon-fri at 7:45",
        PARIS,
        MON,
        "2027-01-05T07:45:00+01:00",
        "2027-01-06T07:45:00+01:00",
        "2027-01-07T07:45:00+01:00",
    ),
    rule(
        "fri-mon at 10",
        UTC,
        EVE,
        "2026-12-11T10:00:00+00:00",
        "2026-12-12T10:00:00+00:00",
        "2026-12-13T10:00:00+00:00",
        "2026-12-14T10:00:00+00:00",
        "2026-12-18T10:00:00+00:00",
    ),
    # Several ordinal weekdays.
    rule(
        "the first and third monday of each month at noon",
        UTC,
        SUN,
        "2026-12-07T12:00:00+00:00",
        "2026-12-21T12:00:00+00:00",
        "2027-01-04T12:00:00+00:00",
        "2027-01-18T12:00:00+00:00",
    ),
    rule(
        "every 2nd and 4th tuesday of the month at 18:00",
        NEW_YORK,
        SUN,
        "2026-11-24T18:00:00-05:00",
        "2026-12-08T18:00:00-05:00",
        "2026-12-22T18:00:00-05:00",
    ),
    # Quarters and half-years, counted from the first occurrence.
    rule(
        "quarterly on the 15th at 9",
        PARIS,
        SUN,
        "2026-12-15T09:00:00+01:00",
        "2027-03-15T09:00:00+01:00",
        "2027-06-15T09:00:00+02:00",
    ),
    rule(
        "every 6 months on the 1st",
        NEW_YORK,
        SUN,
        "2026-12-01T09:00:00-05:00",
        "2027-06-01T09:00:00-04:00",
        "2027-12-01T09:00:00-05:00",
    ),
    rule(
        "on the 15th of every quarter at 8am",
        SYDNEY,
        EVE,
        "2026-12-15T08:00:00+11:00",
        "2027-03-15T08:00:00+11:00",
        "2027-06-15T08:00:00+10:00",
    ),
    rule(
        "half-yearly on the first monday at 10",
        UTC,
        SUN,
        "2026-12-07T10:00:00+00:00",
        "2027-06-07T10:00:00+00:00",
        "2027-12-06T10:00:00+00:00",
    ),
    # Bounds relative to now.
    interval(
        "every 10 minutes for the next 2 hours",
        UTC,
        EVE,
        "2026-12-09T18:50:00+00:00",
        "2026-12-09T19:00:00+00:00",
        total=12,
    ),
    rule(
        "every day at 8 until the end of the month",
        PARIS,
        SUN,
        "2026-11-23T08:00:00+01:00",
        "2026-11-24T08:00:00+01:00",
        total=8,
    ),
    rule(
        "every monday until the end of the year",
        SYDNEY,
        SUN,
        "2026-11-23T09:00:00+11:00",
        "2026-11-30T09:00:00+11:00",
        total=6,
    ),
    rule(
        "every weekday at 8 for the rest of the week",
        KOLKATA,
        EVE,
        "2026-12-10T08:00:00+05:30",
        "2026-12-11T08:00:00+05:30",
        total=2,
    ),
    rule(
        "every day until the end of next month at 7",
        PARIS,
        SUN,
        "2026-11-23T07:00:00+01:00",
        "2026-11-24T07:00:00+01:00",
        total=39,
    ),
    # Starts.
    rule(
        "every day at 6pm starting next tuesday",
        PARIS,
        SUN,
        "2026-11-24T18:00:00+01:00",
        "2026-11-25T18:00:00+01:00",
        "2026-11-26T18:00:00+01:00",
    ),
    rule(
        "every day starting tomorrow at 7",
        NEW_YORK,
        EVE,
        "2026-12-10T07:00:00-05:00",
        "2026-12-11T07:00:00-05:00",
    ),
    # Looser spans.
    once("in 2h15m", PARIS, SUN, "2026-11-22T13:22:31+01:00"),
    once("in 2h 15m", UTC, MON, "2027-01-04T16:30:00+00:00"),
    once("in 1h30", KOLKATA, SUN, "2026-11-22T17:07:31+05:30"),
    once("in a couple of minutes", UTC, MON, "2027-01-04T14:17:00+00:00"),
    once("in a couple of hours", SYDNEY, EVE, "2026-12-10T07:40:00+11:00"),
    once("in 2 and a half hours", NEW_YORK, SUN, "2026-11-22T07:37:31-05:00"),
    # Week-relative days: weeks start on Monday.
    once("next week on thursday at 3pm", PARIS, EVE, "2026-12-17T15:00:00+01:00"),
    once("next week on thursday at 3pm", NEW_YORK, SUN, "2026-11-26T15:00:00-05:00"),
    once("this week on friday at 9am", UTC, EVE, "2026-12-11T09:00:00+00:00"),
    once("the 1st of next month at 9", KOLKATA, EVE, "2027-01-01T09:00:00+05:30"),
    # No time named: 09:00.
    once("tomorrow", PARIS, SUN, "2026-11-23T09:00:00+01:00"),
    once("next friday", SYDNEY, SUN, "2026-11-27T09:00:00+11:00"),
    rule("every day", UTC, SUN, "2026-11-23T09:00:00+00:00", "2026-11-24T09:00:00+00:00"),
    # More everyday forms.
    rule(
        "twice a day at 9 and 21",
        UTC,
        SUN,
        "2026-11-22T21:00:00+00:00",
        "2026-11-23T09:00:00+00:00",
        "2026-11-23T21:00:00+00:00",
    ),
    rule(
        "every day at 9am except weekends",
        PARIS,
        SUN,
        "2026-11-23T09:00:00+01:00",
        "2026-11-24T09:00:00+01:00",
    ),
    rule(
        "every 1st and 15th at 9",
        NEW_YORK,
        SUN,
        "2026-12-01T09:00:00-05:00",
        "2026-12-15T09:00:00-05:00",
    ),
    rule("every weekday at 9.30", KOLKATA, SUN, "2026-11-23T09:30:00+05:30"),
    interval(
        "every hour on the hour", UTC, SUN, "2026-11-22T11:00:00+00:00", "2026-11-22T12:00:00+00:00"
    ),
    rule(
        "every 2nd day at 9",
        UTC,
        SUN,
        "2026-11-23T09:00:00+00:00",
        "2026-11-25T09:00:00+00:00",
    ),
    # Counts.
    rule(
        "every day at 9, 5 times",
        KOLKATA,
        SUN,
        "2026-11-23T09:00:00+05:30",
        "2026-11-24T09:00:00+05:30",
        total=5,
    ),
    rule(
        "every day at 9, 3 times",
        PARIS,
        SUN,
        "2026-11-23T09:00:00+01:00",
        "2026-11-24T09:00:00+01:00",
        "2026-11-25T09:00:00+01:00",
        total=3,
    ),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in GROWN])
def test_new_form_gives_the_expected_occurrences(case: Case) -> None:
    now = NOWS[case.now]
    schedule = parse(case.phrase, case.zone, now)

    assert schedule.kind == case.kind
    assert local_readings(schedule.preview(len(case.expected), now), case.zone) == list(
        case.expected
    )
    if case.total is not None:
        assert len(schedule.preview(2 * case.total + 5, now)) == case.total
    again = parse(schedule.normalized, case.zone, now)
    assert again.preview(12, now) == schedule.preview(12, now)


def test_a_window_includes_both_ends() -> None:
    now = NOWS[SUN]
    schedule = parse("every 15 minutes from 8 to 6 on weekdays", PARIS, now)
    monday = [
        m for m in local_readings(schedule.preview(60, now), PARIS) if m.startswith("2026-11-23")
    ]

    assert len(monday) == 41
    assert (monday[0][11:16], monday[-1][11:16]) == ("08:00", "18:00")


@pytest.mark.parametrize(
    ("phrase", "described"),
    [
        ("every day at 7 and 19:30", "every day at 07:00 and 19:30"),
        ("at 9 and 3 every day", "every day at 09:00 and 15:00"),
        ("at 7", "at 07:00"),
        ("every day", "every day at 09:00"),
        (
            "every 15 minutes from 8 to 6 on weekdays",
            "every 15 minutes from 08:00 to 18:00, every weekday",
        ),
        ("hourly between 10am and 4pm", "every hour from 10:00 to 16:00, every day"),
        ("the first and third monday of each month at noon", "first and third Monday"),
        ("quarterly on the 15th at 9", "on the 15th of every 3 months at 09:00"),
        ("tuesday through friday at 8", "every Tuesday, Wednesday, Thursday and Friday"),
        ("every day at 9, 5 times", "every day at 09:00, 5 times"),
        ("every day except sunday at 8", "Friday and Saturday at 08:00"),
    ],
)
def test_descriptions_show_what_was_chosen(phrase: str, described: str) -> None:
    assert described in parse(phrase, PARIS, NOWS[SUN]).describe()


@pytest.mark.parametrize(
    ("phrase", "named"),
    [
        ("every day at 9 please", "'please'"),
        ("every banana day at 9", "'banana'"),
        ("tomorrow at 9 maybe", "'maybe'"),
        ("remind me tomorrow at 9", "'remind me'"),
        ("every day at 9 3", "'3'"),
        ("every 3 times day at 9", "'3 times'"),
        ("every for 3 days day at 9", "'for 3 days'"),
        ("every 3 day at 9", "plural"),
        ("every second tuesday at 9", "every 2 weeks on tuesday"),
        ("3 december 25 at 8am", "Could not understand"),  # dateparser: 3 Dec 2125
        ("december 25 12 at 8am", "Could not understand"),  # dateparser: 25 Dec 2112
        ("every day from 9 to 5", "goes with an interval"),
        ("every minute from 8 to 6", "601 times a day"),
        ("every 7 minutes on weekdays", "cannot share one schedule"),
        ("the last weekday of the month at 9:15 and 17:45", "one task per time"),
        ("every day at 9 for 3 days, 5 times", "one end"),
        ("tomorrow at 9am, 5 times", "repeating"),
        ("twice a day at 9", "should name 2 times"),
        ("dec 25 2027 banana at 9am", "'banana'"),
    ],
)
def test_what_is_not_understood_is_named(phrase: str, named: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse(phrase, PARIS, NOWS[SUN])

    assert named in caught.value.message


@pytest.mark.parametrize(
    ("phrase", "count"),
    [
        ("every day at 9, 5 times", 5),
        ("every day at 9 5 times", 5),
        ("every monday at 8, three times", 3),
        ("every weekday at 7:30 for 10 times", 10),
        ("every 2 hours, 4 times", 4),
        ("every 15 minutes from 8 to 6 on weekdays, 20 times", 20),
        ("every day at 7 and 19:30, 6 times", 6),
    ],
)
def test_counts_are_read_as_counts(phrase: str, count: int) -> None:
    now = NOWS[SUN]
    schedule = parse(phrase, PARIS, now)
    plain = parse(re.sub(r",?\s*(?:for\s+)?\S+\s+times$", "", phrase), PARIS, now)

    assert schedule.preview(count + 10, now) == plain.preview(count, now)


# Valid phrases, and what may be slipped into them.
BASES = (
    "every day at 9",
    "every weekday at 8:30",
    "every monday and thursday at 18:00",
    "every day at 7 and 19:30",
    "at 8am, noon and 6pm every day",
    "every 15 minutes",
    "every 2 hours",
    "every 15 minutes from 8 to 6 on weekdays",
    "hourly between 10am and 4pm",
    "tuesday through friday at 8",
    "the first and third monday of each month at noon",
    "quarterly on the 15th at 9",
    "every month on the 1st at noon",
    "every year on march 3 at 9am",
    "every sunday at 10pm until december 31",
    "every day at 8am for 10 days",
    "every day at 6pm starting next tuesday",
    "tomorrow at 9am",
    "next monday at 10",
    "december 25 at 8am",
    "in 20 minutes",
    "in 2h15m",
    "next week on thursday at 3pm",
    "at 6pm",
)
UNKNOWN_WORDS = ("please", "banana", "maybe", "soonish", "remind", "xq", "blorp")
STRAY_NUMBERS = ("3", "17", "42", "0", "5")
COUNTS = ("3 times", "5 times", "for 2 times", "ten times")

_unknown = st.one_of(
    st.sampled_from(UNKNOWN_WORDS),
    st.text(alphabet="bcdfgjkqvxz", min_size=3, max_size=8),  # no English word
)
_stray = st.one_of(st.sampled_from(STRAY_NUMBERS), st.integers(0, 99).map(str))


def _insert(phrase: str, token: str, position: int) -> str:
    words = phrase.split()
    at = position % (len(words) + 1)
    return " ".join([*words[:at], token, *words[at:]])


def _reading(text: str) -> Schedule | None:
    try:
        return parse(text, PARIS, NOWS[SUN])
    except ScheduleError:
        return None


@settings(max_examples=400, deadline=None)
@given(base=st.sampled_from(BASES), token=st.one_of(_unknown, _stray), position=st.integers(0, 20))
@example(base="every day at 9", token="3", position=4)  # 'every day at 9 3'
@example(base="every day at 9", token="3", position=1)  # 'every 3 day at 9'
@example(base="every day at 9", token="please", position=4)
@example(base="december 25 at 8am", token="3", position=0)
@example(base="december 25 at 8am", token="12", position=2)
def test_a_stray_word_or_number_is_refused_or_changes_nothing(
    base: str, token: str, position: int
) -> None:
    original = _reading(base)
    assert original is not None, base
    found = _reading(_insert(base, token, position))

    assert found is None or found.normalized == original.normalized


@settings(max_examples=300, deadline=None)
@given(base=st.sampled_from(BASES), count=st.sampled_from(COUNTS), position=st.integers(0, 20))
@example(base="every day at 9", count="3 times", position=2)  # 'every day 3 times at 9'
@example(base="every day at 9", count="3 times", position=1)  # 'every 3 times day at 9'
def test_a_slipped_in_count_is_refused_or_read_as_that_count(
    base: str, count: str, position: int
) -> None:
    now = NOWS[SUN]
    original = _reading(base)
    assert original is not None, base
    found = _reading(_insert(base, count, position))
    if found is None or found.normalized == original.normalized:
        return
    times = {"3 times": 3, "5 times": 5, "for 2 times": 2, "ten times": 10}[count]
    assert found.preview(times + 5, now) == original.preview(times, now)
