"""A corpus of English schedule phrases and the instants agentcron must give for them.

Each row names a phrase, a zone, a fixed "now" and the schedule kind, then the
first occurrences as ISO 8601 wall times with the offset of the schedule's zone.
The expected instants were worked out from the calendar and the documented
semantics of the grammar:

- 'at 6pm' is today when still ahead, else tomorrow; 'next monday' is the first
  Monday strictly after today; 'monday' alone may be today;
- 'in N days' moves the wall clock by N calendar days, 'in N hours' adds elapsed time;
- 'every 15 minutes' is anchored at now cut to the minute, 'every 2 hours' at now
  cut to the hour (on the zone's wall clock); intervals count elapsed time, blind to DST;
- a recurring rule starts at its first occurrence ('every other week' is in phase
  with it), and 'for N days' counts from there;
- a wall time that does not exist fires at the wall time shifted by the gap
  (02:30 -> 03:30); an ambiguous one fires once, at its first occurrence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agentcron.errors import ScheduleError
from agentcron.schedules import parse

PARIS = "Europe/Paris"
NEW_YORK = "America/New_York"
KOLKATA = "Asia/Kolkata"
SYDNEY = "Australia/Sydney"
UTC = "UTC"

# The fixed instants, and what the wall clocks read at each of them.
SUN = "sun"  # Sunday morning: Paris 11:07:31, New York 05:07:31, Kolkata 15:37:31, Sydney 21:07:31
EVE = "eve"  # Wednesday evening: Paris 19:40, New York 13:40, Kolkata Thu 00:10, Sydney Thu 05:40
DST = "dst"  # Saturday before Paris springs forward (Sun 28 March 2027 02:00 -> 03:00):
#              Paris 11:00, New York 06:00 (already EDT), Kolkata 15:30, Sydney 21:00 (AEDT)
OCT = "oct"  # Saturday night before Paris falls back (Sun 25 October 2026 03:00 -> 02:00):
#              Paris 22:30 CEST, New York 16:30 EDT, Kolkata Sun 02:00, Sydney Sun 07:30
MON = "mon"  # Monday afternoon: Paris 15:15, New York 09:15, Kolkata 19:45, Sydney Tue 01:15
FOLD = "fold"  # Paris 02:30+01:00 on 25 October 2026: the second pass of the repeated hour
NY_FOLD = "nyfold"  # New York 01:30-05:00 on 1 November 2026: the second pass as well

NOWS: dict[str, datetime] = {
    SUN: datetime.fromisoformat("2026-11-22T10:07:31+00:00"),
    EVE: datetime.fromisoformat("2026-12-09T18:40:00+00:00"),
    DST: datetime.fromisoformat("2027-03-27T10:00:00+00:00"),
    OCT: datetime.fromisoformat("2026-10-24T20:30:00+00:00"),
    MON: datetime.fromisoformat("2027-01-04T14:15:00+00:00"),
    FOLD: datetime.fromisoformat("2026-10-25T01:30:00+00:00"),
    NY_FOLD: datetime.fromisoformat("2026-11-01T06:30:00+00:00"),
}
_ZONE_LABELS = {PARIS: "paris", NEW_YORK: "ny", KOLKATA: "kolkata", SYDNEY: "sydney", UTC: "utc"}


@dataclass(frozen=True)
class Case:
    """A phrase that must be accepted, with its first occurrences in the schedule's zone."""

    phrase: str
    zone: str
    now: str
    kind: str
    expected: tuple[str, ...]
    total: int | None = None  # how many occurrences a bounded schedule has in all

    @property
    def id(self) -> str:
        return f"{self.now}-{_ZONE_LABELS.get(self.zone, self.zone)}-{self.phrase.strip()}"


def once(phrase: str, zone: str, now: str, at: str) -> Case:
    return Case(phrase, zone, now, "once", (at,))


def interval(phrase: str, zone: str, now: str, *expected: str, total: int | None = None) -> Case:
    return Case(phrase, zone, now, "interval", expected, total)


def rule(phrase: str, zone: str, now: str, *expected: str, total: int | None = None) -> Case:
    return Case(phrase, zone, now, "rrule", expected, total)


SPANS = [
    once("in 5 minutes", PARIS, SUN, "2026-11-22T11:12:31+01:00"),
    once("in 5 minutes", UTC, EVE, "2026-12-09T18:45:00+00:00"),
    once("In 5 Minutes", NEW_YORK, SUN, "2026-11-22T05:12:31-05:00"),
    once("in 5 mins.", KOLKATA, SUN, "2026-11-22T15:42:31+05:30"),
    once("in five minutes", SYDNEY, EVE, "2026-12-10T05:45:00+11:00"),
    once("in an hour", NEW_YORK, SUN, "2026-11-22T06:07:31-05:00"),
    once("in an hour", SYDNEY, EVE, "2026-12-10T06:40:00+11:00"),
    once("in half an hour", KOLKATA, SUN, "2026-11-22T16:07:31+05:30"),
    once("in half an hour", PARIS, EVE, "2026-12-09T20:10:00+01:00"),
    once("in 2 days", SYDNEY, SUN, "2026-11-24T21:07:31+11:00"),
    # Calendar days keep the wall time across the spring-forward night; hours do not.
    once("in 2 days", PARIS, DST, "2027-03-29T11:00:00+02:00"),
    once("in 48 hours", PARIS, DST, "2027-03-29T12:00:00+02:00"),
    once("in 1 day", PARIS, OCT, "2026-10-25T22:30:00+01:00"),
    once("in 24 hours", PARIS, OCT, "2026-10-25T21:30:00+01:00"),
    once("in 5 hours", PARIS, OCT, "2026-10-25T02:30:00+01:00"),
    once("in an hour and a half", PARIS, SUN, "2026-11-22T12:37:31+01:00"),
    once("in 1.5 hours", NEW_YORK, SUN, "2026-11-22T06:37:31-05:00"),
    once("in 2 hours and 30 minutes", UTC, SUN, "2026-11-22T12:37:31+00:00"),
    once("2 hours from now", KOLKATA, EVE, "2026-12-10T02:10:00+05:30"),
    once("a week from now", NEW_YORK, EVE, "2026-12-16T13:40:00-05:00"),
    once("after 10 minutes", SYDNEY, SUN, "2026-11-22T21:17:31+11:00"),
    once("in 90 seconds", UTC, SUN, "2026-11-22T10:09:01+00:00"),
    once("in 2 weeks", PARIS, SUN, "2026-12-06T11:07:31+01:00"),
    once("in ten minutes", PARIS, MON, "2027-01-04T15:25:00+01:00"),
    once("in a minute", UTC, MON, "2027-01-04T14:16:00+00:00"),
    once("in 2 days at 9am", PARIS, SUN, "2026-11-24T09:00:00+01:00"),
    once("in 3 days at 5pm", NEW_YORK, DST, "2027-03-30T17:00:00-04:00"),
    # Asked during the second pass of a repeated hour: elapsed time still counts from now.
    once("in 5 minutes", PARIS, FOLD, "2026-10-25T02:35:00+01:00"),
    once("in an hour", PARIS, FOLD, "2026-10-25T03:30:00+01:00"),
    once("in 1 day", PARIS, FOLD, "2026-10-26T02:30:00+01:00"),
    once("in 5 minutes", NEW_YORK, NY_FOLD, "2026-11-01T01:35:00-05:00"),
    once("in 2 hours", NEW_YORK, NY_FOLD, "2026-11-01T03:30:00-05:00"),
]

