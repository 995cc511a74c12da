"""Table tests of planning: what a due task's occurrences become, and retry backoff."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from agentcron.engine.planning import TaskState, backoff_delay, plan
from agentcron.schedules import parse

TZ = "Europe/Paris"
CREATED = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)  # schedules are parsed relative to this
HOURLY = "every hour"  # 11:00, 12:00, ... UTC
QUARTERLY = "every 15 minutes"  # 10:15, 10:30, ... UTC
DAILY = "every day at 9am"  # 08:00 UTC (Paris is UTC+1 in November), from the 23rd
ONE_OFF = "2026-11-22T12:00:00+01:00"  # 11:00 UTC

Expected = tuple[datetime, bool, str | None]  # scheduled_for, skipped, a part of the reason


def at(hour: int, minute: int = 0, second: int = 0, *, day: int = 22) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


def quarter(index: int) -> datetime:
    """The ``index``-th occurrence (from 0) of the every-15-minutes schedule."""
    return at(10, 15) + index * timedelta(minutes=15)


@dataclass(frozen=True)
class Row:
    state: TaskState
    now: datetime
    runs: Sequence[Expected]
    next_run_at: datetime | None
    counted: int
    completed: bool = False
    schedule: str = HOURLY
    horizon: datetime | None = None
    run_all_limit: int = 100


COVERED = "missed; covered by the catch-up run that follows"
CAP_DUE = 150  # more than the 101 occurrences listed one by one

ROWS = [
    pytest.param(
        Row(TaskState(at(11)), now=at(10, 30), runs=[], next_run_at=at(11), counted=0),
        id="nothing-due-yet",
    ),
    pytest.param(
        Row(
            TaskState(at(8, day=23)),
            schedule=DAILY,
            now=at(8, day=23),
            runs=[(at(8, day=23), False, None)],
            next_run_at=at(8, day=24),
            counted=1,
        ),
        id="one-due-on-time",
    ),
    pytest.param(
        Row(
            TaskState(at(11)),
            now=at(11, 0, 45),
            runs=[(at(11), False, None)],
            next_run_at=at(12),
            counted=1,
        ),
        id="run_once-late-within-grace-runs-plainly",
    ),
    pytest.param(
        Row(
            TaskState(at(11)),
            now=at(14, 30),
            runs=[
                (at(11), True, COVERED),
                (at(12), True, COVERED),
                (at(13), True, COVERED),
                (at(14), False, "catch-up run, 30 min late, for 4 missed occurrences"),
            ],
            next_run_at=at(15),
            counted=4,
        ),
        id="run_once-after-downtime-one-catch-up",
    ),
    pytest.param(
        Row(
            TaskState(at(8, day=23)),
            schedule=DAILY,
            now=at(10, day=26),
            runs=[
                (at(8, day=23), True, "covered by the catch-up"),
                (at(8, day=24), True, "covered by the catch-up"),
                (at(8, day=25), True, "covered by the catch-up"),
                (at(8, day=26), False, "catch-up run, 2 h late, for 4 missed occurrences"),
            ],
            next_run_at=at(8, day=27),
            counted=4,
        ),
        id="run_once-daily-after-days-down",
    ),
    pytest.param(
        Row(
            TaskState(at(11), misfire_policy="skip"),
            now=at(13, 30),
            runs=[
                (at(11), True, "missed by 2 h, past the grace of 60 s"),
                (at(12), True, "missed by 90 min, past the grace of 60 s"),
                (at(13), True, "missed by 30 min, past the grace of 60 s"),
            ],
            next_run_at=at(14),
            counted=3,
        ),
        id="skip-beyond-grace",
    ),
    pytest.param(
        Row(
            TaskState(at(11), misfire_policy="skip"),
            now=at(11, 1),
            runs=[(at(11), False, None)],
            next_run_at=at(12),
            counted=1,
        ),
        id="skip-within-grace",
    ),
    pytest.param(
        Row(
            TaskState(at(11), misfire_policy="skip", misfire_grace=timedelta(minutes=10)),
            now=at(12, 5),
            runs=[
                (at(11), True, "missed by 65 min, past the grace of 10 min"),
                (at(12), False, None),
            ],
            next_run_at=at(13),
            counted=2,
        ),
        id="skip-one-beyond-one-within-grace",
    ),
    pytest.param(
        Row(
            TaskState(at(11), misfire_policy="run_all"),
            now=at(13, 30),
            run_all_limit=5,
            runs=[(at(11), False, None), (at(12), False, None), (at(13), False, None)],
            next_run_at=at(14),
            counted=3,
        ),
        id="run_all-within-limit",
    ),
    pytest.param(
        Row(
            TaskState(quarter(0), misfire_policy="run_all"),
            schedule=QUARTERLY,
            now=at(11, 20),
            run_all_limit=3,
            runs=[
                (quarter(0), False, None),
                (quarter(1), False, None),
                (quarter(2), False, None),
                (quarter(3), True, "missed: over the run_all limit of 3"),
                (quarter(4), True, "missed: over the run_all limit of 3"),
            ],
            next_run_at=at(11, 30),
            counted=5,
        ),
        id="run_all-beyond-limit",
    ),
    pytest.param(
        Row(
            TaskState(quarter(0)),
            schedule=QUARTERLY,
            now=quarter(CAP_DUE - 1),
            runs=[(quarter(0), True, f"{COVERED} (49 more occurrences not listed)")]
            + [(quarter(i), True, COVERED) for i in range(1, 100)]
            + [(quarter(100), False, f"for {CAP_DUE} missed occurrences")],
            next_run_at=quarter(CAP_DUE),
            counted=CAP_DUE,
        ),
        id="run_once-more-missed-than-listed",
    ),
    pytest.param(
        Row(
            TaskState(quarter(0), misfire_policy="skip"),
            schedule=QUARTERLY,
            now=quarter(CAP_DUE - 1) + timedelta(minutes=5),
            runs=[(quarter(0), True, "past the grace of 60 s (49 more occurrences not listed)")]
            + [(quarter(i), True, "past the grace of 60 s") for i in range(1, 101)],
            next_run_at=quarter(CAP_DUE),
            counted=CAP_DUE,
        ),
        id="skip-more-missed-than-listed",
    ),
    pytest.param(
        Row(
            TaskState(at(11), overlap_policy="skip", busy=True),
            now=at(11),
            runs=[(at(11), True, "the previous run was still going")],
            next_run_at=at(12),
            counted=1,
        ),
        id="overlap-skip-busy",
    ),
    pytest.param(
        Row(
            TaskState(at(11), overlap_policy="skip", busy=False),
            now=at(11),
            runs=[(at(11), False, None)],
            next_run_at=at(12),
            counted=1,
        ),
        id="overlap-skip-not-busy",
    ),
    pytest.param(
        Row(
            TaskState(at(11), misfire_policy="run_all", overlap_policy="skip"),
            now=at(12, 0, 30),
            runs=[(at(11), False, None), (at(12), True, "the previous run was still going")],
            next_run_at=at(13),
            counted=2,
        ),
        id="overlap-skip-not-busy-second-due-finds-the-first",
    ),
    pytest.param(
        Row(
            TaskState(at(11), misfire_policy="skip", overlap_policy="skip", busy=True),
            now=at(12, 0, 30),
            runs=[(at(11), True, "missed by 60 min"), (at(12), True, "still going")],
            next_run_at=at(13),
            counted=2,
        ),
        id="overlap-skip-busy-after-misfire-skips",
    ),
    pytest.param(
        Row(
            TaskState(at(11), overlap_policy="queue", busy=True),
            now=at(11),
            runs=[(at(11), False, None)],
            next_run_at=at(12),
            counted=1,
        ),
        id="overlap-queue-busy-still-runs",
    ),
    pytest.param(
        Row(
            TaskState(at(11), misfire_policy="run_all", overlap_policy="queue", busy=True),
            now=at(12, 0, 30),
            runs=[(at(11), False, None), (at(12), False, None)],
            next_run_at=at(13),
            counted=2,
        ),
        id="overlap-queue-busy-every-occurrence-runs",
    ),
    pytest.param(
        Row(
            TaskState(at(11), overlap_policy="allow", busy=True),
            now=at(11),
            runs=[(at(11), False, None)],
            next_run_at=at(12),
            counted=1,
        ),
        id="overlap-allow-busy-still-runs",
    ),
    pytest.param(
        Row(
            TaskState(at(11), ends_at=at(12, 30)),
            now=at(12),
            runs=[(at(11), True, COVERED), (at(12), False, "for 2 missed occurrences")],
            next_run_at=None,
            completed=True,
            counted=2,
        ),
        id="ends_at-reached-after-the-last-occurrence",
    ),
    pytest.param(
        Row(
            TaskState(at(11), ends_at=at(11, 30)),
            now=at(13),
            runs=[(at(11), False, "catch-up run, 2 h late")],
            next_run_at=None,
            completed=True,
            counted=1,
        ),
        id="ends_at-bounds-the-catch-up",
    ),
    pytest.param(
        Row(
            TaskState(at(11), ends_at=at(13)),
            now=at(11),
            runs=[(at(11), False, None)],
            next_run_at=at(12),
            counted=1,
        ),
        id="ends_at-not-reached",
    ),
    pytest.param(
        Row(
            TaskState(at(11), max_runs=3, run_count=2),
            now=at(13, 30),
            runs=[(at(11), False, "catch-up run, 2 h late")],
            next_run_at=None,
            completed=True,
            counted=1,
        ),
        id="max_runs-reached-stops-listing",
    ),
    pytest.param(
        Row(
            TaskState(at(11), max_runs=3, run_count=2),
            now=at(11),
            runs=[(at(11), False, None)],
            next_run_at=None,
            completed=True,
            counted=1,
        ),
        id="max_runs-reached-on-time",
    ),
    pytest.param(
        Row(
            TaskState(at(11), max_runs=5, run_count=2),
            now=at(11),
            runs=[(at(11), False, None)],
            next_run_at=at(12),
            counted=1,
        ),
        id="max_runs-not-reached",
    ),
    pytest.param(
        Row(
            TaskState(at(11)),
            schedule=ONE_OFF,
            now=at(11),
            runs=[(at(11), False, None)],
            next_run_at=None,
            completed=True,
            counted=1,
        ),
        id="one-off-completes",
    ),
    pytest.param(
        Row(
            TaskState(at(11)),
            schedule=ONE_OFF,
            now=at(15),
            runs=[(at(11), False, "catch-up run, 4 h late")],
            next_run_at=None,
            completed=True,
            counted=1,
        ),
        id="one-off-missed-caught-up",
    ),
    pytest.param(
        Row(
            TaskState(at(11), misfire_policy="skip"),
            schedule=ONE_OFF,
            now=at(15),
            runs=[(at(11), True, "missed by 4 h")],
            next_run_at=None,
            completed=True,
            counted=1,
        ),
        id="one-off-missed-skipped",
    ),
    pytest.param(
        Row(
            TaskState(at(11), misfire_policy="skip", misfire_grace=timedelta(0)),
            now=at(10, 59, 58),
            horizon=at(11, 0, 2),
            runs=[(at(11), False, None)],
            next_run_at=at(12),
            counted=1,
        ),
        id="horizon-writes-a-run-ahead",
    ),
    pytest.param(
        Row(
            TaskState(at(11), misfire_policy="skip"),
            now=at(11, 1, 30),
            horizon=at(11, 1, 32),
            runs=[(at(11), True, "missed by 90 s, past the grace of 60 s")],
            next_run_at=at(12),
            counted=1,
        ),
        id="horizon-lateness-judged-at-now",
    ),
    pytest.param(
        Row(
            TaskState(at(11), misfire_policy="skip"),
            now=at(12, 30),
            horizon=at(10, 30),
            runs=[
                (at(11), True, "missed by 90 min"),
                (at(12), True, "missed by 30 min"),
            ],
            next_run_at=at(13),
            counted=2,
        ),
        id="horizon-before-now-is-now",
    ),
]


@pytest.mark.parametrize("row", ROWS)
def test_plan(row: Row) -> None:
    schedule = parse(row.schedule, TZ, CREATED)
    result = plan(
        row.state,
        schedule,
        row.now,
        horizon=row.horizon,
        run_all_limit=row.run_all_limit,
        rng=random.Random(0),
    )
    assert [(r.scheduled_for, r.skipped) for r in result.runs] == [
        (when, skipped) for when, skipped, _ in row.runs
    ]
    for run, (_, _, reason) in zip(result.runs, row.runs, strict=True):
        if reason is None:
            assert run.reason is None, run
        else:
            assert reason in (run.reason or ""), run
        assert run.not_before == run.scheduled_for  # no jitter in these rows
    assert (result.next_run_at, result.completed, result.counted_runs) == (
        row.next_run_at,
        row.completed,
        row.counted,
    )


@pytest.mark.parametrize("seed", [0, 1, 7, 2026])
@pytest.mark.parametrize("jitter", [timedelta(seconds=30), timedelta(minutes=20)], ids=str)
def test_jitter_delays_each_run_within_its_window(seed: int, jitter: timedelta) -> None:
    schedule = parse(HOURLY, TZ, CREATED)
    state = TaskState(at(11), misfire_policy="run_all", jitter=jitter)
    result = plan(state, schedule, at(13, 0, 30), rng=random.Random(seed))
    draws = random.Random(seed)
    assert [r.scheduled_for for r in result.runs] == [at(11), at(12), at(13)]
    for run in result.runs:
        assert not run.skipped
        assert run.scheduled_for <= run.not_before <= run.scheduled_for + jitter
        assert run.not_before == run.scheduled_for + jitter * draws.random()
    assert result.next_run_at == at(14)  # jitter moves starts, never occurrences


def test_jitter_does_not_delay_skipped_occurrences() -> None:
    schedule = parse(HOURLY, TZ, CREATED)
    state = TaskState(at(11), jitter=timedelta(minutes=5))
    result = plan(state, schedule, at(13, 30), rng=random.Random(3))
    skipped = [r for r in result.runs if r.skipped]
    (catch_up,) = [r for r in result.runs if not r.skipped]
    assert [r.not_before for r in skipped] == [at(11), at(12)]
    assert catch_up.scheduled_for == at(13)
    assert at(13) <= catch_up.not_before <= at(13, 5)
    assert catch_up.not_before != at(13)  # Random(3) does not draw exactly 0


def test_a_catch_up_written_ahead_is_never_reported_early() -> None:
    """A missed occurrence, and the next one just inside the horizon (as the scheduler's
    lookahead gives): the catch-up note must not report a negative lateness."""
    schedule = parse(HOURLY, TZ, CREATED)
    now = at(11, 59, 59)
    result = plan(TaskState(at(11)), schedule, now, horizon=at(12, 0, 1))
    assert [(r.scheduled_for, r.skipped) for r in result.runs] == [(at(11), True), (at(12), False)]
    notes = [r.reason or "" for r in result.runs]
    assert [note for note in notes if re.search(r"-\d", note)] == []


class FixedRandom(random.Random):
    """An rng that always draws the same number."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


