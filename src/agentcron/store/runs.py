"""Runs in the SQL store: written by the scheduler, claimed and finished by workers.

Hot paths use Core statements and executemany, so a burst of thousands of occurrences
costs a few round trips, not one transaction per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    tuple_,
    update,
)

from agentcron.domain import (
    ACTIVE_RUN_STATUSES,
    ASKED_FOR_TRIGGERS,
    CLAIMABLE_RUN_STATUSES,
    GAVE_UP_ON_LOST_WORKER,
    ClaimedRun,
    Outcome,
    OverlapPolicy,
    PreviousRun,
    RunStatus,
    RunTrigger,
    TaskStatus,
    WrittenRun,
)
from agentcron.store._rows import (
    ATTEMPTS,
    RUNS,
    TASKS,
    Sql,
    among,
    as_columns,
    attempt_view,
    run_view,
    storable_id,
    unnested,
    upsert_into,
)
from agentcron.store._types import UTCDateTime
from agentcron.views import AttemptView, RunView

_CLAIMED_TASK_COLUMNS = (
    TASKS.c.owner_id, TASKS.c.title, TASKS.c.action, TASKS.c.payload, TASKS.c.timezone,
    TASKS.c.timeout_seconds, TASKS.c.max_attempts, TASKS.c.backoff_seconds,
    TASKS.c.backoff_max_seconds, TASKS.c.overlap_policy, TASKS.c.notify_policy,
    TASKS.c.notify, TASKS.c.urgent,
)  # fmt: skip


def unclaimed(now: datetime) -> ColumnElement[bool]:
    """No worker owns the run: it never had a lease, or its lease ran out."""
    return or_(RUNS.c.lease_expires_at.is_(None), RUNS.c.lease_expires_at < now)


def may_start() -> ColumnElement[bool]:
    """The run's task lets it start: the task is active, or a person asked for this run.

    A paused task's retries wait for it to be resumed; a cancelled task's runs are
    cancelled with it.
    """
    task_active = (
        select(TASKS.c.id)
        .where(TASKS.c.id == RUNS.c.task_id, TASKS.c.status == TaskStatus.ACTIVE)
        .exists()
    )
    return or_(RUNS.c.trigger.in_(ASKED_FOR_TRIGGERS), task_active)


_LAST_RUN_RANK = (
    func.row_number()
    .over(partition_by=RUNS.c.task_id, order_by=(RUNS.c.scheduled_for.desc(), RUNS.c.id.desc()))
    .label("rank")
)
_RANKED = (
    select(RUNS, _LAST_RUN_RANK)
    .where(
        RUNS.c.task_id.in_(bindparam("task_ids", expanding=True)),
        RUNS.c.status != RunStatus.QUEUED,
    )
    .subquery()
)
_LAST_RUNS = select(*(_RANKED.c[c.name] for c in RUNS.c)).where(_RANKED.c.rank == 1)
"""The last run that is not merely queued of each of some tasks: built once, as a list
asks for it at every page (building it cost about 1.5 ms a call)."""


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

    async def list_for_task(
        self, task_id: int, limit: int, *, after_run: int | None = None
    ) -> list[RunView]:
        query = (
            select(RUNS)
            .where(RUNS.c.task_id == task_id)
            .order_by(RUNS.c.scheduled_for.desc(), RUNS.c.id.desc())
            .limit(limit)
        )
        if after_run is not None:  # a key, not an offset: runs added meanwhile shift nothing
            mark = (
                await self._session.execute(
                    select(RUNS.c.scheduled_for).where(
                        RUNS.c.id == after_run, RUNS.c.task_id == task_id
                    )
                )
            ).scalar()
            if mark is None:
                return []  # not a run of this task: no page follows it
            key = tuple_(bindparam("mark", mark, type_=UTCDateTime()), after_run)
            query = query.where(tuple_(RUNS.c.scheduled_for, RUNS.c.id) < key)
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

    async def spent(self, owner: str, since: datetime, until: datetime) -> tuple[int, float]:
        usage = RUNS.c.usage
        tokens = usage["input_tokens"].as_integer() + usage["output_tokens"].as_integer()
        query = (
            select(
                func.coalesce(func.sum(tokens), 0),
                func.coalesce(func.sum(usage["cost"].as_float()), 0.0),
            )
            .join(TASKS, TASKS.c.id == RUNS.c.task_id)
            .where(
                TASKS.c.owner_id == owner,
                usage.is_not(None),
                RUNS.c.finished_at >= since,
                RUNS.c.finished_at < until,
            )
        )
        row: Any = (await self._session.execute(query)).one()
        return int(row[0]), float(row[1])

    async def add(self, run: dict[str, Any]) -> RunView:
        row = (await self._session.execute(insert(RUNS).values(run).returning(*RUNS.c))).one()
        return run_view(row)

    async def add_many(self, runs: Sequence[dict[str, Any]]) -> None:
        if runs:
            await self._session.execute(insert(RUNS), list(runs))

    async def of_followed(self, followed_run_ids: Sequence[int]) -> dict[tuple[int, int], str]:
        """The runs made by these runs' ends: their status by (task, followed run)."""
        if not followed_run_ids:
            return {}
        rows = await self._session.execute(
            select(RUNS.c.task_id, RUNS.c.followed_run_id, RUNS.c.status).where(
                among(RUNS.c.followed_run_id, followed_run_ids, self._sqlite)
            )
        )
        return {(row.task_id, row.followed_run_id): row.status for row in rows}

    async def revive_skipped(self, task_id: int, followed_run_id: int, now: datetime) -> None:
        """A follower's run skipped because the run it followed failed, queued after all:
        that run, retried by hand, succeeded."""
        await self._session.execute(
            update(RUNS)
            .where(
                RUNS.c.task_id == task_id,
                RUNS.c.followed_run_id == followed_run_id,
                RUNS.c.status == RunStatus.SKIPPED,
            )
            .values(
                status=RunStatus.QUEUED,
                reason=None,
                not_before=now,
                queued_at=now,
                finished_at=None,
            )
        )

    async def previous(self, run_id: int) -> PreviousRun | None:
        """What a follower's run is told of the run it follows."""
        row = (
            await self._session.execute(
                select(
                    RUNS.c.id, RUNS.c.task_id, RUNS.c.status, RUNS.c.scheduled_for,
                    RUNS.c.finished_at, RUNS.c.output,
                ).where(RUNS.c.id == run_id)
            )
        ).first()  # fmt: skip
        if row is None:
            return None
        return PreviousRun(row.id, row.task_id, row.status, row.scheduled_for, row.finished_at,
                           row.output)  # fmt: skip

    async def requeue(self, run_id: int, now: datetime, reason: str) -> None:
        await self._session.execute(
            update(RUNS)
            .where(RUNS.c.id == run_id)
            .values(
                status=RunStatus.QUEUED,
                trigger=RunTrigger.RETRY,
                not_before=now,
                error=None,
                finished_at=None,
                lease_expires_at=None,
                worker_id=None,
                reason=reason,
                dispatched_at=None,
            )
        )

    async def cancel_waiting(self, task_id: int, now: datetime, reason: str) -> list[RunView]:
        cancelled = await self._session.execute(
            update(RUNS)
            .where(RUNS.c.task_id == task_id, RUNS.c.status.in_(ACTIVE_RUN_STATUSES))
            .values(
                status=RunStatus.CANCELLED, finished_at=now, reason=reason, lease_expires_at=None
            )
            .returning(*RUNS.c)
        )
        runs = [run_view(row) for row in cancelled]
        stopped = [run.id for run in runs if run.started_at is not None]
        if stopped:
            await self._end_open_attempts(stopped, now, RunStatus.CANCELLED, reason)
        return runs

    async def withdraw_planned(self, task_id: int) -> list[datetime]:
        withdrawn = await self._session.execute(
            delete(RUNS)
            .where(
                RUNS.c.task_id == task_id,
                RUNS.c.status == RunStatus.QUEUED,
                RUNS.c.trigger == RunTrigger.SCHEDULE,
                RUNS.c.started_at.is_(None),
            )
            .returning(RUNS.c.scheduled_for)
        )
        return sorted(row[0] for row in withdrawn)

    async def last_for_tasks(self, task_ids: Sequence[int]) -> dict[int, RunView]:
        if not task_ids:
            return {}
        rows = await self._session.execute(_LAST_RUNS, {"task_ids": list(task_ids)})
        return {row.task_id: run_view(row) for row in rows}

    async def recent(
        self,
        owner: str,
        *,
        statuses: Sequence[str] | None,
        since: datetime | None,
        limit: int,
    ) -> list[RunView]:
        query = (
            select(RUNS)
            .join(TASKS, TASKS.c.id == RUNS.c.task_id)
            .where(TASKS.c.owner_id == owner)
            .order_by(RUNS.c.scheduled_for.desc(), RUNS.c.id.desc())
            .limit(limit)
        )
        if statuses:
            query = query.where(RUNS.c.status.in_(list(statuses)))
        if since is not None:
            query = query.where(RUNS.c.scheduled_for >= since)
        return [run_view(row) for row in await self._session.execute(query)]

    async def count_by_status(self, owner: str, since: datetime) -> dict[str, int]:
        rows = await self._session.execute(
            select(RUNS.c.status, func.count().label("n"))
            .join(TASKS, TASKS.c.id == RUNS.c.task_id)
            .where(
                TASKS.c.owner_id == owner,
                or_(RUNS.c.status.in_(ACTIVE_RUN_STATUSES), RUNS.c.scheduled_for >= since),
            )
            .group_by(RUNS.c.status)
        )
        return {row.status: int(row.n) for row in rows}

    async def oldest_waiting(self, owner: str, now: datetime) -> RunView | None:
        row = (
            await self._session.execute(
                select(RUNS)
                .join(TASKS, TASKS.c.id == RUNS.c.task_id)
                .where(
                    TASKS.c.owner_id == owner,
                    RUNS.c.status.in_(CLAIMABLE_RUN_STATUSES),
                    RUNS.c.not_before <= now,
                )
                .order_by(RUNS.c.not_before, RUNS.c.id)
                .limit(1)
            )
        ).first()
        return run_view(row) if row is not None else None

    async def attempts(self, run_id: int) -> list[AttemptView]:
        query = select(ATTEMPTS).where(ATTEMPTS.c.run_id == run_id).order_by(ATTEMPTS.c.attempt)
        return [attempt_view(row) for row in await self._session.execute(query)]

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
        if not self._sqlite:
            return await self._write_planned_unnested(runs)
        insert_ = upsert_into(RUNS, self._sqlite)
        statement = insert_.on_conflict_do_nothing(
            index_elements=[RUNS.c.task_id, RUNS.c.scheduled_for]
        ).returning(
            RUNS.c.id, RUNS.c.task_id, RUNS.c.scheduled_for, RUNS.c.status, RUNS.c.not_before,
            RUNS.c.worker_id,
        )  # fmt: skip
        result = await self._session.execute(statement, list(runs))
        return [WrittenRun(**row._mapping) for row in result]

    async def _write_planned_unnested(self, runs: Sequence[dict[str, Any]]) -> list[WrittenRun]:
        """PostgreSQL: one column array per field, so a batch of hundreds of runs is a short
        statement with a dozen parameters (a multi-row VALUES list of thousands of parameters
        costs more to build and parse than to insert)."""
        result = await self._session.execute(_INSERT_PLANNED, as_columns(runs, _PLANNED_COLUMNS))
        return [
            WrittenRun(
                id=row.id,
                task_id=row.task_id,
                scheduled_for=row.scheduled_for.astimezone(UTC),
                status=row.status,
                not_before=row.not_before.astimezone(UTC),
                worker_id=row.worker_id,
            )
            for row in result
        ]

    async def dispatchable(self, now: datetime, limit: int) -> list[int]:
        query = (
            select(RUNS.c.id)
            .where(
                RUNS.c.status.in_(CLAIMABLE_RUN_STATUSES),
                RUNS.c.not_before <= now,
                unclaimed(now),
                may_start(),
            )
            .order_by(RUNS.c.not_before)
            .limit(limit)
        )
        return [row[0] for row in await self._session.execute(query)]

    async def next_start(self, now: datetime) -> datetime | None:
        start: datetime | None = await self._session.scalar(next_start_query(now))
        return start

    async def recover_expired(
        self, now: datetime, *, every_running: bool = False
    ) -> tuple[int, list[ClaimedRun]]:
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
        lost = [row[0] for row in await self._session.execute(select(RUNS.c.id).where(expired))]
        if not lost:
            return 0, []
        await self._lock_tasks_of(lost)
        await self._end_open_attempts(lost, now, "lost", "the worker running it stopped")
        exhausted = (
            select(TASKS.c.max_attempts).where(TASKS.c.id == RUNS.c.task_id).scalar_subquery()
        )
        failed = await self._session.execute(
            update(RUNS)
            .where(
                RUNS.c.id.in_(lost), RUNS.c.status == RunStatus.RUNNING, RUNS.c.attempt >= exhausted
            )
            .values(
                status=RunStatus.FAILED,
                finished_at=now,
                lease_expires_at=None,
                error=GAVE_UP_ON_LOST_WORKER,
            )
            .returning(RUNS.c.id, RUNS.c.task_id, RUNS.c.scheduled_for, RUNS.c.attempt)
        )
        failed_runs = failed.all()
        await self._session.execute(
            update(RUNS)
            .where(RUNS.c.id.in_(lost), RUNS.c.status == RunStatus.RUNNING)
            .values(
                status=RunStatus.RETRYING,
                not_before=now,
                lease_expires_at=None,
                worker_id=None,
                error="the worker running it stopped; retrying",
                dispatched_at=None,
            )
        )
        return len(lost), await with_tasks(self._session, failed_runs) if failed_runs else []

    async def next_lease_expiry(self) -> datetime | None:
        expiry: datetime | None = await self._session.scalar(
            select(func.min(RUNS.c.lease_expires_at)).where(RUNS.c.status == RunStatus.RUNNING)
        )
        return expiry

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
            _starting(now, lease, worker_id)
            .where(
                among(RUNS.c.id, run_ids, self._sqlite),
                RUNS.c.status.in_(CLAIMABLE_RUN_STATUSES),
                RUNS.c.not_before <= now,
                unclaimed(now),
                may_start(),
                ~queue_task_busy,
            )
            .returning(
                RUNS.c.id,
                RUNS.c.task_id,
                RUNS.c.scheduled_for,
                RUNS.c.attempt,
                RUNS.c.followed_run_id,
            )
        )
        runs = claimed.all()
        if not runs:
            return []
        await self._open_attempts([(run.id, run.attempt) for run in runs], now, worker_id)
        return await with_tasks(self._session, runs)

    async def begin(
        self, run_ids: Sequence[int], now: datetime, lease: timedelta, worker_id: str
    ) -> dict[int, int]:
        if not run_ids:
            return {}
        starting = (
            _starting(now, lease, worker_id)
            .where(
                among(RUNS.c.id, run_ids, self._sqlite),
                RUNS.c.worker_id == worker_id,
                RUNS.c.status.in_(CLAIMABLE_RUN_STATUSES),
                may_start(),
            )
            .returning(RUNS.c.id, RUNS.c.attempt, RUNS.c.worker_id)
        )
        if not self._sqlite:  # one statement: the runs started and their attempts opened
            started = starting.cte("started")
            opened = await self._session.execute(
                insert(ATTEMPTS)
                .from_select(
                    ["run_id", "attempt", "worker_id", "started_at", "status"],
                    select(
                        started.c.id,
                        started.c.attempt,
                        started.c.worker_id,
                        bindparam("started", now, type_=UTCDateTime()),
                        bindparam("running", RunStatus.RUNNING.value),
                    ),
                )
                .returning(ATTEMPTS.c.run_id, ATTEMPTS.c.attempt)
            )
            return {row.run_id: row.attempt for row in opened}
        begun = await self._session.execute(starting)
        attempts = {row.id: row.attempt for row in begun}
        await self._open_attempts(list(attempts.items()), now, worker_id)
        return attempts

    async def record_outcomes(
        self, outcomes: Sequence[Outcome], worker_id: str, now: datetime
    ) -> set[int]:
        if not outcomes:
            return set()
        await self._lock_tasks_of([o.run.id for o in outcomes])
        query = select(RUNS.c.id, RUNS.c.status).where(
            among(RUNS.c.id, [o.run.id for o in outcomes], self._sqlite),
            RUNS.c.status.in_(ACTIVE_RUN_STATUSES),
            RUNS.c.worker_id == worker_id,
            # a run started from memory (its start comes with its outcome) must still be
            # allowed to start: a paused task's is not recorded
            or_(RUNS.c.status == RunStatus.RUNNING, may_start()),
        )
        if not self._sqlite:
            query = query.with_for_update()
        owned = {row.id: row.status for row in await self._session.execute(query)}
        mine = [o for o in outcomes if o.run.id in owned]
        if not mine:
            return set()
        unstarted = [o for o in mine if owned[o.run.id] != RunStatus.RUNNING]
        if unstarted:
            await self._session.execute(
                insert(ATTEMPTS),
                [
                    {"run_id": o.run.id, "attempt": o.run.attempt, "worker_id": worker_id,
                     "started_at": o.started_at, "status": RunStatus.RUNNING}
                    for o in unstarted
                ],
            )  # fmt: skip
        rows = [_outcome_row(o) for o in mine]
        if self._sqlite:
            await self._session.execute(_RECORD, rows)
        else:  # one statement of column arrays, not one per outcome
            await self._session.execute(_RECORD_UNNESTED, as_columns(rows, _RECORD_COLUMNS))
        await self._end_attempts_as_runs([o.run.id for o in mine], now)
        return set(owned)

    async def renew_leases(
        self, run_ids: Sequence[int], now: datetime, lease: timedelta, worker_id: str
    ) -> set[int]:
        if not run_ids:
            return set()
        renewed = await self._session.execute(
            update(RUNS)
            .where(
                among(RUNS.c.id, run_ids, self._sqlite),
                RUNS.c.status.in_(ACTIVE_RUN_STATUSES),
                RUNS.c.worker_id == worker_id,
                or_(RUNS.c.status == RunStatus.RUNNING, may_start()),
            )
            .values(lease_expires_at=now + lease)
            .returning(RUNS.c.id)
        )
        return {row[0] for row in renewed}

    async def _lock_tasks_of(self, run_ids: Sequence[int]) -> None:
        """Lock the runs' tasks first, in id order (PostgreSQL): a cancel locks its task and
        then its runs, so whoever also ends tasks must take the same order, or deadlock."""
        if self._sqlite:  # one writer at a time already
            return
        of_runs = select(RUNS.c.task_id).where(among(RUNS.c.id, run_ids, self._sqlite))
        await self._session.execute(
            select(TASKS.c.id).where(TASKS.c.id.in_(of_runs)).order_by(TASKS.c.id).with_for_update()
        )

    async def _open_attempts(
        self, attempts: Sequence[tuple[int, int]], now: datetime, worker_id: str
    ) -> None:
        """One attempt row per started run, copied from the runs in one statement."""
        if attempts:
            started = (
                select(
                    RUNS.c.id, RUNS.c.attempt, RUNS.c.worker_id,
                    bindparam("started", now, type_=UTCDateTime()),
                    bindparam("running", RunStatus.RUNNING.value),
                )
                .where(among(RUNS.c.id, [run_id for run_id, _ in attempts], self._sqlite))
            )  # fmt: skip
            await self._session.execute(
                insert(ATTEMPTS).from_select(
                    ["run_id", "attempt", "worker_id", "started_at", "status"], started
                )
            )

    async def _end_attempts_as_runs(self, run_ids: Sequence[int], now: datetime) -> None:
        """End the open attempts of runs whose outcome was just written, as their runs say:
        one statement for the batch. An attempt that leaves its run retrying failed, now."""
        run = RUNS.alias("ended")

        def of_run(column: ColumnElement[Any]) -> Any:
            return select(column).where(run.c.id == ATTEMPTS.c.run_id).scalar_subquery()

        status = of_run(run.c.status)
        await self._session.execute(
            update(ATTEMPTS)
            .where(
                among(ATTEMPTS.c.run_id, run_ids, self._sqlite), ATTEMPTS.c.finished_at.is_(None)
            )
            .values(
                status=case((status == RunStatus.RETRYING, RunStatus.FAILED.value), else_=status),
                finished_at=func.coalesce(
                    of_run(run.c.finished_at), bindparam("ended", now, type_=UTCDateTime())
                ),
                error=of_run(run.c.error),
            )
        )

    async def _end_open_attempts(
        self, run_ids: Sequence[int], now: datetime, status: str, error: str
    ) -> None:
        await self._session.execute(
            update(ATTEMPTS)
            .where(
                among(ATTEMPTS.c.run_id, run_ids, self._sqlite), ATTEMPTS.c.finished_at.is_(None)
            )
            .values(finished_at=now, status=status, error=error)
        )