DAYS = [
    once("tomorrow at 9am", PARIS, SUN, "2026-11-23T09:00:00+01:00"),
    once("tomorrow at 9am", KOLKATA, EVE, "2026-12-11T09:00:00+05:30"),
    once("tomorrow at 9am", PARIS, DST, "2027-03-28T09:00:00+02:00"),
    once("Tomorrow at 9AM", NEW_YORK, SUN, "2026-11-23T09:00:00-05:00"),
    once("  tomorrow   at 9 a.m.  ", SYDNEY, SUN, "2026-11-23T09:00:00+11:00"),
    once("tomorrow at 9am!", UTC, MON, "2027-01-05T09:00:00+00:00"),
    once("tomorrow 14:30", NEW_YORK, SUN, "2026-11-23T14:30:00-05:00"),
    once("tomorrow 14:30", UTC, EVE, "2026-12-10T14:30:00+00:00"),
    once("Tomorrow, 14:30.", PARIS, MON, "2027-01-05T14:30:00+01:00"),
    once("tomorrow 14h30", KOLKATA, SUN, "2026-11-23T14:30:00+05:30"),
    once("at 6pm", PARIS, SUN, "2026-11-22T18:00:00+01:00"),  # still ahead today
    once("at 6pm", SYDNEY, SUN, "2026-11-23T18:00:00+11:00"),  # passed: tomorrow
    once("at 6pm", PARIS, EVE, "2026-12-10T18:00:00+01:00"),
    once("at 6pm", NEW_YORK, EVE, "2026-12-09T18:00:00-05:00"),
    once("At 6 PM.", KOLKATA, SUN, "2026-11-22T18:00:00+05:30"),
    once("at 6 p.m.", UTC, EVE, "2026-12-10T18:00:00+00:00"),
    once("tomorrow @ 18:00", UTC, SUN, "2026-11-23T18:00:00+00:00"),
    once("tonight at 11", PARIS, SUN, "2026-11-22T23:00:00+01:00"),
    once("tonight at 11", KOLKATA, EVE, "2026-12-10T23:00:00+05:30"),
    once("Tonight at 11", SYDNEY, SUN, "2026-11-22T23:00:00+11:00"),
    once("tonight at 11pm", NEW_YORK, DST, "2027-03-27T23:00:00-04:00"),
    # 12 and 1 'tonight' are midnight and one in the morning, never noon or 13:00.
    once("tonight at 12", PARIS, SUN, "2026-11-23T00:00:00+01:00"),
    once("tonight at 1", PARIS, SUN, "2026-11-23T01:00:00+01:00"),
    once("noon", PARIS, SUN, "2026-11-22T12:00:00+01:00"),
    once("noon", KOLKATA, SUN, "2026-11-23T12:00:00+05:30"),
    once("at noon", NEW_YORK, EVE, "2026-12-10T12:00:00-05:00"),
    once("Noon!", UTC, SUN, "2026-11-22T12:00:00+00:00"),
    once("midday", SYDNEY, EVE, "2026-12-10T12:00:00+11:00"),
    once("midnight", PARIS, SUN, "2026-11-23T00:00:00+01:00"),
    once("at 12am", NEW_YORK, SUN, "2026-11-23T00:00:00-05:00"),
    once("at 12pm", SYDNEY, SUN, "2026-11-23T12:00:00+11:00"),
    once("next monday at 10", PARIS, SUN, "2026-11-23T10:00:00+01:00"),
    once("next monday at 10", NEW_YORK, EVE, "2026-12-14T10:00:00-05:00"),
    once("next monday at 10", PARIS, MON, "2027-01-11T10:00:00+01:00"),
    once("next monday at 10", SYDNEY, MON, "2027-01-11T10:00:00+11:00"),
    once("next Monday at 4pm", PARIS, MON, "2027-01-11T16:00:00+01:00"),
    once("monday at 4pm", PARIS, MON, "2027-01-04T16:00:00+01:00"),
    once("monday at 10", PARIS, MON, "2027-01-11T10:00:00+01:00"),
    once("next sunday at 10", PARIS, SUN, "2026-11-29T10:00:00+01:00"),
    once("on friday at 5pm", PARIS, SUN, "2026-11-27T17:00:00+01:00"),
    once("on friday at 5pm", SYDNEY, EVE, "2026-12-11T17:00:00+11:00"),
    once("On Friday at 5 PM", NEW_YORK, DST, "2027-04-02T17:00:00-04:00"),
    once("on sunday at 10am", PARIS, SUN, "2026-11-29T10:00:00+01:00"),
    once("sunday at noon", PARIS, SUN, "2026-11-22T12:00:00+01:00"),
    once("fri at 17:30", KOLKATA, SUN, "2026-11-27T17:30:00+05:30"),
    once("this coming wednesday at 9am", UTC, EVE, "2026-12-16T09:00:00+00:00"),
    once("thursday next week at 3pm", PARIS, SUN, "2026-11-26T15:00:00+01:00"),
    once("thursday next week at 3pm", PARIS, EVE, "2026-12-17T15:00:00+01:00"),
    once("the day after tomorrow at 5pm", PARIS, SUN, "2026-11-24T17:00:00+01:00"),
    once("day after tomorrow at 17:00", NEW_YORK, EVE, "2026-12-11T17:00:00-05:00"),
    once("tomorrow morning at 8", PARIS, SUN, "2026-11-23T08:00:00+01:00"),
    once("tomorrow evening at 8", NEW_YORK, SUN, "2026-11-23T20:00:00-05:00"),
    once("tomorrow at 8 in the evening", KOLKATA, SUN, "2026-11-23T20:00:00+05:30"),
    once("at 7 in the evening", PARIS, SUN, "2026-11-22T19:00:00+01:00"),
    once("at 7 in the evening", UTC, EVE, "2026-12-09T19:00:00+00:00"),
    once("this afternoon at 3", PARIS, SUN, "2026-11-22T15:00:00+01:00"),
    once("this evening at 7:30", NEW_YORK, EVE, "2026-12-09T19:30:00-05:00"),
    once("today at 5pm", SYDNEY, EVE, "2026-12-10T17:00:00+11:00"),
    once("december 25 at 8am", PARIS, SUN, "2026-12-25T08:00:00+01:00"),
    once("december 25 at 8am", PARIS, DST, "2027-12-25T08:00:00+01:00"),
    once("December 25th at 8 AM", NEW_YORK, EVE, "2026-12-25T08:00:00-05:00"),
    once("25 december at 8am", KOLKATA, SUN, "2026-12-25T08:00:00+05:30"),
    once("the 25th of december at 8am", SYDNEY, SUN, "2026-12-25T08:00:00+11:00"),
    once("dec 25 2027 at 8am", UTC, SUN, "2027-12-25T08:00:00+00:00"),
    once("Dec 25, 2026 at 8am", PARIS, SUN, "2026-12-25T08:00:00+01:00"),
    once("25/12/2026 at 8am", PARIS, SUN, "2026-12-25T08:00:00+01:00"),
    once("2026-12-25 08:00", PARIS, SUN, "2026-12-25T08:00:00+01:00"),
    once("2026-12-25 08:00", NEW_YORK, EVE, "2026-12-25T08:00:00-05:00"),
    once("2026-12-25T08:00", SYDNEY, SUN, "2026-12-25T08:00:00+11:00"),
    once("2026-12-25T08:00:00+01:00", NEW_YORK, SUN, "2026-12-25T02:00:00-05:00"),
    once("2026-12-25 at 8am", KOLKATA, SUN, "2026-12-25T08:00:00+05:30"),
    once("on 2026-12-25 at 08:00", UTC, EVE, "2026-12-25T08:00:00+00:00"),
    once("at 9am on december 1", NEW_YORK, SUN, "2026-12-01T09:00:00-05:00"),
    once("on the 1st at 9am", PARIS, SUN, "2026-12-01T09:00:00+01:00"),
    once("the 22nd at 9am", PARIS, SUN, "2026-12-22T09:00:00+01:00"),
    once("the 31st at 9am", PARIS, SUN, "2026-12-31T09:00:00+01:00"),
    once("july 4 at noon", NEW_YORK, SUN, "2027-07-04T12:00:00-04:00"),
    once("february 29 at 9am", UTC, SUN, "2028-02-29T09:00:00+00:00"),
]