JUST_BELOW_ONE = math.nextafter(1.0, 0.0)
FULL = {1: 10.0, 2: 20.0, 3: 40.0, 4: 80.0, 5: 160.0, 6: 320.0}


@pytest.mark.parametrize("seed", [0, 1, 7, 2026])
@pytest.mark.parametrize(("attempt", "full"), FULL.items(), ids=str)
def test_backoff_lies_between_half_and_all_of_the_doubling(
    attempt: int, full: float, seed: int
) -> None:
    delay = backoff_delay(attempt, 10.0, 600.0, random.Random(seed))
    assert full / 2 <= delay <= full
    assert delay == full * (0.5 + 0.5 * random.Random(seed).random())


@pytest.mark.parametrize(
    ("attempt", "base", "ceiling", "draw", "expected"),
    [
        pytest.param(1, 10.0, 600.0, 0.0, 5.0, id="first-attempt-lowest"),
        pytest.param(1, 10.0, 600.0, JUST_BELOW_ONE, 10.0, id="first-attempt-highest"),
        pytest.param(4, 10.0, 600.0, 0.0, 40.0, id="fourth-attempt-lowest"),
        pytest.param(4, 10.0, 600.0, JUST_BELOW_ONE, 80.0, id="fourth-attempt-highest"),
        pytest.param(6, 10.0, 600.0, 0.0, 160.0, id="sixth-attempt-lowest"),
        pytest.param(6, 10.0, 600.0, JUST_BELOW_ONE, 320.0, id="sixth-attempt-highest"),
        pytest.param(0, 10.0, 600.0, 0.0, 5.0, id="attempt-0-as-1-lowest"),
        pytest.param(0, 10.0, 600.0, JUST_BELOW_ONE, 10.0, id="attempt-0-as-1-highest"),
        pytest.param(-3, 10.0, 600.0, 0.0, 5.0, id="negative-attempt-as-1"),
        pytest.param(7, 10.0, 600.0, 0.0, 300.0, id="ceiling-caps-the-7th-lowest"),
        pytest.param(7, 10.0, 600.0, JUST_BELOW_ONE, 600.0, id="ceiling-caps-the-7th-highest"),
        pytest.param(60, 10.0, 600.0, JUST_BELOW_ONE, 600.0, id="ceiling-caps-a-huge-attempt"),
        pytest.param(1, 1000.0, 600.0, 0.0, 300.0, id="ceiling-below-base"),
    ],
)
def test_backoff_bounds(
    attempt: int, base: float, ceiling: float, draw: float, expected: float
) -> None:
    delay = backoff_delay(attempt, base, ceiling, FixedRandom(draw))
    if draw == 0.0:
        assert delay == expected
    else:
        assert delay == pytest.approx(expected, rel=1e-12)
        assert delay <= expected  # the highest draw reaches the full delay, never beyond


def test_backoff_for_attempt_0_equals_attempt_1() -> None:
    for seed in range(5):
        assert backoff_delay(0, 10.0, 600.0, random.Random(seed)) == backoff_delay(
            1, 10.0, 600.0, random.Random(seed)
        )