async def with_tasks(session: Sql, runs: Sequence[Row[Any]]) -> list[ClaimedRun]:
    """Runs (rows of id, task_id, scheduled_for, attempt, and followed_run_id where the run
    may be a follower's) with their tasks' fields."""
    tasks: dict[int, dict[str, Any]] = {
        row.id: dict(row._mapping) | {"notify": tuple(row.notify or ())}
        for row in await session.execute(
            select(TASKS.c.id, *_CLAIMED_TASK_COLUMNS).where(
                among(TASKS.c.id, {run.task_id for run in runs}, session.sqlite)
            )
        )
    }
    return [
        ClaimedRun(
            **tasks[run.task_id] | {"id": run.id, "task_id": run.task_id},
            scheduled_for=run.scheduled_for,
            attempt=run.attempt,
            followed_run_id=getattr(run, "followed_run_id", None),
        )
        for run in runs
    ]


_PLANNED_COLUMNS: dict[str, str] = {
    "task_id": "bigint", "scheduled_for": "timestamptz", "trigger": "varchar",
    "status": "varchar", "reason": "text", "attempt": "integer", "not_before": "timestamptz",
    "queued_at": "timestamptz", "finished_at": "timestamptz", "worker_id": "varchar",
    "lease_expires_at": "timestamptz",
}  # fmt: skip
_INSERT_PLANNED = text(
    f"INSERT INTO runs ({', '.join(_PLANNED_COLUMNS)}) SELECT * FROM {unnested(_PLANNED_COLUMNS)} "
    "ON CONFLICT (task_id, scheduled_for) DO NOTHING "
    "RETURNING id, task_id, scheduled_for, status, not_before, worker_id"
)