DAILY = [
    rule(
        "every day at 7am",
        PARIS,
        SUN,
        "2026-11-23T07:00:00+01:00",
        "2026-11-24T07:00:00+01:00",
        "2026-11-25T07:00:00+01:00",
    ),
    rule(
        "every day at 7am",
        NEW_YORK,
        SUN,
        "2026-11-22T07:00:00-05:00",
        "2026-11-23T07:00:00-05:00",
        "2026-11-24T07:00:00-05:00",
    ),
    rule(
        "Every day at 7 a.m.",
        KOLKATA,
        EVE,
        "2026-12-10T07:00:00+05:30",
        "2026-12-11T07:00:00+05:30",
        "2026-12-12T07:00:00+05:30",
    ),
    rule(
        "  every   day   at 7am  ",
        SYDNEY,
        SUN,
        "2026-11-23T07:00:00+11:00",
        "2026-11-24T07:00:00+11:00",
        "2026-11-25T07:00:00+11:00",
    ),
    rule(
        "everyday at 7am",
        UTC,
        SUN,
        "2026-11-23T07:00:00+00:00",
        "2026-11-24T07:00:00+00:00",
        "2026-11-25T07:00:00+00:00",
    ),
    rule(
        "each day at 7am",
        PARIS,
        EVE,
        "2026-12-10T07:00:00+01:00",
        "2026-12-11T07:00:00+01:00",
        "2026-12-12T07:00:00+01:00",
    ),
    rule(
        "daily at 07:00",
        NEW_YORK,
        SUN,
        "2026-11-22T07:00:00-05:00",
        "2026-11-23T07:00:00-05:00",
        "2026-11-24T07:00:00-05:00",
    ),
    rule(
        "daily at 07:00",
        PARIS,
        DST,
        "2027-03-28T07:00:00+02:00",
        "2027-03-29T07:00:00+02:00",
        "2027-03-30T07:00:00+02:00",
    ),
    rule(
        "Daily @ 7:00.",
        SYDNEY,
        DST,
        "2027-03-28T07:00:00+11:00",
        "2027-03-29T07:00:00+11:00",
        "2027-03-30T07:00:00+11:00",
    ),
    rule(
        "DAILY AT 07:00",
        KOLKATA,
        MON,
        "2027-01-05T07:00:00+05:30",
        "2027-01-06T07:00:00+05:30",
        "2027-01-07T07:00:00+05:30",
    ),
    rule(
        "every day at noon",
        PARIS,
        DST,
        "2027-03-27T12:00:00+01:00",
        "2027-03-28T12:00:00+02:00",
        "2027-03-29T12:00:00+02:00",
    ),
    rule(
        "every day at 9am and 5pm",
        PARIS,
        SUN,
        "2026-11-22T17:00:00+01:00",
        "2026-11-23T09:00:00+01:00",
        "2026-11-23T17:00:00+01:00",
    ),
    rule(
        "every day at 9am and 5pm",
        NEW_YORK,
        EVE,
        "2026-12-09T17:00:00-05:00",
        "2026-12-10T09:00:00-05:00",
        "2026-12-10T17:00:00-05:00",
    ),
    rule(
        "every day at 7am and 7:30am",
        UTC,
        SUN,
        "2026-11-23T07:00:00+00:00",
        "2026-11-23T07:30:00+00:00",
        "2026-11-24T07:00:00+00:00",
    ),
    rule(
        "every morning at 7",
        PARIS,
        SUN,
        "2026-11-23T07:00:00+01:00",
        "2026-11-24T07:00:00+01:00",
        "2026-11-25T07:00:00+01:00",
    ),
    rule(
        "every evening at 7",
        PARIS,
        SUN,
        "2026-11-22T19:00:00+01:00",
        "2026-11-23T19:00:00+01:00",
        "2026-11-24T19:00:00+01:00",
    ),
    rule(
        "every night at 10",
        KOLKATA,
        SUN,
        "2026-11-22T22:00:00+05:30",
        "2026-11-23T22:00:00+05:30",
        "2026-11-24T22:00:00+05:30",
    ),
    rule(
        "every night at 12",
        PARIS,
        SUN,
        "2026-11-23T00:00:00+01:00",
        "2026-11-24T00:00:00+01:00",
        "2026-11-25T00:00:00+01:00",
    ),
    rule(
        "every afternoon at 3",
        NEW_YORK,
        EVE,
        "2026-12-09T15:00:00-05:00",
        "2026-12-10T15:00:00-05:00",
        "2026-12-11T15:00:00-05:00",
    ),
    rule(
        "every day at 7 in the evening",
        SYDNEY,
        SUN,
        "2026-11-23T19:00:00+11:00",
        "2026-11-24T19:00:00+11:00",
        "2026-11-25T19:00:00+11:00",
    ),
    rule(
        "every 2 days at 9am",
        PARIS,
        SUN,
        "2026-11-23T09:00:00+01:00",
        "2026-11-25T09:00:00+01:00",
        "2026-11-27T09:00:00+01:00",
    ),
    rule(
        "every other day at 9am",
        NEW_YORK,
        SUN,
        "2026-11-22T09:00:00-05:00",
        "2026-11-24T09:00:00-05:00",
        "2026-11-26T09:00:00-05:00",
    ),
    rule(
        "nightly at 23:30",
        UTC,
        EVE,
        "2026-12-09T23:30:00+00:00",
        "2026-12-10T23:30:00+00:00",
        "2026-12-11T23:30:00+00:00",
    ),
]

