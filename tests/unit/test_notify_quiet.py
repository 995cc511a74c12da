"""Quiet hours in a real zone: windows within a day and over midnight, and the nights the
clocks change in Europe/Paris and America/New_York."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agentcron.errors import InvalidInputError
from agentcron.notify.quiet import QuietHours

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("22:00-07:00", "22:00-07:00"),
        ("7:05 - 9:30", "07:05-09:30"),
        (" 00:00-23:59 ", "00:00-23:59"),
    ],
)
def test_parse(text: str, shown: str) -> None:
    assert str(QuietHours.parse(text)) == shown


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("22-07", "are not understood"),
        ("10pm-7am", "are not understood"),
        ("22:00", "are not understood"),
        ("24:00-07:00", "name a time that does not exist"),
        ("22:60-07:00", "name a time that does not exist"),
        ("08:00-08:00", "start and end at the same time"),
    ],
)
def test_parse_refuses(text: str, says: str) -> None:
    with pytest.raises(InvalidInputError, match=says):
        QuietHours.parse(text)


# (window, zone, instant, when they end: None outside them)
TABLE = [
    # within a day, Paris in winter (UTC+1)
    ("11:00-13:00", PARIS, utc(2026, 11, 22, 9, 59), None),
    ("11:00-13:00", PARIS, utc(2026, 11, 22, 10, 0), utc(2026, 11, 22, 12, 0)),  # at the start
    ("11:00-13:00", PARIS, utc(2026, 11, 22, 11, 59), utc(2026, 11, 22, 12, 0)),
    ("11:00-13:00", PARIS, utc(2026, 11, 22, 12, 0), None),  # the end is outside
    # over midnight: evening, then the next morning
    ("22:00-07:00", PARIS, utc(2026, 11, 22, 20, 59), None),
    ("22:00-07:00", PARIS, utc(2026, 11, 22, 21, 0), utc(2026, 11, 23, 6, 0)),
    ("22:00-07:00", PARIS, utc(2026, 11, 22, 22, 59), utc(2026, 11, 23, 6, 0)),  # 23:59
    ("22:00-07:00", PARIS, utc(2026, 11, 22, 23, 0), utc(2026, 11, 23, 6, 0)),  # 00:00
    ("22:00-07:00", PARIS, utc(2026, 11, 23, 5, 59), utc(2026, 11, 23, 6, 0)),
    ("22:00-07:00", PARIS, utc(2026, 11, 23, 6, 0), None),
    # Paris springs forward on 29 March 2026 (02:00 -> 03:00): a night an hour shorter
    ("22:00-07:00", PARIS, utc(2026, 3, 28, 21, 30), utc(2026, 3, 29, 5, 0)),  # 07:00 CEST
    ("22:00-07:00", PARIS, utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 5, 0)),  # 03:30 CEST
    # quiet hours ending at 02:30, which that night does not exist: shifted by the gap
    ("23:00-02:30", PARIS, utc(2026, 3, 28, 23, 30), utc(2026, 3, 29, 1, 30)),  # 03:30 CEST
    ("23:00-02:30", PARIS, utc(2026, 3, 29, 0, 59), utc(2026, 3, 29, 1, 30)),  # 01:59 CET
    ("23:00-02:30", PARIS, utc(2026, 3, 29, 1, 0), None),  # 03:00 CEST: past 02:30
    # Paris falls back on 25 October 2026 (03:00 -> 02:00): a night an hour longer
    ("22:00-07:00", PARIS, utc(2026, 10, 24, 20, 30), utc(2026, 10, 25, 6, 0)),  # 07:00 CET
    # quiet hours ending at 02:30, which happens twice: the first time...
    ("01:00-02:30", PARIS, utc(2026, 10, 24, 23, 15), utc(2026, 10, 25, 0, 30)),  # 01:15 CEST
    # ...unless the instant is in the second pass of that hour: then its second 02:30
    ("01:00-02:30", PARIS, utc(2026, 10, 25, 1, 10), utc(2026, 10, 25, 1, 30)),  # 02:10 CET
    ("01:00-02:30", PARIS, utc(2026, 10, 25, 0, 40), None),  # 02:40 CEST: between the two
    # New York springs forward on 8 March 2026 and falls back on 1 November 2026
    ("22:00-07:00", NEW_YORK, utc(2026, 3, 8, 3, 0), utc(2026, 3, 8, 11, 0)),  # 07:00 EDT
    ("22:00-07:00", NEW_YORK, utc(2026, 3, 7, 3, 0), utc(2026, 3, 7, 12, 0)),  # 07:00 EST
    ("23:00-02:30", NEW_YORK, utc(2026, 3, 8, 6, 45), utc(2026, 3, 8, 7, 30)),  # 03:30 EDT
    ("22:00-07:00", NEW_YORK, utc(2026, 11, 1, 2, 30), utc(2026, 11, 1, 12, 0)),  # 07:00 EST
    ("00:30-01:30", NEW_YORK, utc(2026, 11, 1, 5, 10), utc(2026, 11, 1, 5, 30)),  # 01:10 EDT
    ("00:30-01:30", NEW_YORK, utc(2026, 11, 1, 5, 45), None),  # 01:45 EDT
    ("00:30-01:30", NEW_YORK, utc(2026, 11, 1, 6, 10), utc(2026, 11, 1, 6, 30)),  # 01:10 EST
]


@pytest.mark.parametrize(("window", "zone", "instant", "ends"), TABLE)
def test_ends_after(window: str, zone: ZoneInfo, instant: datetime, ends: datetime | None) -> None:
    assert QuietHours.parse(window).ends_after(instant, zone) == ends


@pytest.mark.parametrize("window", ["22:00-07:00", "01:00-02:30", "02:15-03:45", "23:00-02:30"])
@pytest.mark.parametrize("zone", [PARIS, NEW_YORK], ids=["paris", "new-york"])
def test_quiet_hours_always_end_later_and_within_a_day(window: str, zone: ZoneInfo) -> None:
    """Every ten minutes of the weeks around both changes of the clocks, in both zones."""
    quiet = QuietHours.parse(window)
    for start in (utc(2026, 3, 5), utc(2026, 10, 22)):
        for step in range(0, 14 * 24 * 6):
            instant = start + timedelta(minutes=10 * step)
            ends = quiet.ends_after(instant, zone)
            if ends is not None:
                assert instant < ends <= instant + timedelta(hours=25), (instant, ends)
                assert quiet.ends_after(ends, zone) is None, (instant, ends)
