"""The scheduler loop: sleep until the earliest due instant, then turn occurrences into runs.

Each pass locks due tasks in batches (``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
the single writer lock on SQLite), plans their occurrences, writes one run per
occurrence (unique on task and occurrence, so a second scheduler cannot double
them), advances the tasks, commits, and only then hands run ids to the
executor. It also hands over runs that wait in the store (retries, manual
runs, runs of a crashed worker), so losing the executor's queue loses nothing.

In the distributed shape a ``Dispatcher`` takes the executor's place: runs are written
unclaimed and handed to the broker through the outbox once committed, and the recovery
of lost runs is done by one scheduler at a time.

A wake-up with nothing due costs a few indexed reads: the write lock is taken only
when a pass has work.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agentcron.abc import Clock, Dispatcher, Executor, Notices, Repositories, Store, Wakeup
from agentcron.config import Settings
from agentcron.domain import (
    GAVE_UP_ON_LOST_WORKER,
    ClaimedRun,
    DeliveryJob,
    Outcome,
    RunStatus,
    RunTrigger,
    TaskStatus,
)
from agentcron.engine.following import Ended, follow
from agentcron.engine.planning import TaskState, plan
from agentcron.engine.wakeup import WakeEvent
from agentcron.schedules import parse_normalized
from agentcron.views import TaskView

log = logging.getLogger("agentcron.scheduler")
_SWEEP_LIMIT = 5000
_AFTER_FULL_SWEEP_SECONDS = 0.1
_PLAN_SLICE = 50
RECOVERY_LOCK = 0x61677263  # "agrc": one scheduler at a time recovers runs of lost workers


@dataclass
class PassReport:
    """What one scheduler pass did."""

    tasks: int = 0
    runs: int = 0
    skipped: int = 0
    dispatched: int = 0
    completed: int = 0


class Scheduler:
    """Turns due occurrences into runs and hands them to an executor."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: Settings,
        executor: Executor | None,
        *,
        wakeup: Wakeup | None = None,
        rng: random.Random | None = None,
        notices: Notices | None = None,
        dispatcher: Dispatcher | None = None,
    ) -> None:
        if (executor is None) == (dispatcher is None):
            raise ValueError("a scheduler hands runs to an executor or to a dispatcher")
        self.dispatcher = dispatcher
        """Who hands runs to workers elsewhere (the distributed shape), instead of an executor."""
        self.notices = notices
        """Who tells the owners of runs that failed for good when their worker vanished."""
        self.store = store
        self.clock = clock
        self.settings = settings
        self.executor = executor
        self.wakeup = wakeup or WakeEvent()
        self.rng = rng or random.Random()
        self._lookahead = timedelta(seconds=settings.lookahead_seconds)
        self._last_recovery: datetime | None = None
        self._swept_full = False
        self._pass_due = True

    async def step(self) -> None:
        """A pass, or the sleep after one: until the next due instant or the safety cap (a
        wake-up ends it early only when a pass has something to do). Each is its own step,
        so a supervisor sees a pass succeed at once, and retries a failed one, not a sleep."""
        if self._pass_due:
            await self.run_pass()
            self._pass_due = False
            return
        while await self.wakeup.sleep(await self.seconds_to_next()):
            if await self._work_due():
                break
        self._pass_due = True

    async def _work_due(self) -> bool:
        """After a wake-up: whether a task is due by the horizon or a waiting run is due now.

        Tasks created one by one, far from their first runs, wake the scheduler once each:
        each wake-up then costs a few indexed reads, not a pass. A running run whose lease
        ran out is work too: its worker died, and the pass recovers it.
        """
        now = await self.store.now(self.clock)
        async with self.store.reading() as store:
            due = await store.tasks.next_due()
            if due is not None and due <= now + self._lookahead:
                return True
            expiry = await store.runs.next_lease_expiry()
            if expiry is not None and expiry < now:  # a worker died running it: recover it
                return True
            if self.dispatcher is not None:
                start = await store.handover.next_dispatch(now)
                return start is not None and start <= now + self._lookahead
            return bool(await store.runs.dispatchable(now, 1))

    async def seconds_to_next(self) -> float:
        """Until the next pass: a task's occurrence (less the lookahead) or a run's start."""
        now = await self.store.now(self.clock)
        async with self.store.reading() as store:
            task_due = await store.tasks.next_due()
            if self.dispatcher is not None:  # handed over ahead, as occurrences are
                run_due = await store.handover.next_dispatch(now)
                run_due = run_due - self._lookahead if run_due is not None else None
            else:
                run_due = await store.runs.next_start(now)
            expiry = await store.runs.next_lease_expiry()
        candidates = [run_due] if run_due is not None else []
        if task_due is not None:
            candidates.append(task_due - self._lookahead)
        if expiry is not None:  # a worker may have died: recover its runs when they expire
            candidates.append(expiry)
        cap = self.settings.scheduler_max_sleep_seconds
        if self._swept_full:  # more runs wait than one sweep hands over: sweep again soon
            cap = min(cap, _AFTER_FULL_SWEEP_SECONDS)
        if not candidates:
            return cap
        return max(0.0, min(cap, (min(candidates) - now).total_seconds()))

    async def run_pass(self) -> PassReport:
        """Everything due now: recover lost runs, materialize occurrences, dispatch."""
        report = PassReport()
        now = await self.store.now(self.clock)
        await self._recover(now)
        while await self._tasks_due(now):
            batch_report, full = await self._materialize_batch(now)
            report.tasks += batch_report.tasks
            report.runs += batch_report.runs
            report.skipped += batch_report.skipped
            report.completed += batch_report.completed
            report.dispatched += batch_report.dispatched
            if not full:
                break
        report.dispatched += await self._hand_over(now)
        if report.tasks:
            log.info(
                "pass: %d tasks, %d runs, %d skipped, %d dispatched, %d completed",
                report.tasks, report.runs, report.skipped, report.dispatched, report.completed,
            )  # fmt: skip
        return report

    async def _tasks_due(self, now: datetime) -> bool:
        """Whether any task is due by the horizon: a read, so that a wake-up with nothing due
        (tasks created one by one, far from their first runs) never waits for the write lock."""
        async with self.store.reading() as store:
            due = await store.tasks.next_due()
        return due is not None and due <= now + self._lookahead

    async def _recover(self, now: datetime) -> None:
        """Runs whose lease ran out: at most every tenth of a lease, and a read first."""
        period = timedelta(seconds=self.settings.lease_seconds / 10)
        if self._last_recovery is not None and now - self._last_recovery < period:
            return
        self._last_recovery = now
        async with self.store.reading() as store:
            expiry = await store.runs.next_lease_expiry()
        if expiry is None or expiry >= now:
            return
        async with self.store.transaction() as store:
            if not await store.handover.try_lock(RECOVERY_LOCK):
                return  # another scheduler is at it
            recovered, failed = await store.runs.recover_expired(now)
            jobs = await settle_failed(store, failed, now, self.notices)
        if jobs and self.notices is not None:
            self.notices.written(jobs)
        if recovered:
            log.warning("recovered %d runs whose worker stopped", recovered)

    async def _materialize_batch(self, now: datetime) -> tuple[PassReport, bool]:
        report = PassReport()
        limit = self.settings.scheduler_batch_size
        async with self.store.transaction() as store:
            tasks, withheld = await store.tasks.lock_due(now + self._lookahead, limit)
            if not tasks:
                return report, False
            busy = await store.runs.busy_task_ids(
                [t.id for t in tasks if t.overlap_policy != "allow"]
            )
            run_rows: list[dict[str, Any]] = []
            changes: list[dict[str, Any]] = []
            for index, task in enumerate(tasks, 1):
                rows, change = self._plan_task(task, task.id in busy, now)
                run_rows += rows
                changes.append(change)
                report.completed += change["status"] != task.status
                if index % _PLAN_SLICE == 0:
                    # Planning is all Python on the event loop: let the executor start the
                    # runs already due (a burst is planned while its first runs start).
                    await asyncio.sleep(0)
            inserted = await store.runs.write_planned(run_rows)
            await store.tasks.advance(changes)
            by_id = {task.id: task for task in tasks}
            claimed = [
                (
                    _claimed(by_id[run.task_id], run.id, run.scheduled_for, withheld),
                    run.not_before,
                )
                for run in inserted
                if run.status == RunStatus.QUEUED and run.worker_id is not None
            ]
        waiting = [
            (run.id, run.not_before)
            for run in inserted
            if run.status == RunStatus.QUEUED and run.worker_id is None
        ]
        report.tasks = len(tasks)
        report.runs = len(waiting) + len(claimed)
        report.skipped = len(inserted) - report.runs
        if self.executor is not None:
            self.executor.submit_claimed(claimed)
            self.executor.submit_at(waiting)
            report.dispatched = report.runs
        elif self.dispatcher is not None and report.runs:
            report.dispatched = await self.dispatcher.dispatch(
                now
            )  # on the way while the next batch is planned
        return report, len(tasks) == limit

    def _plan_task(
        self, task: TaskView, busy: bool, now: datetime
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        assert task.next_run_at is not None  # claimed tasks are due
        try:
            schedule = parse_normalized(task.schedule, task.timezone)
        except Exception as error:  # a stored schedule that no longer loads: stop, say why
            log.error("task %s: schedule %r does not load: %s", task.id, task.schedule, error)
            return [], {"id": task.id, "status": TaskStatus.PAUSED, "next_run_at": task.next_run_at}
        state = TaskState(
            next_run_at=task.next_run_at,
            misfire_policy=task.misfire_policy,
            misfire_grace=timedelta(seconds=task.misfire_grace_seconds),
            overlap_policy=task.overlap_policy,
            jitter=timedelta(seconds=task.jitter_seconds),
            ends_at=task.ends_at,
            max_runs=task.max_runs,
            run_count=task.run_count,
            busy=busy,
        )
        lease = timedelta(seconds=self.settings.lease_seconds)
        decided = plan(
            state,
            schedule,
            now,
            horizon=now + self._lookahead,
            run_all_limit=self.settings.run_all_limit,
            rng=self.rng,
        )
        rows = []
        claim_for = self.executor.claim_for if self.executor is not None else None
        owner = claim_for if not busy or task.overlap_policy == "allow" else None
        for run in decided.runs:
            claimed = owner is not None and not run.skipped
            rows.append(
                {
                    "task_id": task.id,
                    "scheduled_for": run.scheduled_for,
                    "trigger": RunTrigger.SCHEDULE,
                    "status": RunStatus.SKIPPED if run.skipped else RunStatus.QUEUED,
                    "reason": run.reason,
                    "attempt": 0,
                    "not_before": run.not_before,
                    "queued_at": now,
                    "finished_at": now if run.skipped else None,
                    "worker_id": owner if claimed else None,
                    "lease_expires_at": run.not_before + lease if claimed else None,
                }
            )
            if claimed and task.overlap_policy == "queue":
                owner = None  # the runs after it wait for it: claimed when it is done
        # A task with no occurrence left ends when its last run does (the recorder ends it):
        # until then a cancel or a pause still finds it live. One with nothing outstanding
        # (every occurrence skipped) ends now.
        outstanding = busy or any(row["status"] == RunStatus.QUEUED for row in rows)
        ended = decided.completed and not outstanding
        change = {
            "id": task.id,
            "next_run_at": decided.next_run_at,
            "status": TaskStatus.COMPLETED if ended else task.status,
            "run_count": task.run_count + decided.counted_runs,
            "updated_at": now,
        }
        return rows, change

    async def _hand_over(self, now: datetime) -> int:
        """Hand over runs waiting in the store: to the broker, those not sent yet; to the
        executor, every one due (it ignores those it has)."""
        if self.dispatcher is not None:
            return await self.dispatcher.dispatch(now)
        assert self.executor is not None
        async with self.store.reading() as store:
            waiting = await store.runs.dispatchable(now, _SWEEP_LIMIT)
        self._swept_full = len(waiting) == _SWEEP_LIMIT
        worker_id = self.executor.claim_for
        if not waiting or worker_id is None:
            self.executor.submit(waiting)
            return len(waiting)
        # Reserved for this worker in one statement, then started as runs written ahead
        # are (from memory where the action allows it), not claimed a slot's worth at a
        # time: thousands left by a killed serve are drained at full speed.
        lease = timedelta(seconds=self.settings.lease_seconds)
        async with self.store.transaction_at(self.clock, flush=False) as (at, store):
            reserved, in_line = await store.handover.reserve(waiting, at, at + lease, worker_id)
        self.executor.submit_claimed(reserved)
        self.executor.submit_at(in_line)
        log.debug("handed over %d runs (%d reserved)", len(waiting), len(reserved))
        return len(reserved) + len(in_line)


async def settle_failed(
    store: Repositories, failed: list[ClaimedRun], now: datetime, notices: Notices | None
) -> list[DeliveryJob]:
    """After runs failed for good because their worker vanished: end the tasks that will not
    fire again, make the runs of the tasks that follow theirs, and write what tells their
    owners (to send once committed)."""
    await store.tasks.finish(sorted({run.task_id for run in failed}), now)
    if await follow(store, [Ended(run.id, run.task_id, RunStatus.FAILED) for run in failed], now):
        await store.announce_change()
    if notices is None or not failed:
        return []
    outcomes = [
        Outcome(run, RunStatus.FAILED, now, now, now, error=GAVE_UP_ON_LOST_WORKER)
        for run in failed
    ]
    return await notices.write(store, outcomes, now)


def _claimed(
    task: TaskView, run_id: int, scheduled_for: datetime, withheld: set[int]
) -> ClaimedRun:
    """The first attempt of a run written as claimed, from its task (its payload read as it
    starts when the store left a large one out)."""
    return ClaimedRun(
        run_id, task.id, scheduled_for, 1, task.owner_id, task.title, task.action, task.payload,
        task.timezone, task.timeout_seconds, task.max_attempts, task.backoff_seconds,
        task.backoff_max_seconds, task.overlap_policy, task.id not in withheld,
        task.notify_policy, tuple(task.notify), task.urgent,
    )  # fmt: skip