WEEKLY = [
    rule(
        "every weekday at 8:30",
        PARIS,
        SUN,
        "2026-11-23T08:30:00+01:00",
        "2026-11-24T08:30:00+01:00",
        "2026-11-25T08:30:00+01:00",
    ),
    rule(
        "every weekday at 8:30",
        PARIS,
        EVE,
        "2026-12-10T08:30:00+01:00",
        "2026-12-11T08:30:00+01:00",
        "2026-12-14T08:30:00+01:00",
    ),
    rule(
        "every weekday at 8:30",
        KOLKATA,
        EVE,
        "2026-12-10T08:30:00+05:30",
        "2026-12-11T08:30:00+05:30",
        "2026-12-14T08:30:00+05:30",
    ),
    rule(
        "Every Weekday at 8:30 AM",
        NEW_YORK,
        MON,
        "2027-01-05T08:30:00-05:00",
        "2027-01-06T08:30:00-05:00",
        "2027-01-07T08:30:00-05:00",
    ),
    rule(
        "every weekday at 8.30am",
        SYDNEY,
        SUN,
        "2026-11-23T08:30:00+11:00",
        "2026-11-24T08:30:00+11:00",
        "2026-11-25T08:30:00+11:00",
    ),
    rule(
        "every weekday @ 8:30",
        PARIS,
        DST,
        "2027-03-29T08:30:00+02:00",
        "2027-03-30T08:30:00+02:00",
        "2027-03-31T08:30:00+02:00",
    ),
    rule(
        "weekdays at 9am",
        UTC,
        DST,
        "2027-03-29T09:00:00+00:00",
        "2027-03-30T09:00:00+00:00",
        "2027-03-31T09:00:00+00:00",
    ),
    rule(
        "every business day at 17:00",
        PARIS,
        EVE,
        "2026-12-10T17:00:00+01:00",
        "2026-12-11T17:00:00+01:00",
        "2026-12-14T17:00:00+01:00",
    ),
    rule(
        "every weekday morning at 7",
        KOLKATA,
        SUN,
        "2026-11-23T07:00:00+05:30",
        "2026-11-24T07:00:00+05:30",
        "2026-11-25T07:00:00+05:30",
    ),
    rule(
        "every weekday evening at 6",
        NEW_YORK,
        MON,
        "2027-01-04T18:00:00-05:00",
        "2027-01-05T18:00:00-05:00",
        "2027-01-06T18:00:00-05:00",
    ),
    rule(
        "every weekend at 10am",
        PARIS,
        SUN,
        "2026-11-28T10:00:00+01:00",
        "2026-11-29T10:00:00+01:00",
        "2026-12-05T10:00:00+01:00",
    ),
    rule(
        "every weekend at 10am",
        NEW_YORK,
        SUN,
        "2026-11-22T10:00:00-05:00",
        "2026-11-28T10:00:00-05:00",
        "2026-11-29T10:00:00-05:00",
    ),
    rule(
        "on weekends at 10",
        SYDNEY,
        EVE,
        "2026-12-12T10:00:00+11:00",
        "2026-12-13T10:00:00+11:00",
        "2026-12-19T10:00:00+11:00",
    ),
    rule(
        "every monday at 9",
        PARIS,
        SUN,
        "2026-11-23T09:00:00+01:00",
        "2026-11-30T09:00:00+01:00",
        "2026-12-07T09:00:00+01:00",
    ),
    rule(
        "every monday at 9",
        PARIS,
        MON,
        "2027-01-11T09:00:00+01:00",
        "2027-01-18T09:00:00+01:00",
        "2027-01-25T09:00:00+01:00",
    ),
    rule(
        "every Monday at 9 o'clock",
        NEW_YORK,
        MON,
        "2027-01-11T09:00:00-05:00",
        "2027-01-18T09:00:00-05:00",
        "2027-01-25T09:00:00-05:00",
    ),
    rule(
        "Every Monday, at 9",
        KOLKATA,
        SUN,
        "2026-11-23T09:00:00+05:30",
        "2026-11-30T09:00:00+05:30",
        "2026-12-07T09:00:00+05:30",
    ),
    rule(
        "every monday and thursday at 18:00",
        PARIS,
        SUN,
        "2026-11-23T18:00:00+01:00",
        "2026-11-26T18:00:00+01:00",
        "2026-11-30T18:00:00+01:00",
    ),
    rule(
        "every monday and thursday at 18:00",
        UTC,
        EVE,
        "2026-12-10T18:00:00+00:00",
        "2026-12-14T18:00:00+00:00",
        "2026-12-17T18:00:00+00:00",
    ),
    rule(
        "every Monday & Thursday at 6pm",
        SYDNEY,
        SUN,
        "2026-11-23T18:00:00+11:00",
        "2026-11-26T18:00:00+11:00",
        "2026-11-30T18:00:00+11:00",
    ),
    rule(
        "every mon, wed and fri at 6am",
        PARIS,
        SUN,
        "2026-11-23T06:00:00+01:00",
        "2026-11-25T06:00:00+01:00",
        "2026-11-27T06:00:00+01:00",
    ),
    rule(
        "every tuesday and thursday at 7:15",
        NEW_YORK,
        DST,
        "2027-03-30T07:15:00-04:00",
        "2027-04-01T07:15:00-04:00",
        "2027-04-06T07:15:00-04:00",
    ),
    rule(
        "on mondays and fridays at 7:30pm",
        PARIS,
        SUN,
        "2026-11-23T19:30:00+01:00",
        "2026-11-27T19:30:00+01:00",
        "2026-11-30T19:30:00+01:00",
    ),
    rule(
        "On Mondays and Fridays at 7:30 PM",
        NEW_YORK,
        EVE,
        "2026-12-11T19:30:00-05:00",
        "2026-12-14T19:30:00-05:00",
        "2026-12-18T19:30:00-05:00",
    ),
    rule(
        "mondays at 9am",
        UTC,
        MON,
        "2027-01-11T09:00:00+00:00",
        "2027-01-18T09:00:00+00:00",
        "2027-01-25T09:00:00+00:00",
    ),
    rule(
        "on fridays at 5 pm",
        SYDNEY,
        EVE,
        "2026-12-11T17:00:00+11:00",
        "2026-12-18T17:00:00+11:00",
        "2026-12-25T17:00:00+11:00",
    ),
    rule(
        "every friday evening at 6",
        PARIS,
        EVE,
        "2026-12-11T18:00:00+01:00",
        "2026-12-18T18:00:00+01:00",
        "2026-12-25T18:00:00+01:00",
    ),
    rule(
        "every other week on tuesday at 9",
        PARIS,
        SUN,
        "2026-11-24T09:00:00+01:00",
        "2026-12-08T09:00:00+01:00",
        "2026-12-22T09:00:00+01:00",
    ),
    rule(
        "every other week on tuesday at 9",
        KOLKATA,
        EVE,
        "2026-12-15T09:00:00+05:30",
        "2026-12-29T09:00:00+05:30",
        "2027-01-12T09:00:00+05:30",
    ),
    rule(
        "every other tuesday at 9",
        NEW_YORK,
        EVE,
        "2026-12-15T09:00:00-05:00",
        "2026-12-29T09:00:00-05:00",
        "2027-01-12T09:00:00-05:00",
    ),
    rule(
        "every 2 weeks on monday at 9",
        PARIS,
        SUN,
        "2026-11-23T09:00:00+01:00",
        "2026-12-07T09:00:00+01:00",
        "2026-12-21T09:00:00+01:00",
    ),
    rule(
        "biweekly on friday at 4pm",
        KOLKATA,
        SUN,
        "2026-11-27T16:00:00+05:30",
        "2026-12-11T16:00:00+05:30",
        "2026-12-25T16:00:00+05:30",
    ),
    rule(
        "every 3 weeks on wednesday at noon",
        UTC,
        SUN,
        "2026-11-25T12:00:00+00:00",
        "2026-12-16T12:00:00+00:00",
        "2027-01-06T12:00:00+00:00",
    ),
]