def _starting(now: datetime, lease: timedelta, worker_id: str) -> Any:
    """The UPDATE that starts runs: a new attempt, under a lease, committed before the
    action's first side effect. The first start is kept: lateness is the first attempt's."""
    return update(RUNS).values(
        status=RunStatus.RUNNING,
        attempt=RUNS.c.attempt + 1,
        started_at=func.coalesce(RUNS.c.started_at, bindparam("now", now, type_=UTCDateTime())),
        lease_expires_at=now + lease,
        worker_id=worker_id,
    )


def next_start_query(now: datetime) -> Select[tuple[datetime | None]]:
    """The next start of a run waiting in the store; due ones are the sweep's business and
    claimed ones their worker's, so neither counts."""
    return select(func.min(RUNS.c.not_before)).where(
        RUNS.c.status.in_(CLAIMABLE_RUN_STATUSES),
        RUNS.c.not_before > now,
        unclaimed(now),
        may_start(),
    )


_RECORD = (
    update(RUNS)
    .where(RUNS.c.id == bindparam("run_id"))
    .values(
        status=bindparam("status"),
        attempt=bindparam("number"),
        started_at=func.coalesce(RUNS.c.started_at, bindparam("first_start", type_=UTCDateTime())),
        finished_at=bindparam("finished_at"),
        not_before=bindparam("not_before"),
        output=bindparam("output"),
        result=bindparam("result"),
        error=bindparam("error"),
        usage=bindparam("usage"),
        lease_expires_at=None,
        dispatched_at=None,  # a retry is handed over again when it comes due
    )
)
"""An attempt's outcome; its start too, for a run started from memory (the first start
is kept: lateness is the first attempt's)."""


