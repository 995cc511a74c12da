"""Handing runs to workers in other processes (the distributed shape), in the SQL store.

The runs table is its own outbox: a run waiting with ``dispatched_at`` unset has not
been handed to the broker yet. A scheduler sends its id, then marks it dispatched, in
the transaction that locked it (``FOR UPDATE SKIP LOCKED``: two schedulers never send
the same run at once, and a crash before the commit only sends it again). A worker
receiving ids reserves what is still waiting under its lease, in one conditional
update; a message for a run that is finished, cancelled or held by a live lease
reserves nothing. A run dispatched and never reserved (its message lost) is found by
its age and dispatched again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, text, update

from agentcron.domain import (
    ASKED_FOR_TRIGGERS,
    CLAIMABLE_RUN_STATUSES,
    ClaimedRun,
    OverlapPolicy,
    RunStatus,
    TaskStatus,
)
from agentcron.store._rows import RUNS, TASKS, Sql, among
from agentcron.store.runs import may_start, unclaimed, with_tasks

FINISHED_RUN_STATUSES = (
    RunStatus.SUCCEEDED,
    RunStatus.FAILED,
    RunStatus.CANCELLED,
    RunStatus.SKIPPED,
)


class SqlHandover:
    def __init__(self, session: Sql, sqlite: bool) -> None:
        self._session = session
        self._sqlite = sqlite

    # the scheduler's

    async def to_dispatch(
        self, now: datetime, horizon: datetime, limit: int
    ) -> list[tuple[int, str]]:
        query = (
            select(RUNS.c.id, TASKS.c.action)
            .join(TASKS, TASKS.c.id == RUNS.c.task_id)
            .where(
                RUNS.c.status.in_(CLAIMABLE_RUN_STATUSES),
                RUNS.c.dispatched_at.is_(None),
                RUNS.c.not_before <= horizon,
                unclaimed(now),
                or_(RUNS.c.trigger.in_(ASKED_FOR_TRIGGERS), TASKS.c.status == TaskStatus.ACTIVE),
            )
            .order_by(RUNS.c.not_before)
            .limit(limit)
        )
        if not self._sqlite:
            query = query.with_for_update(of=RUNS, skip_locked=True)
        return [(row.id, row.action) for row in await self._session.execute(query)]

    async def mark_dispatched(self, run_ids: Sequence[int], now: datetime) -> None:
        if run_ids:
            await self._session.execute(
                update(RUNS)
                .where(among(RUNS.c.id, run_ids, self._sqlite))
                .values(dispatched_at=now)
            )

    async def next_dispatch(self, now: datetime) -> datetime | None:
        start: datetime | None = await self._session.scalar(
            select(func.min(RUNS.c.not_before)).where(
                RUNS.c.status.in_(CLAIMABLE_RUN_STATUSES),
                RUNS.c.dispatched_at.is_(None),
                unclaimed(now),
                may_start(),
            )
        )
        return start

    async def stale(self, now: datetime, before: datetime) -> list[tuple[int, str]]:
        query = (
            select(RUNS.c.id, TASKS.c.action)
            .join(TASKS, TASKS.c.id == RUNS.c.task_id)
            .where(
                RUNS.c.status.in_(CLAIMABLE_RUN_STATUSES),
                RUNS.c.dispatched_at < before,
                RUNS.c.not_before < before,
                unclaimed(now),
            )
        )
        if not self._sqlite:
            query = query.with_for_update(of=RUNS, skip_locked=True)
        return [(row.id, row.action) for row in await self._session.execute(query)]

    async def hand_over_again(self, run_ids: Sequence[int]) -> int:
        if not run_ids:
            return 0
        again = await self._session.execute(
            update(RUNS)
            .where(
                among(RUNS.c.id, run_ids, self._sqlite),
                RUNS.c.status.in_(CLAIMABLE_RUN_STATUSES),
            )
            .values(dispatched_at=None)
            .returning(RUNS.c.id)
        )
        return len(again.all())

    async def release_lapsed(self, now: datetime) -> int:
        released = await self._session.execute(
            update(RUNS)
            .where(RUNS.c.status.in_(CLAIMABLE_RUN_STATUSES), RUNS.c.lease_expires_at < now)
            .values(worker_id=None, lease_expires_at=None, dispatched_at=None)
            .returning(RUNS.c.id)
        )
        return len(released.all())

    async def release(self, run_ids: Sequence[int], worker_id: str) -> int:
        if not run_ids:
            return 0
        released = await self._session.execute(
            update(RUNS)
            .where(
                among(RUNS.c.id, run_ids, self._sqlite),
                RUNS.c.worker_id == worker_id,
                RUNS.c.status.in_(CLAIMABLE_RUN_STATUSES),
            )
            .values(worker_id=None, lease_expires_at=None, dispatched_at=None)
            .returning(RUNS.c.id)
        )
        return len(released.all())

    async def purge_finished(self, before: datetime, limit: int) -> int:
        old = (
            select(RUNS.c.id)
            .where(RUNS.c.status.in_(FINISHED_RUN_STATUSES), RUNS.c.finished_at < before)
            .limit(limit)
        )
        purged = await self._session.execute(
            delete(RUNS).where(RUNS.c.id.in_(old.scalar_subquery())).returning(RUNS.c.id)
        )
        return len(purged.all())

    async def try_lock(self, key: int) -> bool:
        if self._sqlite:  # one writer at a time already
            return True
        taken = await self._session.execute(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key}
        )
        return bool(taken.scalar())

    # the workers'

    async def reserve(
        self, run_ids: Sequence[int], now: datetime, until: datetime, worker_id: str
    ) -> tuple[list[tuple[ClaimedRun, datetime]], list[tuple[int, datetime]]]:
        if not run_ids:
            return [], []
        waiting = and_(
            among(RUNS.c.id, run_ids, self._sqlite),
            RUNS.c.status.in_(CLAIMABLE_RUN_STATUSES),
            unclaimed(now),
            may_start(),
        )
        queued_behind = (
            select(TASKS.c.id)
            .where(TASKS.c.id == RUNS.c.task_id, TASKS.c.overlap_policy == OverlapPolicy.QUEUE)
            .exists()
        )
        reserved = (
            await self._session.execute(
                update(RUNS)
                .where(waiting, ~queued_behind)
                .values(worker_id=worker_id, lease_expires_at=until)
                .returning(
                    RUNS.c.id,
                    RUNS.c.task_id,
                    RUNS.c.scheduled_for,
                    RUNS.c.attempt,
                    RUNS.c.not_before,
                    RUNS.c.followed_run_id,
                )
            )
        ).all()
        # A task whose runs queue behind each other: its runs are claimed one at a time, as
        # each comes due and the one before it is done (``RunRepository.claim``).
        in_line = await self._session.execute(
            select(RUNS.c.id, RUNS.c.not_before).where(waiting, queued_behind)
        )
        starts = {row.id: row.not_before for row in reserved}
        claimed = await with_tasks(self._session, reserved) if reserved else []
        return (  # the attempt it is about to make (one started from memory records it)
            [(replace(run, attempt=run.attempt + 1), starts[run.id]) for run in claimed],
            [(row.id, row.not_before) for row in in_line],
        )
