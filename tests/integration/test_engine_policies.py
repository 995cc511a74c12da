"""Overlap 'queue' and the run_all limit, against the real store with time under test control."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from agentcron.config import Settings
from agentcron.domain import ClaimedRun
from agentcron.views import RunView, TaskView
from tests.support.engine_rig import Rig

REMINDER = {"action": "reminder", "payload": {"message": "hello"}}
QUARTER = timedelta(minutes=15)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 22, hour, minute, tzinfo=UTC)


async def finish(rig: Rig, run: ClaimedRun, started_at: datetime) -> None:
    await rig.recorder.write([await rig.executor.runner.perform(run, started_at)])


def assert_one_at_a_time(runs: list[RunView]) -> None:
    spans = sorted((r.started_at, r.finished_at) for r in runs if r.started_at is not None)
    for (_, finished), (started, _) in pairwise(spans):
        assert finished is not None
        assert started >= finished, spans


def queue_rig(rig: Rig, settings: Settings) -> Rig:
    """A rig whose worker keeps a run for an hour: a long run is not mistaken for a lost one.

    The runner reads the lease at construction, so the rig is built after the change.
    """
    settings.lease_seconds = 3600
    return Rig(rig.service, rig.clock, settings, claim=rig.executor.claim)


async def queue_task_first_run(rig: Rig) -> tuple[TaskView, ClaimedRun]:
    """A 'queue' task every 15 minutes, and its first run (10:15) handed over and started."""
    task = await rig.service.create(
        "ann", {"title": "t", "when": "every 15 minutes", "overlap_policy": "queue", **REMINDER}
    )
    rig.clock.advance(QUARTER)
    await rig.scheduler.run_pass()
    (first,) = await rig.start_handed_over()
    return task, first


async def test_queue_waits_for_the_running_run_and_loses_nothing(
    rig: Rig, settings: Settings
) -> None:
    rig = queue_rig(rig, settings)
    task, first = await queue_task_first_run(rig)
    assert first.scheduled_for == at(10, 15)
    first_started = rig.clock.now()
    for _ in range(2):  # two more occurrences come while the first run still runs
        rig.clock.advance(QUARTER)
        await rig.tick()
    runs = await rig.runs(task.id)
    assert [(r.scheduled_for, r.status) for r in runs] == [
        (at(10, 15), "running"),
        (at(10, 30), "queued"),
        (at(10, 45), "queued"),
    ]
    assert [(r.started_at, r.reason, r.attempt) for r in runs[1:]] == [(None, None, 0)] * 2

    rig.clock.advance(timedelta(minutes=5))  # 10:50: the first run ends
    await finish(rig, first, first_started)
    for _ in range(2):  # one waiting run a pass is enough, two passes drain both
        await rig.tick()
    runs = await rig.runs(task.id)
    assert [(r.scheduled_for, r.status) for r in runs] == [
        (at(10, 15), "succeeded"),
        (at(10, 30), "succeeded"),
        (at(10, 45), "succeeded"),
    ]
    assert runs[0].finished_at == at(10, 50)
    assert all(r.started_at is not None and r.started_at >= at(10, 50) for r in runs[1:])
    assert_one_at_a_time(runs)
    after = await rig.service.get("ann", task.id)
    assert (after.run_count, after.next_run_at) == (3, at(11))


async def test_queue_starts_the_waiting_runs_one_at_a_time(rig: Rig, settings: Settings) -> None:
    """Once the running run ends, only the earliest waiting run may be claimed: claiming
    two at once lets a worker with free slots run them side by side."""
    rig = queue_rig(rig, settings)
    task, first = await queue_task_first_run(rig)
    first_started = rig.clock.now()
    for _ in range(2):
        rig.clock.advance(QUARTER)
        await rig.scheduler.run_pass()
        assert await rig.start_handed_over() == []  # the first one is still running
    rig.clock.advance(timedelta(minutes=5))
    await finish(rig, first, first_started)

    await rig.scheduler.run_pass()
    claimed = await rig.start_handed_over()
    assert [r.scheduled_for for r in claimed] == [at(10, 30)]
    second_started = rig.clock.now()
    rig.clock.advance(timedelta(minutes=3))
    await rig.scheduler.run_pass()
    assert await rig.start_handed_over() == []
    await finish(rig, claimed[0], second_started)

    rig.clock.advance(timedelta(minutes=1))
    await rig.scheduler.run_pass()
    (third,) = await rig.start_handed_over()
    assert third.scheduled_for == at(10, 45)
    await finish(rig, third, rig.clock.now())
    runs = await rig.runs(task.id)
    assert [r.status for r in runs] == ["succeeded"] * 3
    assert_one_at_a_time(runs)


async def test_run_all_catches_up_at_most_run_all_limit(rig: Rig, settings: Settings) -> None:
    settings.run_all_limit = 3  # the scheduler reads it on every pass
    task = await rig.service.create(
        "ann", {"title": "t", "when": "every 15 minutes", "misfire_policy": "run_all", **REMINDER}
    )
    rig.clock.advance(timedelta(hours=2, minutes=10))  # down: 10:15 ... 12:00 passed, 8 of them
    await rig.tick()
    runs = await rig.runs(task.id)
    occurrences = [at(10, 15) + i * QUARTER for i in range(8)]
    assert [r.scheduled_for for r in runs] == occurrences
    assert [r.status for r in runs] == ["succeeded"] * 3 + ["skipped"] * 5
    assert [r.reason for r in runs[3:]] == ["missed: over the run_all limit of 3"] * 5
    assert all(r.started_at is None and r.attempt == 0 for r in runs[3:])
    after = await rig.service.get("ann", task.id)
    assert (after.status, after.next_run_at, after.run_count) == ("active", at(12, 15), 8)

    rig.clock.advance(timedelta(minutes=5))  # 12:15: back to running on time
    await rig.tick()
    runs = await rig.runs(task.id)
    assert [(r.scheduled_for, r.status, r.reason) for r in runs[8:]] == [
        (at(12, 15), "succeeded", None)
    ]
    assert (await rig.service.get("ann", task.id)).next_run_at == at(12, 30)
