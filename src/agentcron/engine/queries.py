"""The engine's statements against the store, written once for SQLite and PostgreSQL.

Hot paths use Core statements and executemany so a burst of thousands of
occurrences costs a few round trips, not one transaction per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from agentcron.store.models import (
    ACTIVE_RUN_STATUSES,
    OverlapPolicy,
    Run,
    RunStatus,
    Task,
    TaskStatus,
)

TAKEABLE = (RunStatus.QUEUED, RunStatus.RETRYING)


def unclaimed(now: datetime) -> ColumnElement[bool]:
    """No worker holds the run: it never had a lease, or its lease ran out."""
    return or_(Run.lease_expires_at.is_(None), Run.lease_expires_at < now)


def due_tasks_query(horizon: datetime, limit: int) -> Select[Task]:
    """Active tasks due by ``horizon``, soonest first (answered by the partial index)."""
    return (
        select(Task)
        .where(Task.status == TaskStatus.ACTIVE, Task.next_run_at <= horizon)
        .order_by(Task.next_run_at)
        .limit(limit)
    )


async def claim_due_tasks(
    session: AsyncSession, horizon: datetime, limit: int, *, postgres: bool
) -> Sequence[Task]:
    """Active tasks due by ``horizon``, locked against other schedulers on PostgreSQL."""
    query = due_tasks_query(horizon, limit)
    if postgres:
        query = query.with_for_update(skip_locked=True)
    return (await session.scalars(query)).all()


async def busy_task_ids(session: AsyncSession, task_ids: Sequence[int]) -> set[int]:
    """Which of these tasks have a run queued, running or retrying."""
    if not task_ids:
        return set()
    rows = await session.execute(
        select(Run.task_id)
        .where(Run.task_id.in_(task_ids), Run.status.in_(ACTIVE_RUN_STATUSES))
        .distinct()
    )
    return {row[0] for row in rows}


@dataclass(frozen=True)
class InsertedRun:
    id: int
    task_id: int
    scheduled_for: datetime
    status: str
    not_before: datetime
    worker_id: str | None


async def insert_runs(
    session: AsyncSession, rows: list[dict[str, Any]], *, postgres: bool
) -> list[InsertedRun]:
    """Insert runs, skipping occurrences that already have one."""
    if not rows:
        return []
    insert = pg_insert(Run) if postgres else sqlite_insert(Run)
    statement = insert.on_conflict_do_nothing(
        index_elements=[Run.task_id, Run.scheduled_for]
    ).returning(Run.id, Run.task_id, Run.scheduled_for, Run.status, Run.not_before, Run.worker_id)
    result = await session.execute(statement, rows)
    return [InsertedRun(*row) for row in result]


async def advance_tasks(session: AsyncSession, changes: list[dict[str, Any]]) -> None:
    """Bulk update of next_run_at, status and run_count, by primary key."""
    if changes:
        await session.execute(update(Task), changes)


@dataclass(frozen=True)
class TakenRun:
    """A run this worker holds under a lease, with what its action needs.

    ``attempt`` is the attempt about to be made (the store counts attempts started).
    """

    id: int
    task_id: int
    scheduled_for: datetime
    attempt: int
    owner_id: str
    title: str
    action: str
    payload: dict[str, Any]
    timezone: str
    timeout_seconds: float
    max_attempts: int
    backoff_seconds: float
    backoff_max_seconds: float
    overlap_policy: str

    @classmethod
    def of_task(cls, task: Task, run_id: int, scheduled_for: datetime, attempt: int) -> TakenRun:
        return cls(
            run_id, task.id, scheduled_for, attempt, task.owner_id, task.title, task.action,
            task.payload, task.timezone, task.timeout_seconds, task.max_attempts,
            task.backoff_seconds, task.backoff_max_seconds, task.overlap_policy,
        )  # fmt: skip


async def take_runs(
    session: AsyncSession,
    run_ids: Sequence[int],
    now: datetime,
    lease: timedelta,
    worker_id: str,
) -> list[TakenRun]:
    """Hold the given runs that are still waiting, due and unclaimed (a conditional update).

    Taking only claims: the run becomes ``running`` when its action starts (see
    ``mark_started``). A run of a 'queue'-overlap task waits while another run of
    its task is running or held.
    """
    if not run_ids:
        return []
    other = aliased(Run)
    queue_task_busy = (
        select(other.id)
        .join(Task, Task.id == other.task_id)
        .where(
            other.task_id == Run.task_id,
            other.id != Run.id,
            Task.overlap_policy == OverlapPolicy.QUEUE,
            or_(
                other.status == RunStatus.RUNNING,
                and_(other.status.in_(TAKEABLE), other.lease_expires_at >= now),
            ),
        )
        .exists()
    )
    taken = await session.execute(
        update(Run)
        .where(
            Run.id.in_(run_ids),
            Run.status.in_(TAKEABLE),
            Run.not_before <= now,
            unclaimed(now),
            ~queue_task_busy,
        )
        .values(lease_expires_at=now + lease, worker_id=worker_id)
        .returning(Run.id, Run.task_id, Run.scheduled_for, Run.attempt)
        .execution_options(synchronize_session=False)
    )
    runs = taken.all()
    if not runs:
        return []
    tasks = {
        task.id: task
        for task in await session.scalars(select(Task).where(Task.id.in_({r[1] for r in runs})))
    }
    return [
        TakenRun.of_task(tasks[task_id], run_id, scheduled_for, attempt + 1)
        for run_id, task_id, scheduled_for, attempt in runs
    ]


async def mark_started(session: AsyncSession, starts: list[dict[str, Any]], worker_id: str) -> None:
    """Mark held runs whose action started as running (``run_id``, ``attempt``, ``started_at``).

    Written shortly after the start and skipped when the outcome came first, so a
    start costs no round trip of its own. A run cancelled meanwhile is left alone.
    """
    if not starts:
        return
    statement = (
        update(Run)
        .where(
            Run.id == bindparam("run_id"),
            Run.worker_id == worker_id,
            or_(*(Run.status == status for status in TAKEABLE)),  # executemany: no IN
        )
        .values(
            status=RunStatus.RUNNING,
            attempt=bindparam("attempt"),
            started_at=func.coalesce(Run.started_at, bindparam("started_at")),
        )
    )
    connection = await session.connection()
    await connection.execute(statement, starts)


async def record_outcomes(
    session: AsyncSession, outcomes: list[dict[str, Any]], worker_id: str, *, postgres: bool
) -> set[int]:
    """Write finished attempts of the runs this worker still holds; their ids.

    A run cancelled meanwhile, or taken by another worker after a lost lease, is
    not overwritten.
    """
    if not outcomes:
        return set()
    query = select(Run.id).where(
        Run.id.in_([o["run_id"] for o in outcomes]),
        Run.status.in_(ACTIVE_RUN_STATUSES),
        Run.worker_id == worker_id,
    )
    if postgres:
        query = query.with_for_update()
    owned = {row[0] for row in await session.execute(query)}
    mine = [o for o in outcomes if o["run_id"] in owned]
    if mine:
        statement = (
            update(Run)
            .where(Run.id == bindparam("run_id"))
            .values(
                status=bindparam("status"),
                attempt=bindparam("attempt"),
                started_at=func.coalesce(Run.started_at, bindparam("started_at")),
                finished_at=bindparam("finished_at"),
                not_before=bindparam("not_before"),
                output=bindparam("output"),
                result=bindparam("result"),
                error=bindparam("error"),
                usage=bindparam("usage"),
                lease_expires_at=None,
            )
        )
        connection = await session.connection()
        await connection.execute(statement, mine)
    return owned


async def complete_tasks(session: AsyncSession, task_ids: Sequence[int], now: datetime) -> None:
    """Mark tasks whose goal was reached as completed."""
    if task_ids:
        await session.execute(
            update(Task)
            .where(Task.id.in_(task_ids), Task.status.in_([TaskStatus.ACTIVE, TaskStatus.PAUSED]))
            .values(status=TaskStatus.COMPLETED, next_run_at=None, updated_at=now)
        )


async def renew_leases(
    session: AsyncSession, run_ids: Sequence[int], now: datetime, lease: timedelta, worker_id: str
) -> set[int]:
    """Extend the leases of runs this worker still holds; the ids still held."""
    if not run_ids:
        return set()
    renewed = await session.execute(
        update(Run)
        .where(
            Run.id.in_(run_ids),
            Run.status.in_(ACTIVE_RUN_STATUSES),
            Run.worker_id == worker_id,
        )
        .values(lease_expires_at=now + lease)
        .returning(Run.id)
    )
    return {row[0] for row in renewed}


async def recover_expired(
    session: AsyncSession, now: datetime, *, every_running: bool = False
) -> int:
    """Runs whose worker vanished: retried while attempts remain, else failed.

    A run's worker vanished when its lease expired, or, with ``every_running``, for
    every running run (a process that alone may run this store is starting; it
    also releases the runs held but not started, which otherwise wait for their
    leases to run out).
    """
    if every_running:
        await session.execute(
            update(Run)
            .where(Run.status.in_(TAKEABLE), Run.lease_expires_at.is_not(None))
            .values(lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )
    expired = (
        Run.status == RunStatus.RUNNING
        if every_running
        else and_(Run.status == RunStatus.RUNNING, Run.lease_expires_at < now)
    )
    exhausted = select(Task.max_attempts).where(Task.id == Run.task_id).scalar_subquery()
    failed = await session.execute(
        update(Run)
        .where(expired, Run.attempt >= exhausted)
        .values(
            status=RunStatus.FAILED,
            finished_at=now,
            lease_expires_at=None,
            error="the worker running it stopped; no attempts left",
        )
        .execution_options(synchronize_session=False)
    )
    retried = await session.execute(
        update(Run)
        .where(expired)
        .values(
            status=RunStatus.RETRYING,
            not_before=now,
            lease_expires_at=None,
            worker_id=None,
            error="the worker running it stopped; retrying",
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(failed, "rowcount", 0) or 0) + int(getattr(retried, "rowcount", 0) or 0)


async def dispatchable_runs(
    session: AsyncSession, now: datetime, exclude: set[int], limit: int
) -> list[int]:
    """Waiting runs that are due and not already handed to this process's executor."""
    query = (
        select(Run.id)
        .where(Run.status.in_(TAKEABLE), Run.not_before <= now, unclaimed(now))
        .order_by(Run.not_before)
        .limit(limit + len(exclude))
    )
    ids = [row[0] for row in await session.execute(query)]
    return [run_id for run_id in ids if run_id not in exclude][:limit]


def next_wake_queries(now: datetime) -> tuple[Select[Any], Select[Any]]:
    """The next task occurrence, and the next start of a run waiting in the store.

    Waiting runs already due are the sweep's business, and runs a worker holds are
    that worker's: neither counts here.
    """
    return (
        select(func.min(Task.next_run_at)).where(Task.status == TaskStatus.ACTIVE),
        select(func.min(Run.not_before)).where(
            Run.status.in_(TAKEABLE), Run.not_before > now, unclaimed(now)
        ),
    )


async def next_wake(
    session: AsyncSession, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """See ``next_wake_queries``."""
    tasks, runs = next_wake_queries(now)
    return await session.scalar(tasks), await session.scalar(runs)
