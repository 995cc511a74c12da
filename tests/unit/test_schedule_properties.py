"""Cron and RRULE schedules checked against a brute-force reference over a whole year.

The reference knows nothing of agentcron's DST helpers. It walks every UTC minute
of one local calendar year, reads each minute on the zone's wall clock with
zoneinfo, and fires a minute when its wall reading matches the schedule and is
that reading's first occurrence (``fold == 0``: an ambiguous time fires once, on
its first pass). A wall reading skipped by a spring-forward change fires at the
instant whose reading is the skipped one plus the length of the gap (02:30 in a
one-hour gap fires at 03:30). Equal instants count once.

Iterating ``next_after`` over the same year must give exactly the reference list:
nothing skipped, nothing repeated, strictly increasing; and ``next_after`` from any
instant must give the first reference occurrence after it. Four examples in five are
built around a wall reading that a DST change skips or repeats, so that most of them
meet a change (``--hypothesis-show-statistics`` counts them).
"""

from __future__ import annotations

import functools
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from agentcron.schedules import Cron, Interval, Schedule
from agentcron.schedules.rrule import parse_rrule

ZONES = (
    "Europe/Paris",
    "America/New_York",
    "Australia/Lord_Howe",  # 30-minute shift, at 02:00 local
    "Asia/Kolkata",  # no DST at all
    "America/Santiago",  # southern hemisphere, changes at local midnight
)
YEAR = 2026  # both changes of every zone above fall inside this local calendar year
MINUTE = timedelta(minutes=1)
SLOTS_PER_DAY = 24 * 60
UNSEEN = -1

# Favourite field values. Zones with DST take theirs from the reference year (see
# zone_bias); a zone without DST gets the hours and days where the others change:
# hours 0 and 23 (Santiago), 1 and 2 (New York, Paris, Lord Howe), 3 and 22 next to
# them, and the days of the 2026 changes (8 and 29 Mar, 4-5 Apr, 6 Sep, 4 and 25 Oct,
# 1 Nov). Minutes on the quarter hours, where a half-hour shift lands.
TRANSITION_HOURS = (0, 1, 2, 3, 22, 23)
ROUND_MINUTES = (0, 30, 15, 45, 59)
TRANSITION_DAYS = (1, 4, 5, 6, 8, 25, 29)
TRANSITION_MONTHS = (3, 4, 9, 10, 11)

YEAR_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


# --------------------------------------------------------------------------- reference


@dataclass
class WallYear:
    """Every UTC minute of one local calendar year of a zone, read on its wall clock."""

    zone: ZoneInfo
    start: datetime  # UTC instant of local midnight, 1 January
    end: datetime  # UTC instant of local midnight, 1 January of the next year
    # per wall day: minute of the day (h * 60 + m) -> index of the UTC minute of its
    # first occurrence, or UNSEEN
    first: dict[date, array[int]] = field(default_factory=dict)
    # per wall day: skipped minute of the day -> gap length in minutes
    gaps: dict[date, dict[int, int]] = field(default_factory=dict)
    # per wall day: minutes of the day read twice
    repeated: dict[date, set[int]] = field(default_factory=dict)
    # UTC instants where the offset changes
    changes: list[datetime] = field(default_factory=list)

    def instant(self, index: int) -> datetime:
        return self.start + index * MINUTE

    def index_of_reading(self, wall: datetime) -> int:
        index = self.first[wall.date()][wall.hour * 60 + wall.minute]
        assert index != UNSEEN, f"{wall} never occurs in {self.zone.key}"
        return index


