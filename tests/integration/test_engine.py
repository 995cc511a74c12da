"""The scheduler, runner and recorder against the real store, with time under test control."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agentcron.config import Settings
from agentcron.engine.runner import Runner
from tests.support.engine_rig import Rig

REMINDER = {"action": "reminder", "payload": {"message": "hello"}}


async def test_nothing_runs_early_and_a_due_run_runs_once(rig: Rig) -> None:
    task = await rig.service.create("ann", {"title": "t", "when": "in 10 minutes", **REMINDER})
    rig.clock.advance(timedelta(minutes=9, seconds=30))
    await rig.tick()
    assert await rig.runs(task.id) == []
    rig.clock.advance(timedelta(seconds=29))  # within the lookahead: written, not started
    await rig.tick()
    (ahead,) = await rig.runs(task.id)
    assert (ahead.status, ahead.started_at, ahead.not_before) == ("queued", None, task.next_run_at)
    rig.clock.advance(timedelta(seconds=1))
    await rig.tick()
    await rig.tick()
    (run,) = await rig.runs(task.id)
    assert run.status == "succeeded"
    assert run.output == "hello"
    assert run.scheduled_for == task.next_run_at
    assert run.started_at == rig.clock.now()
    assert (await rig.service.get("ann", task.id)).status == "completed"


async def test_recurring_task_advances(rig: Rig) -> None:
    task = await rig.service.create("ann", {"title": "t", "when": "every 15 minutes", **REMINDER})
    for _ in range(3):
        rig.clock.advance(timedelta(minutes=15))
        await rig.tick()
    runs = await rig.runs(task.id)
    assert [r.status for r in runs] == ["succeeded"] * 3
    assert [r.scheduled_for.minute for r in runs] == [15, 30, 45]
    after = await rig.service.get("ann", task.id)
    assert after.next_run_at == datetime(2026, 11, 22, 11, 0, tzinfo=UTC)
    assert after.run_count == 3


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("run_once", ["skipped", "skipped", "skipped", "succeeded"]),
        ("skip", ["skipped", "skipped", "skipped", "skipped"]),
        ("run_all", ["succeeded", "succeeded", "succeeded", "succeeded"]),
    ],
)
async def test_misfire_policies_after_downtime(rig: Rig, policy: str, expected: list[str]) -> None:
    task = await rig.service.create(
        "ann", {"title": "t", "when": "every hour", "misfire_policy": policy, **REMINDER}
    )
    rig.clock.advance(timedelta(hours=4, minutes=30))  # agentcron was down: 4 occurrences passed
    await rig.tick()
    runs = await rig.runs(task.id)
    assert [r.status for r in runs] == expected
    assert all(r.reason for r in runs if r.status == "skipped")
    if policy == "run_once":
        assert "catch-up" in (runs[-1].reason or "")
    assert (await rig.service.get("ann", task.id)).next_run_at == datetime(
        2026, 11, 22, 15, tzinfo=UTC
    )


async def test_within_grace_a_late_occurrence_still_runs_under_skip(rig: Rig) -> None:
    task = await rig.service.create(
        "ann", {"title": "t", "when": "in 1 minute", "misfire_policy": "skip", **REMINDER}
    )
    rig.clock.advance(timedelta(minutes=1, seconds=30))
    await rig.tick()
    assert [r.status for r in await rig.runs(task.id)] == ["succeeded"]


async def test_pause_then_resume_applies_the_misfire_policy(rig: Rig) -> None:
    task = await rig.service.create("ann", {"title": "t", "when": "every hour", **REMINDER})
    await rig.service.pause("ann", task.id)
    rig.clock.advance(timedelta(hours=3))
    await rig.tick()
    assert await rig.runs(task.id) == []
    await rig.service.resume("ann", task.id)
    await rig.tick()
    runs = await rig.runs(task.id)
    assert [r.status for r in runs] == ["skipped", "skipped", "succeeded"]


async def test_manual_run_does_not_move_the_schedule(rig: Rig) -> None:
    task = await rig.service.create("ann", {"title": "t", "when": "every day at 9am", **REMINDER})
    run = await rig.service.trigger("ann", task.id)
    await rig.tick()
    assert (await rig.service.get_run("ann", run.id)).status == "succeeded"
    assert (await rig.service.get("ann", task.id)).next_run_at == task.next_run_at


async def test_overlap_skip_records_the_occurrence(rig: Rig) -> None:
    task = await rig.service.create(
        "ann", {"title": "t", "when": "every 15 minutes", "overlap_policy": "skip", **REMINDER}
    )
    rig.clock.advance(timedelta(minutes=15))
    await rig.scheduler.run_pass()  # the first run is queued, not yet performed
    rig.clock.advance(timedelta(minutes=15))
    await rig.scheduler.run_pass()
    await rig.executor.drain()
    statuses = [(r.status, r.reason) for r in await rig.runs(task.id)]
    assert statuses == [("succeeded", None), ("skipped", "the previous run was still going")]


async def test_bounded_tasks_complete(rig: Rig) -> None:
    task = await rig.service.create(
        "ann", {"title": "t", "when": "every 2 hours for 3 times", **REMINDER}
    )
    rig.clock.advance(timedelta(hours=7))
    await rig.tick()
    after = await rig.service.get("ann", task.id)
    assert after.status == "completed"
    assert after.next_run_at is None
    assert len(await rig.runs(task.id)) == 3


async def test_max_runs_completes_the_task(rig: Rig) -> None:
    task = await rig.service.create(
        "ann", {"title": "t", "when": "every 15 minutes", "max_runs": 2, **REMINDER}
    )
    for _ in range(3):
        rig.clock.advance(timedelta(minutes=15))
        await rig.tick()
    assert len(await rig.runs(task.id)) == 2
    assert (await rig.service.get("ann", task.id)).status == "completed"


async def test_jitter_delays_the_start_within_bounds(rig: Rig) -> None:
    task = await rig.service.create(
        "ann", {"title": "t", "when": "in 1 minute", "jitter_seconds": 30, **REMINDER}
    )
    rig.clock.advance(timedelta(minutes=1))
    await rig.tick()
    (run,) = await rig.runs(task.id)
    assert run.status == "queued"
    assert run.scheduled_for < run.not_before <= run.scheduled_for + timedelta(seconds=30)
    rig.clock.set(run.not_before)
    await rig.tick()
    assert (await rig.runs(task.id))[0].status == "succeeded"


async def test_failing_runs_retry_with_backoff_then_fail(rig: Rig, settings: Settings) -> None:
    settings.shell_allow = ["false"]
    task = await rig.service.create(
        "ann",
        {
            "title": "t",
            "when": "in 1 minute",
            "action": "shell",
            "payload": {"command": "false"},
            "max_attempts": 3,
            "backoff_seconds": 10,
        },
    )
    rig.clock.advance(timedelta(minutes=1))
    await rig.tick()
    (run,) = await rig.runs(task.id)
    assert run.status == "retrying"
    assert run.attempt == 1
    first_wait = (run.not_before - rig.clock.now()).total_seconds()
    assert 5 <= first_wait <= 10
    rig.clock.set(run.not_before)
    await rig.tick()
    (run,) = await rig.runs(task.id)
    assert run.status == "retrying"
    second_wait = (run.not_before - rig.clock.now()).total_seconds()
    assert 10 <= second_wait <= 20
    rig.clock.set(run.not_before)
    await rig.tick()
    (run,) = await rig.runs(task.id)
    assert run.status == "failed"
    assert run.attempt == 3
    assert "gave up after 3 attempts" in (run.error or "")
    rig.clock.advance(timedelta(hours=1))
    await rig.tick()
    assert (await rig.runs(task.id))[0].attempt == 3  # nothing more happens


async def test_timeout_fails_the_attempt(rig: Rig, settings: Settings) -> None:
    settings.shell_allow = ["sleep"]
    task = await rig.service.create(
        "ann",
        {
            "title": "t",
            "when": "in 1 minute",
            "action": "shell",
            "payload": {"command": "sleep 5"},
            "max_attempts": 1,
            "timeout_seconds": 0.3,
        },
    )
    rig.clock.advance(timedelta(minutes=1))
    await rig.tick()
    (run,) = await rig.runs(task.id)
    assert run.status == "failed"
    assert "timed out after 0.3 s" in (run.error or "")


@pytest.mark.parametrize("started", [True, False], ids=["started", "not-started"])
async def test_runs_of_a_lost_worker_are_recovered(
    rig: Rig, settings: Settings, started: bool
) -> None:
    task = await rig.service.create("ann", {"title": "t", "when": "in 1 minute", **REMINDER})
    rig.clock.advance(timedelta(minutes=1))
    await rig.scheduler.run_pass()
    held = bool(rig.executor.claimed)  # written as claimed by the worker about to die
    if started:
        (run,) = await rig.start_handed_over()
        assert run.task_id == task.id
        assert (await rig.runs(task.id))[0].status == "running"
    # the worker dies here; another one carries on once the lease has run out
    survivor = Rig(rig.service, rig.clock, settings, claim=rig.executor.claim, worker="survivor")
    await survivor.tick()
    if started or held:
        assert (await rig.runs(task.id))[0].status == ("running" if started else "queued")
        rig.clock.advance(timedelta(seconds=settings.lease_seconds + 1))
        await survivor.tick()
        await survivor.tick()
    (run,) = await rig.runs(task.id)
    assert (run.status, run.worker_id) == ("succeeded", "survivor")
    assert run.attempt == (2 if started else 1)
    attempts = await rig.service.run_attempts("ann", run.id)
    expected = [("lost", "test-worker")] if started else []
    assert [(a.status, a.worker_id) for a in attempts] == [*expected, ("succeeded", "survivor")]
    assert [a.attempt for a in attempts] == list(range(1, len(attempts) + 1))


async def test_a_claimed_run_is_not_claimed_twice(rig: Rig, settings: Settings) -> None:
    await rig.service.create("ann", {"title": "t", "when": "in 1 minute", **REMINDER})
    rig.clock.advance(timedelta(minutes=1))
    await rig.scheduler.run_pass()
    ids = list(rig.executor.submitted) + list(rig.executor.claimed)
    other = Runner(rig.service.store, rig.clock, settings, rig.service.actions, "other")
    assert len((await other.claim(ids))[1]) == (0 if rig.executor.claim else 1)
    assert (await other.claim(ids))[1] == []
    assert (await rig.executor.runner.claim(ids))[1] == []
    assert (await other.begin(ids))[1] == {}  # a run claimed by another is not begun either


async def test_a_start_is_committed_before_the_action_and_the_outcome_ends_it(rig: Rig) -> None:
    task = await rig.service.create("ann", {"title": "t", "when": "in 1 minute", **REMINDER})
    rig.clock.advance(timedelta(minutes=1))
    await rig.scheduler.run_pass()
    started_at = rig.clock.now()
    (run,) = await rig.start_handed_over()
    (running,) = await rig.runs(task.id)
    assert (running.status, running.attempt, running.worker_id) == ("running", 1, "test-worker")
    assert running.started_at == started_at
    (attempt,) = await rig.service.run_attempts("ann", running.id)
    assert (attempt.attempt, attempt.status, attempt.finished_at) == (1, "running", None)
    assert (await rig.service.get("ann", task.id)).status == "active"  # ends with its run
    rig.clock.advance(timedelta(seconds=3))
    await rig.recorder.write([await rig.executor.runner.perform(run, started_at)])
    (done,) = await rig.runs(task.id)
    assert (done.status, done.attempt, done.started_at) == ("succeeded", 1, started_at)
    (attempt,) = await rig.service.run_attempts("ann", done.id)
    assert (attempt.status, attempt.finished_at) == ("succeeded", done.finished_at)
    assert (await rig.service.get("ann", task.id)).status == "completed"


async def test_a_run_cancelled_before_its_start_never_starts(rig: Rig) -> None:
    task = await rig.service.create("ann", {"title": "t", "when": "every hour", **REMINDER})
    assert task.next_run_at is not None
    rig.clock.set(task.next_run_at)
    await rig.scheduler.run_pass()
    await rig.service.cancel("ann", task.id)
    assert await rig.start_handed_over() == []
    (cancelled,) = await rig.runs(task.id)
    assert (cancelled.status, cancelled.started_at, cancelled.attempt) == ("cancelled", None, 0)
    assert await rig.service.run_attempts("ann", cancelled.id) == []


async def test_a_run_cancelled_while_running_keeps_its_cancel(rig: Rig) -> None:
    task = await rig.service.create("ann", {"title": "t", "when": "every hour", **REMINDER})
    assert task.next_run_at is not None
    rig.clock.set(task.next_run_at)
    await rig.scheduler.run_pass()
    (run,) = await rig.start_handed_over()
    cancelled = await rig.service.cancel("ann", task.id)
    assert cancelled.last_run is not None
    assert cancelled.last_run.id == run.id
    await rig.recorder.write([await rig.executor.runner.perform(run)])
    (after,) = await rig.runs(task.id)
    assert (after.status, after.output) == ("cancelled", None)
    (attempt,) = await rig.service.run_attempts("ann", after.id)
    assert (attempt.status, attempt.error) == ("cancelled", "task cancelled")