_RECORD_COLUMNS: dict[str, str] = {
    "run_id": "bigint", "number": "integer", "first_start": "timestamptz", "status": "varchar",
    "finished_at": "timestamptz", "not_before": "timestamptz", "output": "text",
    "result": "json", "error": "text", "usage": "json",
}  # fmt: skip
_RECORD_UNNESTED = text(
    "UPDATE runs SET status = u.status, attempt = u.number, "
    "started_at = coalesce(runs.started_at, u.first_start), finished_at = u.finished_at, "
    "not_before = u.not_before, output = u.output, result = u.result, error = u.error, "
    "usage = u.usage, lease_expires_at = NULL, dispatched_at = NULL "
    f"FROM {unnested(_RECORD_COLUMNS)} WHERE runs.id = u.run_id"
)
"""``_RECORD`` for a batch on PostgreSQL."""


def _outcome_row(outcome: Outcome) -> dict[str, Any]:
    return {
        "run_id": outcome.run.id,
        "number": outcome.run.attempt,
        "first_start": outcome.started_at,
        "status": outcome.status.value,
        "finished_at": outcome.finished_at,
        "not_before": outcome.not_before,
        "output": outcome.output,
        "result": outcome.result,
        "error": outcome.error,
        "usage": outcome.usage,
    }


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
