"""Tasks in the SQL store: the service's reads and writes, and the scheduler's claims."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any, Final

from sqlalchemy import (
    JSON,
    Dialect,
    Select,
    Text,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    null,
    or_,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.exc import IntegrityError

from agentcron.clock import ensure_utc
from agentcron.domain import ACTIVE_RUN_STATUSES, LIVE_TASK_STATUSES, RunStatus, TaskStatus
from agentcron.errors import DuplicateError
from agentcron.store._rows import (
    ATTEMPTS,
    DELIVERIES,
    MAX_ID,
    RUNS,
    TASKS,
    USERS,
    Sql,
    among,
    as_columns,
    storable_id,
    task_view,
    unnested,
)
from agentcron.views import TaskView, UserView

# Statements built once: building one costs more than SQLite takes to run it.
_GET = select(TASKS).where(
    TASKS.c.id == bindparam("task_id"), TASKS.c.owner_id == bindparam("owner")
)
_GET_FOR_UPDATE = _GET.with_for_update()
_KEYS_PER_QUERY = 500
_ADVANCED_TYPES = {
    "next_run_at": "timestamptz", "status": "varchar", "run_count": "integer",
    "updated_at": "timestamptz",
}  # fmt: skip
"""PostgreSQL types of the columns a scheduler pass moves on (``advance``)."""
"""Idempotency keys looked up per query (SQLite bounds the parameters of a statement)."""
_LARGEST_ID = select(func.max(TASKS.c.id))
_NEW_IDS = text(
    "SELECT nextval(pg_get_serial_sequence('tasks', 'id')) AS id "
    "FROM generate_series(1, :n) ORDER BY id"
)
"""PostgreSQL: ids for ``n`` new tasks, in ascending order (the order of the requests)."""
BindProcessor = Callable[[Any], Any] | None


@cache
def _plain_insert(
    dialect: Dialect, names: tuple[str, ...]
) -> tuple[str, tuple[BindProcessor, ...]]:
    """The driver's INSERT of one task with its id, and how each value is bound (JSON and
    instants as SQLAlchemy's column types bind them)."""
    quote = dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in ("id", *names))
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    marks = ", ".join([mark] * (len(names) + 1))
    statement = f"INSERT INTO {quote(TASKS.name)} ({columns}) VALUES ({marks})"
    processors: tuple[BindProcessor, ...] = tuple(
        TASKS.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    )
    return statement, processors