MONTHLY = [
    rule(
        "every month on the 1st at noon",
        PARIS,
        SUN,
        "2026-12-01T12:00:00+01:00",
        "2027-01-01T12:00:00+01:00",
        "2027-02-01T12:00:00+01:00",
    ),
    rule(
        "every month on the 1st at noon",
        KOLKATA,
        EVE,
        "2027-01-01T12:00:00+05:30",
        "2027-02-01T12:00:00+05:30",
        "2027-03-01T12:00:00+05:30",
    ),
    rule(
        "monthly on the 1st at 12:00",
        NEW_YORK,
        DST,
        "2027-04-01T12:00:00-04:00",
        "2027-05-01T12:00:00-04:00",
        "2027-06-01T12:00:00-04:00",
    ),
    rule(
        "on the last day of every month at 17:00",
        PARIS,
        SUN,
        "2026-11-30T17:00:00+01:00",
        "2026-12-31T17:00:00+01:00",
        "2027-01-31T17:00:00+01:00",
    ),
    rule(
        "on the last day of every month at 17:00",
        SYDNEY,
        EVE,
        "2026-12-31T17:00:00+11:00",
        "2027-01-31T17:00:00+11:00",
        "2027-02-28T17:00:00+11:00",
    ),
    rule(
        "on the last day of every month at 17:00",
        PARIS,
        DST,
        "2027-03-31T17:00:00+02:00",
        "2027-04-30T17:00:00+02:00",
        "2027-05-31T17:00:00+02:00",
    ),
    rule(
        "every month on the last day at 23:00",
        UTC,
        SUN,
        "2026-11-30T23:00:00+00:00",
        "2026-12-31T23:00:00+00:00",
        "2027-01-31T23:00:00+00:00",
    ),
    # A month without a 31st is skipped, as in RFC 5545.
    rule(
        "every month on the 31st at 9am",
        PARIS,
        SUN,
        "2026-12-31T09:00:00+01:00",
        "2027-01-31T09:00:00+01:00",
        "2027-03-31T09:00:00+02:00",
    ),
    rule(
        "every 15th of the month at 10",
        NEW_YORK,
        SUN,
        "2026-12-15T10:00:00-05:00",
        "2027-01-15T10:00:00-05:00",
        "2027-02-15T10:00:00-05:00",
    ),
    rule(
        "monthly on the 1st and 15th at 9am",
        PARIS,
        SUN,
        "2026-12-01T09:00:00+01:00",
        "2026-12-15T09:00:00+01:00",
        "2027-01-01T09:00:00+01:00",
    ),
    rule(
        "on the 1st and 15th of every month at 9am",
        UTC,
        EVE,
        "2026-12-15T09:00:00+00:00",
        "2027-01-01T09:00:00+00:00",
        "2027-01-15T09:00:00+00:00",
    ),
    rule(
        "every 3 months on the 15th at 10:00",
        PARIS,
        SUN,
        "2026-12-15T10:00:00+01:00",
        "2027-03-15T10:00:00+01:00",
        "2027-06-15T10:00:00+02:00",
    ),
    rule(
        "every first monday of the month at 9am",
        PARIS,
        SUN,
        "2026-12-07T09:00:00+01:00",
        "2027-01-04T09:00:00+01:00",
        "2027-02-01T09:00:00+01:00",
    ),
    rule(
        "every first monday of the month at 9am",
        NEW_YORK,
        EVE,
        "2027-01-04T09:00:00-05:00",
        "2027-02-01T09:00:00-05:00",
        "2027-03-01T09:00:00-05:00",
    ),
    rule(
        "every first monday of the month at 9am",
        PARIS,
        MON,
        "2027-02-01T09:00:00+01:00",
        "2027-03-01T09:00:00+01:00",
        "2027-04-05T09:00:00+02:00",
    ),
    rule(
        "every last friday of the month at 17:00",
        PARIS,
        SUN,
        "2026-11-27T17:00:00+01:00",
        "2026-12-25T17:00:00+01:00",
        "2027-01-29T17:00:00+01:00",
    ),
    rule(
        "the last friday of every month at 5pm",
        SYDNEY,
        SUN,
        "2026-11-27T17:00:00+11:00",
        "2026-12-25T17:00:00+11:00",
        "2027-01-29T17:00:00+11:00",
    ),
    rule(
        "every second tuesday of the month at 9",
        UTC,
        SUN,
        "2026-12-08T09:00:00+00:00",
        "2027-01-12T09:00:00+00:00",
        "2027-02-09T09:00:00+00:00",
    ),
    rule(
        "every 3rd wednesday of the month at 14:00",
        KOLKATA,
        SUN,
        "2026-12-16T14:00:00+05:30",
        "2027-01-20T14:00:00+05:30",
        "2027-02-17T14:00:00+05:30",
    ),
    rule(
        "monthly on the first monday at 9am",
        NEW_YORK,
        SUN,
        "2026-12-07T09:00:00-05:00",
        "2027-01-04T09:00:00-05:00",
        "2027-02-01T09:00:00-05:00",
    ),
    rule(
        "every last weekday of the month at 17:00",
        PARIS,
        SUN,
        "2026-11-30T17:00:00+01:00",
        "2026-12-31T17:00:00+01:00",
        "2027-01-29T17:00:00+01:00",
    ),
]

YEARLY = [
    rule(
        "every year on march 3 at 9am",
        PARIS,
        SUN,
        "2027-03-03T09:00:00+01:00",
        "2028-03-03T09:00:00+01:00",
        "2029-03-03T09:00:00+01:00",
    ),
    rule(
        "every year on march 3 at 9am",
        NEW_YORK,
        DST,
        "2028-03-03T09:00:00-05:00",
        "2029-03-03T09:00:00-05:00",
        "2030-03-03T09:00:00-05:00",
    ),
    rule(
        "Every year on March 3rd at 9 AM",
        SYDNEY,
        SUN,
        "2027-03-03T09:00:00+11:00",
        "2028-03-03T09:00:00+11:00",
        "2029-03-03T09:00:00+11:00",
    ),
    rule(
        "march 3 every year at 9am",
        KOLKATA,
        SUN,
        "2027-03-03T09:00:00+05:30",
        "2028-03-03T09:00:00+05:30",
        "2029-03-03T09:00:00+05:30",
    ),
    rule(
        "every year on december 25 at 8am",
        SYDNEY,
        EVE,
        "2026-12-25T08:00:00+11:00",
        "2027-12-25T08:00:00+11:00",
        "2028-12-25T08:00:00+11:00",
    ),
    rule(
        "every december 25 at 8am",
        KOLKATA,
        EVE,
        "2026-12-25T08:00:00+05:30",
        "2027-12-25T08:00:00+05:30",
        "2028-12-25T08:00:00+05:30",
    ),
    rule(
        "annually on july 4 at noon",
        NEW_YORK,
        SUN,
        "2027-07-04T12:00:00-04:00",
        "2028-07-04T12:00:00-04:00",
        "2029-07-04T12:00:00-04:00",
    ),
    rule(
        "every 4th of july at noon",
        UTC,
        SUN,
        "2027-07-04T12:00:00+00:00",
        "2028-07-04T12:00:00+00:00",
        "2029-07-04T12:00:00+00:00",
    ),
    rule(
        "every year on the fourth thursday of november at noon",
        NEW_YORK,
        SUN,
        "2026-11-26T12:00:00-05:00",
        "2027-11-25T12:00:00-05:00",
        "2028-11-23T12:00:00-05:00",
    ),
    rule(
        "every year on the fourth thursday of november at noon",
        PARIS,
        EVE,
        "2027-11-25T12:00:00+01:00",
        "2028-11-23T12:00:00+01:00",
        "2029-11-22T12:00:00+01:00",
    ),
    rule(
        "every year on the first monday of september at 9am",
        PARIS,
        SUN,
        "2027-09-06T09:00:00+02:00",
        "2028-09-04T09:00:00+02:00",
        "2029-09-03T09:00:00+02:00",
    ),
    rule(
        "every other year on march 3 at 9am",
        PARIS,
        SUN,
        "2027-03-03T09:00:00+01:00",
        "2029-03-03T09:00:00+01:00",
        "2031-03-03T09:00:00+01:00",
    ),
]

