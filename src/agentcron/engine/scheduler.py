"""The scheduler loop: sleep until the earliest due instant, then turn occurrences into runs.

Each pass claims due tasks in batches (``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
the single writer lock on SQLite), plans their occurrences, inserts one run per
occurrence (unique on task and occurrence, so a second scheduler cannot double
them), advances the tasks, commits, and only then hands run ids to the
executor. It also hands over runs that wait in the store (retries, manual
runs, runs of a crashed worker), so losing the executor's queue loses nothing.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agentcron.clock import Clock
from agentcron.config import Settings
from agentcron.engine import queries
from agentcron.engine.executor import Executor
from agentcron.engine.planning import TaskState, plan
from agentcron.engine.wakeup import Wakeup
from agentcron.schedules import parse_normalized
from agentcron.store import Database, RunStatus, RunTrigger, Task, TaskStatus

log = logging.getLogger("agentcron.scheduler")
_SWEEP_LIMIT = 1000


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
        database: Database,
        clock: Clock,
        settings: Settings,
        executor: Executor,
        *,
        wakeup: Wakeup | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.settings = settings
        self.executor = executor
        self.wakeup = wakeup or Wakeup()
        self.rng = rng or random.Random()
        self._postgres = not database.is_sqlite
        self._lookahead = timedelta(seconds=settings.scheduler_lookahead_seconds)
        self._last_recovery: datetime | None = None

    async def run_forever(self) -> None:
        """Pass, then sleep until the next due instant (or a wake-up, or the safety cap)."""
        while True:
            await self.run_pass()
            await self.wakeup.sleep(await self.seconds_to_next())

    async def seconds_to_next(self) -> float:
        """Until the next pass: a task's occurrence (less the lookahead) or a run's start."""
        now = await self.database.now(self.clock)
        async with self.database.reads() as session:
            task_due, run_due = await queries.next_wake(session, now)
        candidates = [run_due] if run_due is not None else []
        if task_due is not None:
            candidates.append(task_due - self._lookahead)
        cap = self.settings.scheduler_max_sleep_seconds
        if not candidates:
            return cap
        return max(0.0, min(cap, (min(candidates) - now).total_seconds()))

    async def run_pass(self) -> PassReport:
        """Everything due now: recover lost runs, materialize occurrences, dispatch."""
        report = PassReport()
        now = await self.database.now(self.clock)
        await self._recover(now)
        while True:
            batch_report, full = await self._materialize_batch(now)
            report.tasks += batch_report.tasks
            report.runs += batch_report.runs
            report.skipped += batch_report.skipped
            report.completed += batch_report.completed
            report.dispatched += batch_report.dispatched
            if not full:
                break
        report.dispatched += await self._sweep(now)
        if report.tasks:
            log.info(
                "pass: %d tasks, %d runs, %d skipped, %d dispatched, %d completed",
                report.tasks, report.runs, report.skipped, report.dispatched, report.completed,
            )  # fmt: skip
        return report

    async def _recover(self, now: datetime) -> None:
        period = timedelta(seconds=self.settings.lease_seconds)
        if self._last_recovery is not None and now - self._last_recovery < period:
            return
        self._last_recovery = now
        async with self.database.sessions() as session, session.begin():
            recovered = await queries.recover_expired(session, now)
        if recovered:
            log.warning("recovered %d runs whose worker stopped", recovered)

    async def _materialize_batch(self, now: datetime) -> tuple[PassReport, bool]:
        report = PassReport()
        limit = self.settings.scheduler_batch_size
        async with self.database.sessions() as session, session.begin():
            tasks = await queries.claim_due_tasks(
                session, now + self._lookahead, limit, postgres=self._postgres
            )
            if not tasks:
                return report, False
            busy = await queries.busy_task_ids(
                session, [t.id for t in tasks if t.overlap_policy != "allow"]
            )
            run_rows: list[dict[str, Any]] = []
            changes: list[dict[str, Any]] = []
            for task in tasks:
                rows, change = self._plan_task(task, task.id in busy, now)
                run_rows += rows
                changes.append(change)
                report.completed += change["status"] == TaskStatus.COMPLETED
            inserted = await queries.insert_runs(session, run_rows, postgres=self._postgres)
            await queries.advance_tasks(session, changes)
            by_id = {task.id: task for task in tasks}
            held = [
                (
                    queries.TakenRun.of_task(by_id[run.task_id], run.id, run.scheduled_for, 1),
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
        self.executor.submit_held(held)
        self.executor.submit_at(waiting)
        report.tasks = len(tasks)
        report.runs = len(waiting) + len(held)
        report.skipped = len(inserted) - report.runs
        report.dispatched = report.runs
        return report, len(tasks) == limit

    def _plan_task(
        self, task: Task, busy: bool, now: datetime
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
        holder = self.executor.reserve_for if not busy or task.overlap_policy == "allow" else None
        for run in decided.runs:
            held = holder is not None and not run.skipped
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
                    "worker_id": holder if held else None,
                    "lease_expires_at": run.not_before + lease if held else None,
                }
            )
            if held and task.overlap_policy == "queue":
                holder = None  # the runs after it wait for it: taken when it is done
        change = {
            "id": task.id,
            "next_run_at": decided.next_run_at,
            "status": TaskStatus.COMPLETED if decided.completed else task.status,
            "run_count": task.run_count + decided.counted_runs,
            "updated_at": now,
        }
        return rows, change

    async def _sweep(self, now: datetime) -> int:
        """Hand over runs waiting in the store that the executor does not have."""
        async with self.database.reads() as session:
            waiting = await queries.dispatchable_runs(
                session, now, self.executor.inflight, _SWEEP_LIMIT
            )
        self.executor.submit(waiting)
        return len(waiting)