@functools.cache
def wall_year(zone_name: str, year: int = YEAR) -> WallYear:
    zone = ZoneInfo(zone_name)
    start = datetime(year, 1, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=zone).astimezone(UTC)
    table = WallYear(zone, start, end)
    day = date.min
    slots = array("i")
    previous_slot = SLOTS_PER_DAY  # no previous reading
    moment = start
    for index in range((end - start) // MINUTE):
        local = moment.astimezone(zone)
        slot = local.hour * 60 + local.minute
        if slot != previous_slot + 1:  # a new day, or the offset changed
            wall = local.replace(tzinfo=None)
            if previous_slot < SLOTS_PER_DAY:
                previous = datetime(day.year, day.month, day.day) + previous_slot * MINUTE
                if wall - previous != MINUTE:
                    table.changes.append(moment)
                gap = (wall - previous - MINUTE) // MINUTE
                for k in range(1, gap + 1):  # readings skipped by a spring-forward change
                    skipped = previous + k * MINUTE
                    slot_skipped = skipped.hour * 60 + skipped.minute
                    table.gaps.setdefault(skipped.date(), {})[slot_skipped] = gap
            day = wall.date()
            if day not in table.first:
                table.first[day] = array("i", [UNSEEN]) * SLOTS_PER_DAY
            slots = table.first[day]
        if local.fold == 0:
            assert slots[slot] == UNSEEN, f"{local} read twice with fold=0"
            slots[slot] = index
        else:
            assert slots[slot] != UNSEEN, f"{local} has fold=1 before its first reading"
            table.repeated.setdefault(day, set()).add(slot)
        previous_slot = slot
        moment += MINUTE
    return table


@dataclass(frozen=True)
class Expected:
    instants: list[datetime]
    in_gap: bool  # some matching wall reading was skipped by a spring-forward change
    repeated: bool  # some matching wall reading happened twice


def reference(
    table: WallYear, day_matches: Callable[[date], bool], times: Iterable[tuple[int, int]]
) -> Expected:
    """The occurrences within the year of a schedule firing at ``times`` on matching days."""
    slots = sorted({h * 60 + m for h, m in times})
    fired: set[int] = set()
    in_gap = repeated = False
    for day, first in table.first.items():
        if not day_matches(day):
            continue
        gaps = table.gaps.get(day, {})
        twice = table.repeated.get(day, set())
        for slot in slots:
            if first[slot] != UNSEEN:
                fired.add(first[slot])
                repeated = repeated or slot in twice
            elif slot in gaps:
                reading = datetime(day.year, day.month, day.day) + slot * MINUTE
                fired.add(table.index_of_reading(reading + gaps[slot] * MINUTE))
                in_gap = True
            else:
                raise AssertionError(f"{day} {divmod(slot, 60)} neither occurs nor is skipped")
    return Expected([table.instant(i) for i in sorted(fired)], in_gap, repeated)


def cron_weekday(day: date) -> int:
    """Cron numbering: Sunday 0, Monday 1, ... Saturday 6."""
    return day.isoweekday() % 7


def cron_day_matcher(
    days: frozenset[int],
    days_star: bool,
    months: frozenset[int],
    weekdays: frozenset[int],
    weekdays_star: bool,
) -> Callable[[date], bool]:
    sundays_as_zero = frozenset(d % 7 for d in weekdays)

    def matches(day: date) -> bool:
        if day.month not in months:
            return False
        by_day = day.day in days
        by_weekday = cron_weekday(day) in sundays_as_zero
        if not days_star and not weekdays_star:
            return by_day or by_weekday
        return by_day and by_weekday

    return matches


# --------------------------------------------------------------------------- helpers


def occurrences(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    """``next_after`` iterated from just before ``start`` while results stay before ``end``."""
    found: list[datetime] = []
    cursor = start - timedelta(seconds=1)
    while True:
        following = schedule.next_after(cursor)
        if following is None or following >= end:
            return found
        assert following.utcoffset() == timedelta(0), f"{following} is not in UTC"
        assert following > cursor, f"next_after({cursor}) went back to {following}"
        found.append(following)
        cursor = following
        assert len(found) <= 60 * 24 * 366, "runaway iteration"


def local_text(instants: Iterable[datetime], zone: ZoneInfo) -> str:
    return ", ".join(i.astimezone(zone).isoformat() for i in instants) or "none"


def assert_matches_reference(
    schedule: Schedule, expected: Expected, table: WallYear, label: str
) -> None:
    actual = occurrences(schedule, table.start, table.end)
    assert all(a < b for a, b in pairwise(actual)), f"{label}: not strictly increasing"
    if actual != expected.instants:
        missing = sorted(set(expected.instants) - set(actual))
        unexpected = sorted(set(actual) - set(expected.instants))
        duplicated = sorted({a for a in actual if actual.count(a) > 1})
        raise AssertionError(
            f"{label} in {table.zone.key}: {len(actual)} occurrences, reference "
            f"{len(expected.instants)}; missing {local_text(missing[:6], table.zone)}; "
            f"unexpected {local_text(unexpected[:6], table.zone)}; "
            f"duplicated {local_text(duplicated[:6], table.zone)}"
        )
    count = min(5, len(expected.instants))
    preview = schedule.preview(count, table.start - timedelta(seconds=1))
    assert preview == expected.instants[:count], f"{label}: preview differs from next_after"


# --------------------------------------------------------------------------- strategies


@dataclass(frozen=True)
class Bias:
    """Field values near a zone's DST changes, taken from the reference year."""

    hours: tuple[int, ...]
    days: tuple[int, ...]
    months: tuple[int, ...]
    weekdays: tuple[int, ...]  # cron numbering, 7 for Sunday as well as 0
    # wall readings skipped or read twice: (day, hour, minute)
    readings: tuple[tuple[date, int, int], ...]


@functools.cache
def zone_bias(zone: str) -> Bias:
    table = wall_year(zone)
    readings = sorted(
        {(day, slot // 60, slot % 60) for day, gaps in table.gaps.items() for slot in gaps}
        | {(day, slot // 60, slot % 60) for day, twice in table.repeated.items() for slot in twice}
    )
    if not readings:  # no DST: the hours and days where the other zones change
        return Bias(TRANSITION_HOURS, TRANSITION_DAYS, TRANSITION_MONTHS, (0, 6, 7), ())
    changed = {day for day, _, _ in readings}
    # each hour of a change and the hour after it, where a shifted reading meets real ones
    hours = {hour for _, hour, _ in readings} | {(hour + 1) % 24 for _, hour, _ in readings}
    weekdays = {cron_weekday(day) for day in changed}
    if 0 in weekdays:
        weekdays.add(7)
    return Bias(
        tuple(sorted(hours)),
        tuple(sorted({day.day for day in changed})),
        tuple(sorted({day.month for day in changed})),
        tuple(sorted(weekdays)),
        tuple(readings),
    )


@st.composite
def focus_readings(draw: st.DrawFn, zone: str) -> tuple[date, int, int] | None:
    """Four times in five, a DST-affected wall reading the schedule must include."""
    readings = zone_bias(zone).readings
    if not readings or draw(st.integers(0, 4)) == 0:
        return None
    return draw(st.sampled_from(readings))


def biased(favourites: tuple[int, ...], low: int, high: int) -> st.SearchStrategy[int]:
    """Two draws in three from ``favourites``, the rest from the whole range."""
    return st.one_of(
        st.sampled_from(favourites), st.sampled_from(favourites), st.integers(low, high)
    )


@st.composite
def biased_values(
    draw: st.DrawFn,
    favourites: tuple[int, ...],
    low: int,
    high: int,
    max_size: int,
    *,
    focus: int | None = None,
) -> tuple[int, ...]:
    """Distinct values, ``focus`` (or else a favourite) among them, in any order."""
    first = draw(st.sampled_from(favourites)) if focus is None else focus
    rest = draw(st.lists(biased(favourites, low, high), max_size=max_size - 1))
    values = list(dict.fromkeys([first, *rest]))
    return tuple(draw(st.permutations(values)))


Field = tuple[str, frozenset[int], bool]  # text, values, starts with '*'


@st.composite
def cron_field(
    draw: st.DrawFn,
    *,
    low: int,
    high: int,
    favourites: tuple[int, ...],
    steps: tuple[int, ...],
    kinds: tuple[str, ...],
    focus: int | None = None,
    names: tuple[str, ...] = (),
    name_base: int = 0,
    max_span: int = 3,
    max_items: int = 3,
) -> Field:
    """A cron field as text, with the values it stands for worked out independently.

    When ``focus`` is given the field includes it, whatever its form.
    """
    kind = draw(st.sampled_from(kinds))
    if kind == "star":
        return "*", frozenset(range(low, high + 1)), True
    if kind == "star-step":
        fitting = [n for n in steps if focus is None or (focus - low) % n == 0]
        if fitting:
            step = draw(st.sampled_from(fitting))
            return f"*/{step}", frozenset(range(low, high + 1, step)), True

    values_strategy = biased(favourites, low, high)

    def token(number: int) -> str:
        index = number - name_base
        if names and 0 <= index < len(names) and draw(st.booleans()):
            name = names[index]
            return name.upper() if draw(st.booleans()) else name
        return str(number)

    items: list[str] = []
    values: set[int] = set()
    for position in range(draw(st.integers(1, max_items))):
        item_kind = draw(st.sampled_from(["value", "value", "range", "range-step"]))
        if position > 0:
            first = draw(values_strategy)
        elif focus is not None:
            first = focus
        else:
            first = draw(st.sampled_from(favourites))
        if item_kind == "value" or first == high:
            items.append(token(first))
            values.add(first)
        elif item_kind == "range":
            last = min(high, first + draw(st.integers(1, max_span)))
            items.append(f"{token(first)}-{token(last)}")
            values.update(range(first, last + 1))
        else:
            last = draw(st.integers(first + 1, high))
            step = draw(st.sampled_from(steps))
            items.append(f"{token(first)}-{token(last)}/{step}")
            values.update(range(first, last + 1, step))
    items = list(draw(st.permutations(items)))
    return ",".join(items), frozenset(values), False


@dataclass(frozen=True)
class CronCase:
    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    day_matches: Callable[[date], bool]


MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


@st.composite
def cron_cases(draw: st.DrawFn, zone: str) -> CronCase:
    bias = zone_bias(zone)
    focus = draw(focus_readings(zone))
    if focus is None:
        focus_day = focus_hour = focus_minute = focus_month = focus_weekday = None
    else:
        day_of_change, focus_hour, focus_minute = focus
        focus_day, focus_month = day_of_change.day, day_of_change.month
        focus_weekday = cron_weekday(day_of_change)
        if focus_weekday == 0:
            focus_weekday = draw(st.sampled_from([0, 7]))
    hour, hours, _ = draw(
        cron_field(
            low=0,
            high=23,
            favourites=bias.hours,
            steps=(2, 3, 4, 6, 12),
            kinds=("star", "star-step", "list", "list", "list"),
            focus=focus_hour,
        ),
        label="hour field",
    )
    # at most 48 times a day, so that a year of next_after calls stays quick
    per_hour = 48 // len(hours)
    few_minutes = {"max_items": 1, "max_span": 3 if per_hour >= 4 else 1}
    minute, minutes, _ = draw(
        cron_field(
            low=0,
            high=59,
            favourites=ROUND_MINUTES,
            steps=(10, 15, 20, 30) if per_hour >= 12 else (15, 20, 30) if per_hour >= 4 else (30,),
            kinds=("star-step", "list", "list"),
            focus=focus_minute,
            **({} if per_hour >= 12 else few_minutes),
        ),
        label="minute field",
    )
    assume(len(minutes) * len(hours) <= 48)
    day, days, days_star = draw(
        cron_field(
            low=1,
            high=31,
            favourites=bias.days,
            steps=(2, 3, 7, 10),
            kinds=("star", "star", "star-step", "list", "list"),
            focus=focus_day,
            max_span=6,
        ),
        label="day-of-month field",
    )
    month, months, _ = draw(
        cron_field(
            low=1,
            high=12,
            favourites=bias.months,
            steps=(2, 3, 6),
            kinds=("star", "star", "star-step", "list"),
            focus=focus_month,
            names=MONTH_NAMES,
            name_base=1,
        ),
        label="month field",
    )
    weekday, weekdays, weekdays_star = draw(
        cron_field(
            low=0,
            high=7,
            favourites=bias.weekdays,
            steps=(2, 3),
            kinds=("star", "star", "star-step", "list", "list"),
            focus=focus_weekday,
            names=WEEKDAY_NAMES,
            max_span=4,
        ),
        label="day-of-week field",
    )
    matcher = cron_day_matcher(days, days_star, months, weekdays, weekdays_star)
    return CronCase(f"{minute} {hour} {day} {month} {weekday}", minutes, hours, matcher)


def cron_case(text: str) -> CronCase:
    """A hand-written case: numbers, plain lists, '*' and '*/n' only, split here by hand."""

    def values(spec: str, low: int, high: int) -> tuple[frozenset[int], bool]:
        if spec == "*":
            return frozenset(range(low, high + 1)), True
        if spec.startswith("*/"):
            return frozenset(range(low, high + 1, int(spec[2:]))), True
        return frozenset(int(v) for v in spec.split(",")), False

    minute, hour, day, month, weekday = text.split()
    days, days_star = values(day, 1, 31)
    weekdays, weekdays_star = values(weekday, 0, 7)
    matcher = cron_day_matcher(days, days_star, values(month, 1, 12)[0], weekdays, weekdays_star)
    return CronCase(text, values(minute, 0, 59)[0], values(hour, 0, 23)[0], matcher)


DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")  # Python weekday order


@dataclass(frozen=True)
class RRuleCase:
    freq: str
    byday: tuple[int, ...]  # Python weekdays; empty when BYDAY is left out
    byhour: tuple[int, ...]
    byminute: tuple[int, ...]

    def text(self) -> str:
        parts = [f"FREQ={self.freq}"]
        if self.byday:
            parts.append("BYDAY=" + ",".join(DAY_CODES[d] for d in self.byday))
        parts.append("BYHOUR=" + ",".join(map(str, self.byhour)))
        parts.append("BYMINUTE=" + ",".join(map(str, self.byminute)))
        return f"DTSTART:{YEAR}0101T000000 RRULE:" + ";".join(parts)

    def weekdays(self) -> frozenset[int]:
        if self.byday:
            return frozenset(self.byday)
        if self.freq == "WEEKLY":  # the weekday of DTSTART
            return frozenset({date(YEAR, 1, 1).weekday()})
        return frozenset(range(7))


@st.composite
def rrule_cases(draw: st.DrawFn, zone: str) -> RRuleCase:
    bias = zone_bias(zone)
    python_weekdays = tuple(sorted({(d - 1) % 7 for d in bias.weekdays}))
    focus = draw(focus_readings(zone))
    freq = draw(st.sampled_from(["DAILY", "WEEKLY"]))
    if focus is None:
        byday = draw(st.one_of(st.just(()), biased_values(python_weekdays, 0, 6, 7)))
        return RRuleCase(
            freq,
            byday,
            draw(biased_values(bias.hours, 0, 23, 4)),
            draw(biased_values(ROUND_MINUTES, 0, 59, 3)),
        )
    day, hour, minute = focus
    with_byday = biased_values(python_weekdays, 0, 6, 7, focus=day.weekday())
    byday = draw(with_byday if freq == "WEEKLY" else st.one_of(st.just(()), with_byday))
    return RRuleCase(
        freq,
        byday,
        draw(biased_values(bias.hours, 0, 23, 4, focus=hour)),
        draw(biased_values(ROUND_MINUTES, 0, 59, 3, focus=minute)),
    )


# --------------------------------------------------------------------------- the reference


@pytest.mark.parametrize("zone", ZONES)
def test_reference_year_has_the_zone_changes(zone: str) -> None:
    table = wall_year(zone)
    seen = sum(1 for slots in table.first.values() for index in slots if index != UNSEEN)
    skipped = sum(len(gaps) for gaps in table.gaps.values())
    twice = sum(len(slots) for slots in table.repeated.values())
    assert seen + twice == (table.end - table.start) // MINUTE
    assert seen + skipped == 365 * SLOTS_PER_DAY
    assert len(table.first) == 365
    if zone == "Asia/Kolkata":
        assert not table.gaps
        assert not table.repeated
        assert not table.changes
    else:
        assert len(table.gaps) == 1
        assert len(table.repeated) == 1
        assert len(table.changes) == 2


def test_reference_daily_half_past_two_in_paris() -> None:
    table = wall_year("Europe/Paris")
    expected = reference(table, lambda day: True, [(2, 30)])
    assert len(expected.instants) == 365
    assert expected.in_gap
    assert expected.repeated
    assert datetime.fromisoformat("2026-03-29T03:30:00+02:00") in expected.instants
    assert datetime.fromisoformat("2026-10-25T02:30:00+02:00") in expected.instants
    assert datetime.fromisoformat("2026-10-25T02:30:00+01:00") not in expected.instants


def test_reference_merges_a_shifted_reading_with_a_real_one() -> None:
    table = wall_year("Europe/Paris")
    expected = reference(table, lambda day: day == date(2026, 3, 29), [(2, 30), (3, 30)])
    assert expected.instants == [datetime.fromisoformat("2026-03-29T03:30:00+02:00")]


# --------------------------------------------------------------------------- properties


KNOWN_CRON = (
    "30 2 * * *",
    "0,30 0,1,2,3,23 * * *",
    "10,50 2,3 * * 0",
    "*/15 * 1,5,25 * 0",
    "15,45 1,2 * 4,10 *",
    "0 0 * * *",
)
KNOWN_RRULES = (
    RRuleCase("DAILY", (), (2,), (30,)),
    RRuleCase("WEEKLY", (6, 5), (0, 23, 2, 3), (30, 0)),
    RRuleCase("DAILY", (6,), (3, 2), (50, 10)),
)


def cron_and_reference(zone: str, case: CronCase) -> tuple[Schedule, Expected]:
    times = [(h, m) for h in case.hours for m in case.minutes]
    return Cron.from_text(case.text, zone), reference(wall_year(zone), case.day_matches, times)


def rrule_and_reference(zone: str, case: RRuleCase) -> tuple[Schedule, Expected]:
    table = wall_year(zone)
    weekdays = case.weekdays()
    expected = reference(
        table,
        lambda day: day.weekday() in weekdays,
        [(h, m) for h in case.byhour for m in case.byminute],
    )
    return parse_rrule(case.text(), zone, table.start), expected


def check_cron(zone: str, case: CronCase) -> Expected:
    schedule, expected = cron_and_reference(zone, case)
    assert_matches_reference(schedule, expected, wall_year(zone), case.text)
    return expected


def check_rrule(zone: str, case: RRuleCase) -> Expected:
    schedule, expected = rrule_and_reference(zone, case)
    assert_matches_reference(schedule, expected, wall_year(zone), case.text())
    return expected


def record_dst(expected: Expected) -> None:
    """Shown by --hypothesis-show-statistics: how many examples meet a DST change."""
    if expected.in_gap or expected.repeated:
        event("meets a DST change")
    else:
        event("meets no DST change")


@pytest.mark.parametrize("text", KNOWN_CRON)
@pytest.mark.parametrize("zone", ZONES)
def test_known_cron_year_matches_reference(zone: str, text: str) -> None:
    check_cron(zone, cron_case(text))


@pytest.mark.parametrize("case", KNOWN_RRULES, ids=RRuleCase.text)
@pytest.mark.parametrize("zone", ZONES)
def test_known_rrule_year_matches_reference(zone: str, case: RRuleCase) -> None:
    check_rrule(zone, case)


@pytest.mark.slow
@pytest.mark.parametrize("zone", ZONES)
@YEAR_SETTINGS
@given(data=st.data())
def test_cron_year_matches_reference(zone: str, data: st.DataObject) -> None:
    record_dst(check_cron(zone, data.draw(cron_cases(zone), label="case")))


@pytest.mark.slow
@pytest.mark.parametrize("zone", ZONES)
@YEAR_SETTINGS
@given(data=st.data())
def test_rrule_year_matches_reference(zone: str, data: st.DataObject) -> None:
    record_dst(check_rrule(zone, data.draw(rrule_cases(zone), label="case")))


@st.composite
def instants_in_year(draw: st.DrawFn, zone: str) -> datetime:
    """An instant of the reference year, often within three hours of a DST change."""
    table = wall_year(zone)
    if table.changes and draw(st.booleans()):
        base = draw(st.sampled_from(table.changes))
        offset = draw(st.integers(-3 * 3_600, 3 * 3_600))
    else:
        base = table.start
        offset = draw(st.integers(0, (table.end - table.start) // timedelta(seconds=1) - 1))
    micro = draw(st.sampled_from([0, 0, 1, 999_999]))
    return base + timedelta(seconds=offset, microseconds=micro)


@pytest.mark.slow
@pytest.mark.parametrize("zone", ZONES)
@settings(YEAR_SETTINGS, max_examples=30)
@given(data=st.data())
def test_next_after_from_any_instant_matches_reference(zone: str, data: st.DataObject) -> None:
    if data.draw(st.booleans(), label="cron"):
        case = data.draw(cron_cases(zone), label="case")
        schedule, expected = cron_and_reference(zone, case)
    else:
        rule = data.draw(rrule_cases(zone), label="case")
        schedule, expected = rrule_and_reference(zone, rule)
    end = wall_year(zone).end
    for _ in range(8):
        after = data.draw(instants_in_year(zone), label="after")
        following = schedule.next_after(after)
        later = [i for i in expected.instants if i > after]
        if later:
            assert following == later[0], f"{schedule} after {after.astimezone(schedule.zone)}"
        else:
            assert following is None or following >= end


# Instants of 2026 changes, in UTC, to anchor intervals next to.
TRANSITIONS = {
    "Europe/Paris": ("2026-03-29T01:00:00+00:00", "2026-10-25T01:00:00+00:00"),
    "America/New_York": ("2026-03-08T07:00:00+00:00", "2026-11-01T06:00:00+00:00"),
    "Australia/Lord_Howe": ("2026-04-04T15:00:00+00:00", "2026-10-03T15:30:00+00:00"),
    "Asia/Kolkata": ("2026-03-29T01:00:00+00:00",),  # no change; an instant for symmetry
    "America/Santiago": ("2026-04-05T03:00:00+00:00", "2026-09-06T04:00:00+00:00"),
}


PREVIEW = 40


@st.composite
def intervals(draw: st.DrawFn) -> tuple[Interval, datetime]:
    zone = draw(st.sampled_from(ZONES))
    transition = datetime.fromisoformat(draw(st.sampled_from(TRANSITIONS[zone])))
    every = draw(
        st.one_of(
            st.sampled_from([timedelta(minutes=30), timedelta(hours=1), timedelta(days=1)]),
            st.integers(1, 600).map(lambda m: timedelta(minutes=m)),
            st.integers(1, 72).map(lambda h: timedelta(hours=h)),
            st.integers(1, 3 * 86_400).map(lambda s: timedelta(seconds=s)),
        )
    )
    # start PREVIEW occurrences before the change, or fewer, so that the preview spans it
    steps_before = draw(st.integers(1, PREVIEW - 1))
    after = transition - steps_before * every - timedelta(seconds=draw(st.integers(0, 59)))
    # anchored up to three days before that, or just after it
    anchor_shift = timedelta(seconds=draw(st.integers(-3_600, 3 * 86_400)))
    anchor = (after - anchor_shift).astimezone(ZoneInfo(zone))  # aware, with the local offset
    return Interval(every=every, anchor=anchor, timezone=zone), after


@settings(max_examples=200, deadline=None)
@given(case=intervals())
def test_interval_counts_elapsed_time_across_dst(case: tuple[Interval, datetime]) -> None:
    schedule, after = case
    fired = schedule.preview(PREVIEW, after)
    assert len(fired) == PREVIEW
    offsets = {f.astimezone(schedule.zone).utcoffset() for f in fired}
    event("spans a DST change" if len(offsets) > 1 else "spans no DST change")
    assert all(f.utcoffset() == timedelta(0) for f in fired)
    anchor = schedule.anchor.astimezone(UTC)
    if after < anchor:
        assert fired[0] == anchor
    else:
        assert after < fired[0] <= after + schedule.every
    for earlier, later in pairwise(fired):
        # subtract in UTC: aware datetimes sharing a ZoneInfo subtract as wall times
        assert later.astimezone(UTC) - earlier.astimezone(UTC) == schedule.every
    assert all((f - anchor) % schedule.every == timedelta(0) for f in fired)
    assert schedule.next_after(fired[-1]) == fired[-1] + schedule.every