INTERVALS = [
    interval(
        "every 15 minutes",
        PARIS,
        SUN,
        "2026-11-22T11:22:00+01:00",
        "2026-11-22T11:37:00+01:00",
        "2026-11-22T11:52:00+01:00",
    ),
    interval(
        "every 15 minutes",
        KOLKATA,
        EVE,
        "2026-12-10T00:25:00+05:30",
        "2026-12-10T00:40:00+05:30",
        "2026-12-10T00:55:00+05:30",
    ),
    interval(
        "Every 15 Minutes",
        NEW_YORK,
        SUN,
        "2026-11-22T05:22:00-05:00",
        "2026-11-22T05:37:00-05:00",
        "2026-11-22T05:52:00-05:00",
    ),
    interval(
        "every 15 mins",
        UTC,
        DST,
        "2027-03-27T10:15:00+00:00",
        "2027-03-27T10:30:00+00:00",
        "2027-03-27T10:45:00+00:00",
    ),
    interval(
        "every quarter hour",
        SYDNEY,
        SUN,
        "2026-11-22T21:22:00+11:00",
        "2026-11-22T21:37:00+11:00",
        "2026-11-22T21:52:00+11:00",
    ),
    interval(
        "every 2 hours",
        PARIS,
        SUN,
        "2026-11-22T13:00:00+01:00",
        "2026-11-22T15:00:00+01:00",
        "2026-11-22T17:00:00+01:00",
    ),
    interval(
        "every 2 hours",
        KOLKATA,
        SUN,
        "2026-11-22T17:00:00+05:30",
        "2026-11-22T19:00:00+05:30",
        "2026-11-22T21:00:00+05:30",
    ),
    interval(
        "every 2 hours",
        SYDNEY,
        SUN,
        "2026-11-22T23:00:00+11:00",
        "2026-11-23T01:00:00+11:00",
        "2026-11-23T03:00:00+11:00",
    ),
    interval(
        "every 2 hours",
        KOLKATA,
        EVE,
        "2026-12-10T02:00:00+05:30",
        "2026-12-10T04:00:00+05:30",
        "2026-12-10T06:00:00+05:30",
    ),
    interval(
        "every two hours",
        NEW_YORK,
        EVE,
        "2026-12-09T15:00:00-05:00",
        "2026-12-09T17:00:00-05:00",
        "2026-12-09T19:00:00-05:00",
    ),
    interval(
        "hourly",
        NEW_YORK,
        SUN,
        "2026-11-22T06:00:00-05:00",
        "2026-11-22T07:00:00-05:00",
        "2026-11-22T08:00:00-05:00",
    ),
    interval(
        "hourly",
        UTC,
        EVE,
        "2026-12-09T19:00:00+00:00",
        "2026-12-09T20:00:00+00:00",
        "2026-12-09T21:00:00+00:00",
    ),
    interval(
        "Hourly.",
        SYDNEY,
        MON,
        "2027-01-05T02:00:00+11:00",
        "2027-01-05T03:00:00+11:00",
        "2027-01-05T04:00:00+11:00",
    ),
    interval(
        "every hour",
        PARIS,
        MON,
        "2027-01-04T16:00:00+01:00",
        "2027-01-04T17:00:00+01:00",
        "2027-01-04T18:00:00+01:00",
    ),
    interval(
        "every minute",
        UTC,
        SUN,
        "2026-11-22T10:08:00+00:00",
        "2026-11-22T10:09:00+00:00",
        "2026-11-22T10:10:00+00:00",
    ),
    interval(
        "every 30 seconds",
        PARIS,
        SUN,
        "2026-11-22T11:08:01+01:00",
        "2026-11-22T11:08:31+01:00",
        "2026-11-22T11:09:01+01:00",
    ),
    interval(
        "every 90 seconds",
        NEW_YORK,
        SUN,
        "2026-11-22T05:09:01-05:00",
        "2026-11-22T05:10:31-05:00",
        "2026-11-22T05:12:01-05:00",
    ),
    interval(
        "every half hour",
        KOLKATA,
        SUN,
        "2026-11-22T16:07:00+05:30",
        "2026-11-22T16:37:00+05:30",
        "2026-11-22T17:07:00+05:30",
    ),
    interval(
        "every 90 minutes",
        PARIS,
        SUN,
        "2026-11-22T12:37:00+01:00",
        "2026-11-22T14:07:00+01:00",
        "2026-11-22T15:37:00+01:00",
    ),
    interval(
        "every 1.5 hours",
        UTC,
        SUN,
        "2026-11-22T11:37:00+00:00",
        "2026-11-22T13:07:00+00:00",
        "2026-11-22T14:37:00+00:00",
    ),
    # Elapsed time: the offset changes under the interval, the spacing does not.
    interval(
        "every 6 hours",
        PARIS,
        DST,
        "2027-03-27T17:00:00+01:00",
        "2027-03-27T23:00:00+01:00",
        "2027-03-28T06:00:00+02:00",
    ),
    interval(
        "every 12 hours",
        PARIS,
        OCT,
        "2026-10-25T09:00:00+01:00",
        "2026-10-25T21:00:00+01:00",
        "2026-10-26T09:00:00+01:00",
    ),
    interval(
        "every 15 minutes",
        PARIS,
        FOLD,
        "2026-10-25T02:45:00+01:00",
        "2026-10-25T03:00:00+01:00",
        "2026-10-25T03:15:00+01:00",
    ),
    interval(
        "every 2 hours",
        PARIS,
        FOLD,
        "2026-10-25T04:00:00+01:00",
        "2026-10-25T06:00:00+01:00",
        "2026-10-25T08:00:00+01:00",
    ),
    interval(
        "every 30 minutes starting at 9am",
        PARIS,
        SUN,
        "2026-11-22T11:30:00+01:00",
        "2026-11-22T12:00:00+01:00",
        "2026-11-22T12:30:00+01:00",
    ),
    interval(
        "every 30 minutes starting at 9am",
        NEW_YORK,
        SUN,
        "2026-11-22T09:00:00-05:00",
        "2026-11-22T09:30:00-05:00",
        "2026-11-22T10:00:00-05:00",
    ),
    interval(
        "every 2 hours from 8am",
        KOLKATA,
        SUN,
        "2026-11-22T16:00:00+05:30",
        "2026-11-22T18:00:00+05:30",
        "2026-11-22T20:00:00+05:30",
    ),
    interval(
        "every 45 minutes starting at 10:15",
        UTC,
        SUN,
        "2026-11-22T10:15:00+00:00",
        "2026-11-22T11:00:00+00:00",
        "2026-11-22T11:45:00+00:00",
    ),
    interval(
        "every 20 minutes",
        UTC,
        MON,
        "2027-01-04T14:35:00+00:00",
        "2027-01-04T14:55:00+00:00",
        "2027-01-04T15:15:00+00:00",
    ),
]

