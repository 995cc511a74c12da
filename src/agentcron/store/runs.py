"""Runs in the SQL store: written by the scheduler, claimed and finished by workers.

Hot paths use Core statements and executemany, so a burst of thousands of occurrences
costs a few round trips, not one transaction per row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)

from agentcron.domain import (
    ACTIVE_RUN_STATUSES,
    CLAIMABLE_RUN_STATUSES,
    ClaimedRun,
    Outcome,
    OverlapPolicy,
    RunStatus,
    WrittenRun,
)
from agentcron.store._rows import RUNS, TASKS, Sql, run_view, storable_id, upsert_into
from agentcron.views import RunView

_CLAIMED_TASK_COLUMNS = (
    TASKS.c.owner_id, TASKS.c.title, TASKS.c.action, TASKS.c.payload, TASKS.c.timezone,
    TASKS.c.timeout_seconds, TASKS.c.max_attempts, TASKS.c.backoff_seconds,
    TASKS.c.backoff_max_seconds, TASKS.c.overlap_policy,
)  # fmt: skip


def unclaimed(now: datetime) -> ColumnElement[bool]:
    """No worker owns the run: it never had a lease, or its lease ran out."""
    return or_(RUNS.c.lease_expires_at.is_(None), RUNS.c.lease_expires_at < now)


class SqlRuns:
    def __init__(self, session: Sql, sqlite: bool) -> None:
        self._session = session
        self._sqlite = sqlite

    # the service's

    async def get(self, owner: str, run_id: int) -> RunView | None:
        if not storable_id(run_id):
            return None
        query = (
            select(RUNS)
            .join(TASKS, TASKS.c.id == RUNS.c.task_id)
            .where(RUNS.c.id == run_id, TASKS.c.owner_id == owner)
        )
        row = (await self._session.execute(query)).first()
        return run_view(row) if row is not None else None

    async def list_for_task(self, task_id: int, limit: int) -> list[RunView]:
        query = (
            select(RUNS)
            .where(RUNS.c.task_id == task_id)
            .order_by(RUNS.c.scheduled_for.desc(), RUNS.c.id.desc())
            .limit(limit)
        )
        return [run_view(row) for row in await self._session.execute(query)]

    async def recent_outputs(
        self, task_id: int, limit: int, exclude_run: int | None
    ) -> list[RunView]:
        if limit <= 0:
            return []
        query = (
            select(RUNS)
            .where(
                RUNS.c.task_id == task_id,
                RUNS.c.status == RunStatus.SUCCEEDED,
                RUNS.c.output.is_not(None),
            )
            .order_by(RUNS.c.finished_at.desc(), RUNS.c.id.desc())
            .limit(limit)
        )
        if exclude_run is not None:
            query = query.where(RUNS.c.id != exclude_run)
        return [run_view(row) for row in await self._session.execute(query)]

    async def add(self, run: dict[str, Any]) -> RunView:
        row = (await self._session.execute(insert(RUNS).values(run).returning(*RUNS.c))).one()
        return run_view(row)

    async def requeue(self, run_id: int, now: datetime, reason: str) -> None:
        await self._session.execute(
            update(RUNS)
            .where(RUNS.c.id == run_id)
            .values(
                status=RunStatus.QUEUED,
                not_before=now,
                error=None,
                finished_at=None,
                reason=reason,
            )
        )

    async def cancel_waiting(self, task_id: int, now: datetime, reason: str) -> int:
        result = await self._session.execute(
            update(RUNS)
            .where(RUNS.c.task_id == task_id, RUNS.c.status.in_(ACTIVE_RUN_STATUSES))
            .values(status=RunStatus.CANCELLED, finished_at=now, reason=reason)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    # the scheduler's

    async def busy_task_ids(self, task_ids: Sequence[int]) -> set[int]:
        if not task_ids:
            return set()
        rows = await self._session.execute(
            select(RUNS.c.task_id)
            .where(RUNS.c.task_id.in_(task_ids), RUNS.c.status.in_(ACTIVE_RUN_STATUSES))
            .distinct()
        )
        return {row[0] for row in rows}

    async def write_planned(self, runs: Sequence[dict[str, Any]]) -> list[WrittenRun]:
        if not runs:
            return []
        insert_ = upsert_into(RUNS, self._sqlite)
        statement = insert_.on_conflict_do_nothing(
            index_elements=[RUNS.c.task_id, RUNS.c.scheduled_for]
        ).returning(
            RUNS.c.id, RUNS.c.task_id, RUNS.c.scheduled_for, RUNS.c.status, RUNS.c.not_before,
            RUNS.c.worker_id,
        )  # fmt: skip
        result = await self._session.execute(statement, list(runs))
        return [WrittenRun(**row._mapping) for row in result]

    async def dispatchable(self, now: datetime, limit: int) -> list[int]:
        query = (
            select(RUNS.c.id)
            .where(
                RUNS.c.status.in_(CLAIMABLE_RUN_STATUSES),
                RUNS.c.not_before <= now,
                unclaimed(now),
            )
            .order_by(RUNS.c.not_before)
            .limit(limit)
        )
        return [row[0] for row in await self._session.execute(query)]

    async def next_start(self, now: datetime) -> datetime | None:
        start: datetime | None = await self._session.scalar(next_start_query(now))
        return start

    async def recover_expired(self, now: datetime, *, every_running: bool = False) -> int:
        if every_running:
            await self._session.execute(
                update(RUNS)
                .where(
                    RUNS.c.status.in_(CLAIMABLE_RUN_STATUSES),
                    RUNS.c.lease_expires_at.is_not(None),
                )
                .values(lease_expires_at=None)
            )
        expired = (
            RUNS.c.status == RunStatus.RUNNING
            if every_running
            else and_(RUNS.c.status == RunStatus.RUNNING, RUNS.c.lease_expires_at < now)
        )
        exhausted = (
            select(TASKS.c.max_attempts).where(TASKS.c.id == RUNS.c.task_id).scalar_subquery()
        )
        failed = await self._session.execute(
            update(RUNS)
            .where(expired, RUNS.c.attempt >= exhausted)
            .values(
                status=RunStatus.FAILED,
                finished_at=now,
                lease_expires_at=None,
                error="the worker running it stopped; no attempts left",
            )
        )
        retried = await self._session.execute(
            update(RUNS)
            .where(expired)
            .values(
                status=RunStatus.RETRYING,
                not_before=now,
                lease_expires_at=None,
                worker_id=None,
                error="the worker running it stopped; retrying",
            )
        )
        return _count(failed) + _count(retried)

    # the workers'

    async def claim(
        self, run_ids: Sequence[int], now: datetime, lease: timedelta, worker_id: str
    ) -> list[ClaimedRun]:
        if not run_ids:
            return []
        other = RUNS.alias("other")
        queue_task_busy = (
            select(other.c.id)
            .join(TASKS, TASKS.c.id == other.c.task_id)
            .where(
                other.c.task_id == RUNS.c.task_id,
                other.c.id != RUNS.c.id,
                TASKS.c.overlap_policy == OverlapPolicy.QUEUE,
                or_(
                    other.c.status == RunStatus.RUNNING,
                    and_(
                        other.c.status.in_(CLAIMABLE_RUN_STATUSES),
                        other.c.lease_expires_at >= now,
                    ),
                    # an earlier run of the task waits too: it goes first, one at a time
                    and_(
                        other.c.status.in_(CLAIMABLE_RUN_STATUSES),
                        other.c.not_before <= now,
                        or_(
                            other.c.not_before < RUNS.c.not_before,
                            and_(other.c.not_before == RUNS.c.not_before, other.c.id < RUNS.c.id),
                        ),
                    ),
                ),
            )
            .exists()
        )
        claimed = await self._session.execute(
            update(RUNS)
            .where(
                RUNS.c.id.in_(run_ids),
                RUNS.c.status.in_(CLAIMABLE_RUN_STATUSES),
                RUNS.c.not_before <= now,
                unclaimed(now),
                ~queue_task_busy,
            )
            .values(lease_expires_at=now + lease, worker_id=worker_id)
            .returning(RUNS.c.id, RUNS.c.task_id, RUNS.c.scheduled_for, RUNS.c.attempt)
        )
        runs = claimed.all()
        if not runs:
            return []
        tasks: dict[int, dict[str, Any]] = {
            row.id: dict(row._mapping)
            for row in await self._session.execute(
                select(TASKS.c.id, *_CLAIMED_TASK_COLUMNS).where(
                    TASKS.c.id.in_({run.task_id for run in runs})
                )
            )
        }
        return [
            ClaimedRun(
                **tasks[run.task_id] | {"id": run.id, "task_id": run.task_id},
                scheduled_for=run.scheduled_for,
                attempt=run.attempt + 1,
            )
            for run in runs
        ]

    async def mark_started(self, starts: Sequence[Mapping[str, Any]], worker_id: str) -> None:
        if not starts:
            return
        statement = (
            update(RUNS)
            .where(
                RUNS.c.id == bindparam("run_id"),
                RUNS.c.worker_id == worker_id,
                or_(*(RUNS.c.status == status for status in CLAIMABLE_RUN_STATUSES)),
            )  # executemany: no IN
            .values(
                status=RunStatus.RUNNING,
                attempt=bindparam("attempt"),
                started_at=func.coalesce(RUNS.c.started_at, bindparam("started_at")),
            )
        )
        await self._session.execute(statement, list(starts))

    async def record_outcomes(self, outcomes: Sequence[Outcome], worker_id: str) -> set[int]:
        if not outcomes:
            return set()
        query = select(RUNS.c.id).where(
            RUNS.c.id.in_([o.run.id for o in outcomes]),
            RUNS.c.status.in_(ACTIVE_RUN_STATUSES),
            RUNS.c.worker_id == worker_id,
        )
        if not self._sqlite:
            query = query.with_for_update()
        owned = {row[0] for row in await self._session.execute(query)}
        mine = [_outcome_row(o) for o in outcomes if o.run.id in owned]
        if mine:
            statement = (
                update(RUNS)
                .where(RUNS.c.id == bindparam("run_id"))
                .values(
                    status=bindparam("status"),
                    attempt=bindparam("attempt"),
                    started_at=func.coalesce(RUNS.c.started_at, bindparam("started_at")),
                    finished_at=bindparam("finished_at"),
                    not_before=bindparam("not_before"),
                    output=bindparam("output"),
                    result=bindparam("result"),
                    error=bindparam("error"),
                    usage=bindparam("usage"),
                    lease_expires_at=None,
                )
            )
            await self._session.execute(statement, mine)
        return owned

    async def renew_leases(
        self, run_ids: Sequence[int], now: datetime, lease: timedelta, worker_id: str
    ) -> set[int]:
        if not run_ids:
            return set()
        renewed = await self._session.execute(
            update(RUNS)
            .where(
                RUNS.c.id.in_(run_ids),
                RUNS.c.status.in_(ACTIVE_RUN_STATUSES),
                RUNS.c.worker_id == worker_id,
            )
            .values(lease_expires_at=now + lease)
            .returning(RUNS.c.id)
        )
        return {row[0] for row in renewed}


def next_start_query(now: datetime) -> Select[tuple[datetime | None]]:
    """The next start of a run waiting in the store; due ones are the sweep's business and
    claimed ones their worker's, so neither counts."""
    return select(func.min(RUNS.c.not_before)).where(
        RUNS.c.status.in_(CLAIMABLE_RUN_STATUSES), RUNS.c.not_before > now, unclaimed(now)
    )


def _outcome_row(outcome: Outcome) -> dict[str, Any]:
    return {
        "run_id": outcome.run.id,
        "status": outcome.status.value,
        "attempt": outcome.run.attempt,
        "started_at": outcome.started_at,
        "finished_at": outcome.finished_at,
        "not_before": outcome.not_before,
        "output": outcome.output,
        "result": outcome.result,
        "error": outcome.error,
        "usage": outcome.usage,
    }


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
