"""Rows to views, and the checks every repository shares."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    CursorResult,
    Dialect,
    Executable,
    Row,
    Table,
    any_,
    bindparam,
)

from agentcron.store import models
from agentcron.views import (
    AttemptView,
    ChannelView,
    DeliveryView,
    RunView,
    TaskView,
    UserView,
    WorkerView,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

TASKS: Final[Table] = models.tasks
RUNS: Final[Table] = models.runs
USERS: Final[Table] = models.users
CONVERSATIONS: Final[Table] = models.conversations
ATTEMPTS: Final[Table] = models.run_attempts
WORKERS: Final[Table] = models.workers
QUEUE_DEPTHS: Final[Table] = models.queue_depths
CHANNELS: Final[Table] = models.channels
DELIVERIES: Final[Table] = models.deliveries
EVENTS: Final[Table] = models.events

MAX_ID: Final = 2**63 - 1
"""The largest id either database stores; a larger one names nothing."""


def storable_id(value: int) -> bool:
    """Whether ``value`` can be an id (so that the driver is never asked to overflow)."""
    return 0 < value <= MAX_ID


V = TypeVar("V")


class _ViewOf(Generic[V]):
    """Builds a view from a row. A row of the view's table in its column order (as
    ``select(TABLE)`` and ``RETURNING *`` give it) goes in by position, which costs half
    of going in by name; any other row (a join, some columns) by name."""

    __slots__ = ("_fields", "_view")

    def __init__(self, view: Callable[..., V]) -> None:
        self._view = view
        self._fields: tuple[str, ...] = tuple(view.__dataclass_fields__)  # type: ignore[attr-defined]

    def __call__(self, row: Row[Any]) -> V:
        names = row._fields
        if names == self._fields[: len(names)]:
            return self._view(*row)
        return self._view(**row._mapping)


task_view: Final = _ViewOf(TaskView)
run_view: Final = _ViewOf(RunView)
user_view: Final = _ViewOf(UserView)
attempt_view: Final = _ViewOf(AttemptView)
channel_view: Final = _ViewOf(ChannelView)
delivery_view: Final = _ViewOf(DeliveryView)
worker_view: Final = _ViewOf(WorkerView)


IN_PLACE_ROWS: Final = 32
"""Up to this many rows, a SQLite statement runs in place; a larger batch runs in a thread."""


class Sql:
    """One connection's statements. On SQLite it is a plain connection of the in-place driver:
    a statement is called directly (no greenlet, no event-loop round trip, so it costs what
    SQLAlchemy and SQLite cost), except a batch of many rows, which runs in a thread: SQLite
    releases the GIL while it works, so the event loop starts and finishes runs meanwhile (a
    burst's 500-run writes would otherwise hold it). On PostgreSQL it is an async connection
    (psycopg awaits)."""

    __slots__ = ("_connection",)

    def __init__(self, connection: AsyncConnection | Connection) -> None:
        self._connection = connection

    async def execute(self, statement: Executable, parameters: Any = None) -> CursorResult[Any]:
        if not isinstance(self._connection, Connection):
            return await self._connection.execute(statement, parameters)
        if isinstance(parameters, list) and len(parameters) > IN_PLACE_ROWS:
            return await asyncio.to_thread(self._connection.execute, statement, parameters)
        return self._connection.execute(statement, parameters)

    async def scalar(self, statement: Executable) -> Any:
        return (await self.execute(statement)).scalar()

    @property
    def dialect(self) -> Dialect:
        return self._connection.dialect

    @property
    def sqlite(self) -> bool:
        return self._connection.dialect.name == "sqlite"

    async def execute_many(self, statement: str, rows: list[tuple[Any, ...]]) -> None:
        """One driver statement for each row, values as the driver takes them (on SQLite a
        batch of many rows in a thread, as in ``execute``)."""
        if not isinstance(self._connection, Connection):
            await self._connection.exec_driver_sql(statement, rows)
        elif len(rows) > IN_PLACE_ROWS:
            await asyncio.to_thread(self._connection.exec_driver_sql, statement, rows)
        else:
            self._connection.exec_driver_sql(statement, rows)


def among(column: ColumnElement[Any], values: Iterable[Any], sqlite: bool) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL ``column = ANY(one array parameter)``: a prepared
    statement's generic plan for an IN list of hundreds of parameters may filter every row
    of the table against the list, and the array keeps the primary key's index in use."""
    listed = list(values)
    if sqlite:
        return column.in_(listed)
    from sqlalchemy.dialects.postgresql import ARRAY  # noqa: PLC0415

    array = bindparam(f"among_{column.key}", listed, type_=ARRAY(column.type), unique=True)
    return column == any_(array)


def unnested(columns: Mapping[str, str]) -> str:
    """PostgreSQL: ``unnest(...) AS u(...)`` over one array parameter per column (name: SQL
    type), so a batch of hundreds of rows is one short statement with a dozen parameters (a
    VALUES list or an executemany of hundreds costs more to build and parse than to run)."""
    arrays = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in columns.items())
    return f"unnest({arrays}) AS u({', '.join(columns)})"


def as_columns(
    rows: Sequence[Mapping[str, Any]], columns: Mapping[str, str]
) -> dict[str, list[Any]]:
    """The arrays for ``unnested(columns)``: enum members as their values (the driver would
    write a bare enum's name), JSON values as their text (None as JSON's null, as the JSON
    column type writes it)."""
    arrays: dict[str, list[Any]] = {}
    for name, kind in columns.items():
        values = [_plain(row[name]) for row in rows]
        if kind == "json":
            values = [json.dumps(value) for value in values]
        arrays[name] = values
    return arrays


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def upsert_into(table: Table, sqlite: bool) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (PostgreSQL's is imported only there)."""
    if sqlite:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert  # noqa: PLC0415

        return sqlite_insert(table)
    from sqlalchemy.dialects.postgresql import insert as pg_insert  # noqa: PLC0415

    return pg_insert(table)