BOUNDED = [
    rule(
        "every sunday at 10pm until december 31",
        PARIS,
        SUN,
        "2026-11-22T22:00:00+01:00",
        "2026-11-29T22:00:00+01:00",
        "2026-12-06T22:00:00+01:00",
        total=6,
    ),
    rule(
        "every sunday at 10pm until december 31",
        SYDNEY,
        EVE,
        "2026-12-13T22:00:00+11:00",
        "2026-12-20T22:00:00+11:00",
        "2026-12-27T22:00:00+11:00",
        total=3,
    ),
    rule(
        "every sunday at 10pm until december 31",
        NEW_YORK,
        DST,
        "2027-03-28T22:00:00-04:00",
        "2027-04-04T22:00:00-04:00",
        "2027-04-11T22:00:00-04:00",
        total=40,
    ),
    rule(
        "Every Sunday at 10 PM until Dec 31.",
        KOLKATA,
        SUN,
        "2026-11-22T22:00:00+05:30",
        "2026-11-29T22:00:00+05:30",
        "2026-12-06T22:00:00+05:30",
        total=6,
    ),
    rule(
        "every day at 8am for 10 days",
        PARIS,
        SUN,
        "2026-11-23T08:00:00+01:00",
        "2026-11-24T08:00:00+01:00",
        "2026-11-25T08:00:00+01:00",
        total=10,
    ),
    rule(
        "every day at 8am for 10 days",
        NEW_YORK,
        SUN,
        "2026-11-22T08:00:00-05:00",
        "2026-11-23T08:00:00-05:00",
        "2026-11-24T08:00:00-05:00",
        total=10,
    ),
    rule(
        "every day at 8am for 10 days",
        PARIS,
        DST,
        "2027-03-28T08:00:00+02:00",
        "2027-03-29T08:00:00+02:00",
        "2027-03-30T08:00:00+02:00",
        total=10,
    ),
    rule(
        "every day at 8am for the next 5 days",
        UTC,
        EVE,
        "2026-12-10T08:00:00+00:00",
        "2026-12-11T08:00:00+00:00",
        "2026-12-12T08:00:00+00:00",
        total=5,
    ),
    rule(
        "every day at 8am for 3 times",
        SYDNEY,
        SUN,
        "2026-11-23T08:00:00+11:00",
        "2026-11-24T08:00:00+11:00",
        "2026-11-25T08:00:00+11:00",
        total=3,
    ),
    rule(
        "every monday at 9 for 3 weeks",
        PARIS,
        SUN,
        "2026-11-23T09:00:00+01:00",
        "2026-11-30T09:00:00+01:00",
        "2026-12-07T09:00:00+01:00",
        total=3,
    ),
    rule(
        "every month on the 1st at noon for 3 months",
        KOLKATA,
        SUN,
        "2026-12-01T12:00:00+05:30",
        "2027-01-01T12:00:00+05:30",
        "2027-02-01T12:00:00+05:30",
        total=3,
    ),
    interval(
        "every 2 hours for 3 times",
        PARIS,
        SUN,
        "2026-11-22T13:00:00+01:00",
        "2026-11-22T15:00:00+01:00",
        "2026-11-22T17:00:00+01:00",
        total=3,
    ),
    interval(
        "every 2 hours for 3 times",
        KOLKATA,
        SUN,
        "2026-11-22T17:00:00+05:30",
        "2026-11-22T19:00:00+05:30",
        "2026-11-22T21:00:00+05:30",
        total=3,
    ),
    interval(
        "every 15 minutes for 4 times",
        KOLKATA,
        EVE,
        "2026-12-10T00:25:00+05:30",
        "2026-12-10T00:40:00+05:30",
        "2026-12-10T00:55:00+05:30",
        total=4,
    ),
    interval(
        "every 15 minutes until noon",
        PARIS,
        SUN,
        "2026-11-22T11:22:00+01:00",
        "2026-11-22T11:37:00+01:00",
        "2026-11-22T11:52:00+01:00",
        total=3,
    ),
    interval(
        "every hour until 3pm",
        PARIS,
        SUN,
        "2026-11-22T12:00:00+01:00",
        "2026-11-22T13:00:00+01:00",
        "2026-11-22T14:00:00+01:00",
        total=4,
    ),
    # Hourly in elapsed time through the night the clocks go back: 23:00, 00:00, 01:00,
    # 02:00 CEST, 02:00 CET, 03:00, 04:00.
    interval(
        "every hour until 4am",
        PARIS,
        OCT,
        "2026-10-24T23:00:00+02:00",
        "2026-10-25T00:00:00+02:00",
        "2026-10-25T01:00:00+02:00",
        total=7,
    ),
    # Started during the second pass of the repeated hour: 02:45 CET is still ahead.
    interval(
        "every 15 minutes for 4 times",
        PARIS,
        FOLD,
        "2026-10-25T02:45:00+01:00",
        "2026-10-25T03:00:00+01:00",
        "2026-10-25T03:15:00+01:00",
        total=4,
    ),
    rule(
        "every day at 9am until december 3",
        PARIS,
        SUN,
        "2026-11-23T09:00:00+01:00",
        "2026-11-24T09:00:00+01:00",
        "2026-11-25T09:00:00+01:00",
        total=11,
    ),
    rule(
        "every day at 9am through 2026-12-03",
        NEW_YORK,
        SUN,
        "2026-11-22T09:00:00-05:00",
        "2026-11-23T09:00:00-05:00",
        "2026-11-24T09:00:00-05:00",
        total=12,
    ),
    rule(
        "every day at 9am starting december 1",
        PARIS,
        SUN,
        "2026-12-01T09:00:00+01:00",
        "2026-12-02T09:00:00+01:00",
        "2026-12-03T09:00:00+01:00",
    ),
    rule(
        "every day at 9am from 2026-12-01 for 3 days",
        NEW_YORK,
        SUN,
        "2026-12-01T09:00:00-05:00",
        "2026-12-02T09:00:00-05:00",
        "2026-12-03T09:00:00-05:00",
        total=3,
    ),
    rule(
        "every weekday at 9am starting next monday",
        UTC,
        EVE,
        "2026-12-14T09:00:00+00:00",
        "2026-12-15T09:00:00+00:00",
        "2026-12-16T09:00:00+00:00",
    ),
]