class SqlTasks:
    def __init__(self, session: Sql, sqlite: bool) -> None:
        self._session = session
        self._sqlite = sqlite

    async def get(self, owner: str, task_id: int, *, for_update: bool = False) -> TaskView | None:
        if not storable_id(task_id):
            return None
        # SQLite: the transaction holds the write lock already
        query = _GET_FOR_UPDATE if for_update and not self._sqlite else _GET
        row = (await self._session.execute(query, {"task_id": task_id, "owner": owner})).first()
        return task_view(row) if row is not None else None

    async def count_runs(self, counts: dict[int, int]) -> None:
        for task_id, count in counts.items():
            await self._session.execute(
                update(TASKS)
                .where(TASKS.c.id == task_id)
                .values(run_count=TASKS.c.run_count + count)
            )

    async def followers(self, task_ids: Sequence[int]) -> list[TaskView]:
        if not task_ids:
            return []
        query = (
            select(TASKS)
            .where(among(TASKS.c.follows_task_id, task_ids, self._sqlite))
            .order_by(TASKS.c.id)
        )
        return [task_view(row) for row in await self._session.execute(query)]

    async def get_with_owner(self, owner: str, task_id: int) -> tuple[TaskView, UserView] | None:
        if not storable_id(task_id):
            return None
        query = (
            select(TASKS, *(c.label(f"user_{c.name}") for c in USERS.c))
            .join(USERS, USERS.c.id == TASKS.c.owner_id)
            .where(TASKS.c.id == task_id, TASKS.c.owner_id == owner)
        )
        row = (await self._session.execute(query)).first()
        if row is None:
            return None
        values = row._mapping
        task = TaskView(**{c.name: values[c] for c in TASKS.c})
        user = UserView(**{c.name: values[f"user_{c.name}"] for c in USERS.c})
        return task, user

    async def by_idempotency_keys(self, owner: str, keys: Sequence[str]) -> dict[str, TaskView]:
        found: dict[str, TaskView] = {}
        wanted = sorted(set(keys))
        for start in range(0, len(wanted), _KEYS_PER_QUERY):
            chunk = wanted[start : start + _KEYS_PER_QUERY]
            query = select(TASKS).where(
                TASKS.c.owner_id == owner, TASKS.c.idempotency_key.in_(chunk)
            )
            for row in await self._session.execute(query):
                task = task_view(row)
                found[str(task.idempotency_key)] = task
        return found

    async def search(
        self,
        owner: str,
        *,
        statuses: Sequence[str] | None,
        text: str | None,
        due_before: datetime | None,
        limit: int,
        offset: int,
    ) -> list[TaskView]:
        query = select(TASKS).where(TASKS.c.owner_id == owner)
        if statuses:
            query = query.where(TASKS.c.status.in_(list(statuses)))
        if text:
            # autoescape: % and _ in the text are letters, not LIKE's wildcards
            query = query.where(func.lower(TASKS.c.title).contains(text.lower(), autoescape=True))
        if due_before is not None:
            query = query.where(TASKS.c.next_run_at <= ensure_utc(due_before))
        # NULLS LAST as PostgreSQL's index keeps them: a page is the index's first rows
        query = query.order_by(TASKS.c.next_run_at.nulls_last(), TASKS.c.id)
        query = query.limit(limit).offset(offset)
        return [task_view(row) for row in await self._session.execute(query)]

    async def add_many(self, tasks: Sequence[dict[str, Any]]) -> list[TaskView]:
        if not tasks:
            return []
        try:
            ids = await self._new_ids(len(tasks))
            names = list(tasks[0])  # every task has the same columns
            statement, processors = _plain_insert(self._session.dialect, tuple(names))
            rows = [
                (task_id, *[
                    task[name] if process is None else process(task[name])
                    for name, process in zip(names, processors, strict=True)
                ])
                for task_id, task in zip(ids, tasks, strict=True)
            ]  # fmt: skip
            await self._session.execute_many(statement, rows)
        except IntegrityError:
            raise DuplicateError("A task with this idempotency key exists already.") from None
        # The stored task is what was given, with its id: no need to read every column back.
        return [TaskView(id=task_id, **task) for task_id, task in zip(ids, tasks, strict=True)]

    async def _new_ids(self, count: int) -> list[int]:
        """Ids for ``count`` new tasks, ascending, taken before the rows are written: one
        INSERT a row then runs as a batch of the driver's (psycopg pipelines it, sqlite3
        steps it in C), where SQLAlchemy's INSERT of many rows with RETURNING is a statement
        of thousands of parameters, which psycopg takes longer to convert than PostgreSQL
        to run. SQLite: the ids it would give (the largest one's successors), known since
        this transaction holds the write lock; PostgreSQL: from the sequence."""
        if self._sqlite:
            largest = int(await self._session.scalar(_LARGEST_ID) or 0)
            return list(range(largest + 1, largest + 1 + count))
        return list((await self._session.execute(_NEW_IDS, {"n": count})).scalars())

    async def update(self, task_id: int, changes: dict[str, Any]) -> None:
        await self._session.execute(update(TASKS).where(TASKS.c.id == task_id).values(changes))

    async def delete(self, task_id: int) -> int:
        # Children first, explicitly: what goes does not depend on a connection enforcing the
        # schema's ON DELETE CASCADE (SQLite does only with foreign keys turned on).
        runs = select(RUNS.c.id).where(RUNS.c.task_id == task_id)
        await self._session.execute(delete(DELIVERIES).where(DELIVERIES.c.run_id.in_(runs)))
        await self._session.execute(delete(ATTEMPTS).where(ATTEMPTS.c.run_id.in_(runs)))
        removed = await self._session.execute(delete(RUNS).where(RUNS.c.task_id == task_id))
        await self._session.execute(delete(TASKS).where(TASKS.c.id == task_id))
        return int(getattr(removed, "rowcount", 0) or 0)

    async def lock_due(self, horizon: datetime, limit: int) -> tuple[list[TaskView], set[int]]:
        query = due_query(horizon, limit)
        if not self._sqlite:  # SQLite: one writer at a time already
            query = query.with_for_update(skip_locked=True)
        tasks, withheld = [], set()
        for row in await self._session.execute(query):
            values = dict(row._mapping)
            if values.pop("payload_withheld"):
                withheld.add(values["id"])
                values["payload"] = {}
            tasks.append(TaskView(**values))
        return tasks, withheld

    async def payloads(self, task_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        if not task_ids:
            return {}
        query = select(TASKS.c.id, TASKS.c.payload).where(
            among(TASKS.c.id, set(task_ids), self._sqlite)
        )
        return {row.id: row.payload for row in await self._session.execute(query)}

    async def advance(self, changes: Sequence[dict[str, Any]]) -> None:
        if not changes:
            return
        columns = [key for key in changes[0] if key != "id"]  # every change sets the same ones
        if not self._sqlite:  # one statement of column arrays
            kinds = {"id": "bigint"} | {column: _ADVANCED_TYPES[column] for column in columns}
            assignments = ", ".join(f"{column} = u.{column}" for column in columns)
            arrays = text(
                f"UPDATE tasks SET {assignments} FROM {unnested(kinds)} WHERE tasks.id = u.id"
            )
            await self._session.execute(arrays, as_columns(changes, kinds))
            return
        statement = (
            update(TASKS)
            .where(TASKS.c.id == bindparam("task_id"))
            .values({column: bindparam(f"new_{column}") for column in columns})
        )
        rows = [
            {"task_id": change["id"]} | {f"new_{c}": change[c] for c in columns}
            for change in changes
        ]
        await self._session.execute(statement, rows)  # one executemany

    async def complete(self, task_ids: Sequence[int], now: datetime) -> None:
        if task_ids:
            await self._session.execute(
                update(TASKS)
                .where(
                    among(TASKS.c.id, task_ids, self._sqlite),
                    TASKS.c.status.in_(LIVE_TASK_STATUSES),
                )
                .values(status=TaskStatus.COMPLETED, next_run_at=None, updated_at=now)
            )

    async def finish(self, task_ids: Sequence[int], now: datetime) -> None:
        if not task_ids:
            return
        outstanding = (
            select(RUNS.c.id)
            .where(RUNS.c.task_id == TASKS.c.id, RUNS.c.status.in_(ACTIVE_RUN_STATUSES))
            .exists()
        )
        last_status = (
            select(RUNS.c.status)
            .where(RUNS.c.task_id == TASKS.c.id, RUNS.c.finished_at.is_not(None))
            .order_by(RUNS.c.finished_at.desc(), RUNS.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        one_off_failed = and_(TASKS.c.schedule_kind == "once", last_status == RunStatus.FAILED)
        await self._session.execute(
            update(TASKS)
            .where(
                among(TASKS.c.id, task_ids, self._sqlite),
                TASKS.c.next_run_at.is_(None),
                TASKS.c.status.in_([TaskStatus.ACTIVE, TaskStatus.FAILED]),
                ~outstanding,
                or_(  # a follower has no next run by nature: it ends only at its max_runs
                    TASKS.c.follows_task_id.is_(None),
                    TASKS.c.run_count >= func.coalesce(TASKS.c.max_runs, MAX_ID),
                ),
            )
            .values(
                status=case((one_off_failed, TaskStatus.FAILED), else_=TaskStatus.COMPLETED),
                updated_at=now,
                version=TASKS.c.version + 1,
            )
        )

    async def count_by_status(self, owner: str) -> dict[str, int]:
        rows = await self._session.execute(
            select(TASKS.c.status, func.count().label("n"))
            .where(TASKS.c.owner_id == owner)
            .group_by(TASKS.c.status)
        )
        return {row.status: int(row.n) for row in rows}

    async def next_due_for(self, owner: str) -> TaskView | None:
        row = (
            await self._session.execute(
                select(TASKS)
                .where(TASKS.c.owner_id == owner, TASKS.c.status == TaskStatus.ACTIVE)
                .where(TASKS.c.next_run_at.is_not(None))
                .order_by(TASKS.c.next_run_at, TASKS.c.id)
                .limit(1)
            )
        ).first()
        return task_view(row) if row is not None else None

    async def next_due(self) -> datetime | None:
        due: datetime | None = await self._session.scalar(next_due_query())
        return due


def next_due_query() -> Select[tuple[datetime | None]]:
    """The earliest next run of an active task (answered by the partial index ix_tasks_due)."""
    return select(func.min(TASKS.c.next_run_at)).where(TASKS.c.status == TaskStatus.ACTIVE)


HELD_PAYLOAD_BYTES: Final = 16_384
"""Payloads up to this size are read with their due task and held until its run starts;
larger ones are read when it starts: a batch of 500 due tasks holds at most 8 MB of them."""


def due_query(horizon: datetime, limit: int) -> Select[Any]:
    """The scheduler's claim of due tasks, as a statement (for query plans)."""
    size = func.length(cast(TASKS.c.payload, Text))
    large = size > HELD_PAYLOAD_BYTES
    payload = type_coerce(case((large, null()), else_=TASKS.c.payload), JSON).label("payload")
    columns = [payload if c.name == "payload" else c for c in TASKS.c]
    return (
        select(*columns, large.label("payload_withheld"))
        .where(TASKS.c.status == TaskStatus.ACTIVE, TASKS.c.next_run_at <= horizon)
        .order_by(TASKS.c.next_run_at)
        .limit(limit)
    )
