"""What to do with a task whose next occurrence has come: pure, so every policy is testable.

The scheduler hands in the task's policies, its schedule and now; the plan says
which occurrences run, which are recorded as skipped (and why), where the
task's next occurrence lies, and whether the task is complete.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from agentcron.domain import TASK_DEFAULTS, MisfirePolicy, OverlapPolicy
from agentcron.plurals import plural, rough_span
from agentcron.schedules import Schedule

_RECORDED_SKIPS = 100  # missed occurrences listed one by one; beyond, counted in a reason


@dataclass(frozen=True)
class TaskState:
    """The parts of a task the plan depends on."""

    next_run_at: datetime
    misfire_policy: str = TASK_DEFAULTS.misfire_policy
    misfire_grace: timedelta = timedelta(seconds=TASK_DEFAULTS.misfire_grace_seconds)
    overlap_policy: str = TASK_DEFAULTS.overlap_policy
    jitter: timedelta = timedelta(seconds=TASK_DEFAULTS.jitter_seconds)
    ends_at: datetime | None = None
    max_runs: int | None = None
    run_count: int = 0
    busy: bool = False  # a run of this task is queued, running or retrying


@dataclass(frozen=True)
class PlannedRun:
    """One occurrence's run: executed from ``not_before`` on, or recorded as skipped."""

    scheduled_for: datetime
    not_before: datetime
    skipped: bool = False
    reason: str | None = None


def _skip(occurrence: datetime, reason: str) -> PlannedRun:
    return PlannedRun(occurrence, occurrence, skipped=True, reason=reason)


@dataclass(frozen=True)
class Plan:
    runs: list[PlannedRun] = field(default_factory=list)
    next_run_at: datetime | None = None
    completed: bool = False
    counted_runs: int = 0  # occurrences that count towards max_runs


def plan(
    state: TaskState,
    schedule: Schedule,
    now: datetime,
    *,
    horizon: datetime | None = None,
    run_all_limit: int = 100,
    rng: random.Random | None = None,
) -> Plan:
    """Decide the runs of every occurrence of ``schedule`` due by ``horizon`` (default: now).

    A horizon a little after now lets runs be written ahead of time, so that at the
    occurrence only claiming and performing them is left; lateness is judged at ``now``.
    """
    until = max(horizon or now, now)
    due, more_missed = _due_occurrences(state, schedule, until, run_all_limit)
    grace = state.misfire_grace
    late = [o for o in due if now - o > grace]
    runs: list[PlannedRun] = []
    if state.misfire_policy == MisfirePolicy.RUN_ALL:
        runs = [_run(o, state, rng) for o in due[:run_all_limit]]
        runs += [
            _skip(o, f"missed: over the run_all limit of {run_all_limit}")
            for o in due[run_all_limit:]
        ]
    elif state.misfire_policy == MisfirePolicy.SKIP:
        runs = [
            _skip(o, f"missed by {rough_span(now - o)}, past the grace of {rough_span(grace)}")
            if o in late
            else _run(o, state, rng)
            for o in due
        ]
    elif late:  # run_once: one catch-up run for everything that was missed
        missed = len(due) - 1 + more_missed
        runs = [_skip(o, "missed; covered by the catch-up run that follows") for o in due[:-1]]
        # Written ahead (inside the horizon), the catch-up is the next occurrence's own run,
        # on time: it is not late at all.
        ahead = due[-1] > now
        note = (
            "catch-up run at its own time"
            if ahead
            else f"catch-up run, {rough_span(now - due[-1])} late"
        )
        if missed:
            note += f", for {plural(missed + 1 - ahead, 'missed occurrence')}"
        runs.append(_run(due[-1], state, rng, reason=note))
    else:
        runs = [_run(o, state, rng) for o in due]
    if more_missed and runs:
        first = runs[0]
        note = f"{first.reason or 'missed'} ({plural(more_missed, 'more occurrence')} not listed)"
        runs[0] = PlannedRun(first.scheduled_for, first.not_before, first.skipped, note)
    runs = _apply_overlap(runs, state)
    counted = state.run_count + len(due) + more_missed
    upcoming = schedule.next_after(max(until, due[-1]) if due else until)
    finished = (
        upcoming is None
        or (state.ends_at is not None and upcoming > state.ends_at)
        or (state.max_runs is not None and counted >= state.max_runs)
    )
    return Plan(
        runs=runs,
        next_run_at=None if finished else upcoming,
        completed=finished,
        counted_runs=len(due) + more_missed,
    )


def _due_occurrences(
    state: TaskState, schedule: Schedule, now: datetime, run_all_limit: int
) -> tuple[list[datetime], int]:
    """Occurrences from ``next_run_at`` to ``now`` within the bounds, listed up to a cap.

    Returns the listed ones and how many more were due but not listed.
    """
    cap = max(run_all_limit, _RECORDED_SKIPS) + 1
    remaining = None if state.max_runs is None else state.max_runs - state.run_count
    due: list[datetime] = []
    occurrence: datetime | None = state.next_run_at
    while occurrence is not None and occurrence <= now:
        if state.ends_at is not None and occurrence > state.ends_at:
            break
        if remaining is not None and len(due) >= remaining:
            break
        due.append(occurrence)
        if len(due) >= cap:
            break
        occurrence = schedule.next_after(occurrence)
    more = 0
    if len(due) >= cap and occurrence is not None:
        more = _count_until(schedule, due[-1], now, state.ends_at)
        if remaining is not None:
            more = min(more, remaining - len(due))
    return due, more


def _count_until(
    schedule: Schedule, after: datetime, now: datetime, ends_at: datetime | None
) -> int:
    """How many occurrences follow ``after`` up to ``now`` (bounded work: 100,000 at most)."""
    count = 0
    occurrence = schedule.next_after(after)
    while occurrence is not None and occurrence <= now and count < 100_000:
        if ends_at is not None and occurrence > ends_at:
            break
        count += 1
        occurrence = schedule.next_after(occurrence)
    return count


def _run(
    occurrence: datetime, state: TaskState, rng: random.Random | None, reason: str | None = None
) -> PlannedRun:
    delay = timedelta(0)
    if state.jitter > timedelta(0):
        delay = state.jitter * (rng or random).random()
    return PlannedRun(occurrence, occurrence + delay, reason=reason)


def _apply_overlap(runs: list[PlannedRun], state: TaskState) -> list[PlannedRun]:
    """With 'skip', occurrences that find the previous run still going are recorded, not run."""
    if state.overlap_policy != OverlapPolicy.SKIP:
        return runs
    result: list[PlannedRun] = []
    busy = state.busy
    for run in runs:
        if not run.skipped and busy:
            result.append(_skip(run.scheduled_for, "the previous run was still going"))
            continue
        busy = busy or not run.skipped
        result.append(run)
    return result


def backoff_delay(
    attempt: int, base: float, ceiling: float, rng: random.Random | None = None
) -> float:
    """Exponential backoff with jitter: between half and all of base * 2^(attempt-1)."""
    full = min(ceiling, base * 2.0 ** max(attempt - 1, 0))
    return full * (0.5 + 0.5 * (rng or random).random())