WALL_CLOCK_CHANGES = [
    # Spring forward in Paris: 02:30 does not exist on 28 March 2027 and becomes 03:30.
    once("tomorrow at 2:30am", PARIS, DST, "2027-03-28T03:30:00+02:00"),
    once("march 28 at 2am", PARIS, SUN, "2027-03-28T03:00:00+02:00"),
    once("2027-03-28 02:30", PARIS, SUN, "2027-03-28T03:30:00+02:00"),
    once("march 14 at 2:30am", NEW_YORK, EVE, "2027-03-14T03:30:00-04:00"),
    rule(
        "every day at 2:30",
        PARIS,
        DST,
        "2027-03-28T03:30:00+02:00",
        "2027-03-29T02:30:00+02:00",
        "2027-03-30T02:30:00+02:00",
    ),
    rule(
        "every sunday at 2:30am",
        PARIS,
        DST,
        "2027-03-28T03:30:00+02:00",
        "2027-04-04T02:30:00+02:00",
        "2027-04-11T02:30:00+02:00",
    ),
    # Fall back: an ambiguous wall time fires once, at its first occurrence.
    once("tomorrow at 2:30am", PARIS, OCT, "2026-10-25T02:30:00+02:00"),
    once("october 25 at 2:30am", PARIS, OCT, "2026-10-25T02:30:00+02:00"),
    once("sunday next week at 2:30am", SYDNEY, DST, "2027-04-04T02:30:00+11:00"),
    once("april 4 at 2:30am", SYDNEY, DST, "2027-04-04T02:30:00+11:00"),
    once("at 2:45am", PARIS, FOLD, "2026-10-26T02:45:00+01:00"),
    rule(
        "every day at 2:30",
        PARIS,
        OCT,
        "2026-10-25T02:30:00+02:00",
        "2026-10-26T02:30:00+01:00",
        "2026-10-27T02:30:00+01:00",
    ),
    rule(
        "every day at 9am",
        PARIS,
        OCT,
        "2026-10-25T09:00:00+01:00",
        "2026-10-26T09:00:00+01:00",
        "2026-10-27T09:00:00+01:00",
    ),
    rule(
        "every day at 2:45",
        PARIS,
        FOLD,
        "2026-10-26T02:45:00+01:00",
        "2026-10-27T02:45:00+01:00",
        "2026-10-28T02:45:00+01:00",
    ),
    rule(
        "every day at 9am",
        PARIS,
        FOLD,
        "2026-10-25T09:00:00+01:00",
        "2026-10-26T09:00:00+01:00",
        "2026-10-27T09:00:00+01:00",
    ),
    rule(
        "every sunday at 2:30am",
        SYDNEY,
        DST,
        "2027-03-28T02:30:00+11:00",
        "2027-04-04T02:30:00+11:00",
        "2027-04-11T02:30:00+10:00",
    ),
    rule(
        "every sunday at 1:30am",
        NEW_YORK,
        OCT,
        "2026-10-25T01:30:00-04:00",
        "2026-11-01T01:30:00-04:00",
        "2026-11-08T01:30:00-05:00",
    ),
]

ACCEPTED = (
    SPANS + DAYS + DAILY + WEEKLY + MONTHLY + YEARLY + INTERVALS + BOUNDED + WALL_CLOCK_CHANGES
)


@dataclass(frozen=True)
class Rejected:
    """A phrase that must be refused with a message a person can act on."""

    phrase: str
    zone: str = PARIS
    now: str = SUN
    bad_zone: bool = False

    @property
    def id(self) -> str:
        return f"{self.now}-{_ZONE_LABELS.get(self.zone, self.zone or 'empty')}-{self.phrase!r}"


REJECTED = [
    Rejected(""),
    Rejected("   "),
    Rejected("blah blah blah"),
    Rejected("purple monkey dishwasher at dawn"),
    Rejected("in 5 parsecs"),
    Rejected("february 30 at 9"),
    Rejected("december 32 at 9"),
    Rejected("on 2027-02-29 at 9am"),
    Rejected("2027-02-29 09:00"),
    Rejected("every year on february 30 at 9am"),
    Rejected("tomorrow at 25:00"),
    Rejected("at 12:60"),
    Rejected("at 13pm"),
    Rejected("every 0 minutes"),
    Rejected("every 0 days at 9"),
    Rejected("every -5 minutes"),
    Rejected("every 0.5 seconds"),
    Rejected("in 0 minutes"),
    Rejected("in 1.5 days"),
    Rejected("now"),
    Rejected("2020-01-01 09:00"),
    Rejected("2026-11-22 09:00"),  # earlier today in Paris
    Rejected("2026-12-25"),  # a date without a time
    Rejected("at 9am on 2020-01-01"),
    Rejected("yesterday at 9am"),
    Rejected("this morning at 9"),  # 09:00 has passed at 11:07 in Paris
    Rejected("tonight at 9", SYDNEY),  # 21:00 has passed at 21:07 in Sydney
    Rejected("05/06/2027 at 10am"),
    Rejected("12/11/2026 at 9am", NEW_YORK),
    Rejected("weekly"),
    Rejected("monthly"),
    Rejected("every month"),
    Rejected("every 2 weeks"),
    Rejected("tomorrow at 9am and 5pm"),
    Rejected("the last weekday of the month at 9:15 and 17:45"),
    Rejected("every day at 9 3"),  # a stray number is not a second time
    Rejected("every day at 9 please"),
    Rejected("every 3 times day at 9"),
    Rejected("every second tuesday at 9"),  # every other week, or the 2nd of the month?
    Rejected("every day from 9 to 5"),
    Rejected("every minute from 8 to 6"),
    Rejected("3 december 25 at 8am"),
    Rejected("in 2 hours at 5pm"),
    Rejected("at 9 at 10"),
    Rejected("tomorrow at 9am for 3 days"),
    Rejected("every day at 8am for 10 days until december 31"),
    Rejected("every sunday at 10pm until 2026-11-01"),
    Rejected("every 15 minutes starting tomorrow"),
    Rejected("tomorrow at 9am", "Mars/Olympus_Mons", bad_zone=True),
    Rejected("every day at 7am", "Europe/Parris", bad_zone=True),
    Rejected("in 5 minutes", "", bad_zone=True),
]

# parse() ends its messages with two working examples, unless the message already
# closes on one of its own ("e.g. 'tomorrow at 9am'.").
_SUGGESTION = re.compile(
    r"(?:Try for example '[^']+' or '[^']+'|(?:e\.g\.|such as) '[^']+'(?: or '[^']+')?)\.$"
)
_TRACEBACK = re.compile(r"Traceback|File \"|line \d+|\b\w+(?:Error|Exception)\b")


def local_readings(instants: list[datetime], zone: str) -> list[str]:
    """ISO readings of instants on the wall clock of ``zone``, as the cases give them."""
    return [moment.astimezone(ZoneInfo(zone)).isoformat() for moment in instants]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in ACCEPTED])
def test_phrase_gives_the_expected_occurrences(case: Case) -> None:
    now = NOWS[case.now]
    schedule = parse(case.phrase, case.zone, now)

    assert schedule.kind == case.kind
    found = schedule.preview(len(case.expected), now)
    assert all(moment.utcoffset() == timedelta(0) for moment in found)
    assert local_readings(found, case.zone) == list(case.expected)
    assert schedule.next_after(now) == found[0]


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c.id) for c in ACCEPTED if c.total is not None]
)
def test_bounded_phrase_has_exactly_its_occurrences(case: Case) -> None:
    assert case.total is not None
    now = NOWS[case.now]
    schedule = parse(case.phrase, case.zone, now)

    assert len(schedule.preview(max(20, 2 * case.total), now)) == case.total


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in ACCEPTED])
def test_normalized_form_gives_the_same_occurrences(case: Case) -> None:
    now = NOWS[case.now]
    schedule = parse(case.phrase, case.zone, now)
    again = parse(schedule.normalized, case.zone, now)

    assert again.preview(5, now) == schedule.preview(5, now)
    assert schedule.describe().endswith(f"({case.zone})")


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in REJECTED])
def test_phrase_is_rejected_with_a_helpful_message(case: Rejected) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse(case.phrase, case.zone, NOWS[case.now])

    message = caught.value.message
    assert message.strip()
    assert not _TRACEBACK.search(message), message
    if case.bad_zone:
        assert "time zone" in message
        assert "IANA" in message or "Did you mean" in message
    else:
        assert _SUGGESTION.search(message), message


def test_corpus_is_broad() -> None:
    assert len(ACCEPTED) >= 170
    assert len(REJECTED) >= 25
    assert {c.zone for c in ACCEPTED} == {PARIS, NEW_YORK, KOLKATA, SYDNEY, UTC}
    assert len({c.now for c in ACCEPTED}) >= 3
    assert len({c.id for c in ACCEPTED}) == len(ACCEPTED)
    assert len({c.id for c in REJECTED}) == len(REJECTED)
