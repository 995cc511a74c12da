"""SQLite without a driver thread: the standard library's sqlite3, called in place on the event
loop (the store calls a plain engine directly; SQLAlchemy's async API, which tests use to look
at rows, runs the same driver through its greenlet bridge).

SQLite answers in microseconds; handing every statement to a driver thread (aiosqlite)
costs far more than the statement, in context switches, and more again on a busy machine.
Called in place, a statement never waits on another thread. Only one thing could block the
loop for long: waiting for another process's write lock. ``SqlStore`` never lets that
happen: it keeps the busy timeout to a few milliseconds and waits for the lock with
``asyncio.sleep`` between tries (see ``SqlStore.transaction``).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL

DRIVER = "sqlite+agentcron"
ASYNC_DRIVER = "sqlite+agentcron_async"


class _Cursor(sqlite3.Cursor):
    async def _async_soft_close(self) -> None:
        """What SQLAlchemy's async results call on a driver thread's cursor: rows are
        already here, so there is nothing to wait for."""


class _Connection(sqlite3.Connection):
    def cursor(self, factory: Any = _Cursor) -> Any:
        return super().cursor(factory)


class InlineSQLiteDialect(SQLiteDialect_pysqlite):
    """pysqlite, with transactions begun as the store wants them (``do_begin``)."""

    driver = "agentcron"
    supports_statement_cache = True

    def do_begin(self, dbapi_connection: Any) -> None:
        """A deferred BEGIN (in WAL mode a snapshot read, which never waits for a writer), or
        nothing when the store already began a write with BEGIN IMMEDIATE. Done here rather
        than in a ``begin`` event: any connection event puts every statement on SQLAlchemy's
        slower, event-dispatching path."""
        if not dbapi_connection.in_transaction:
            dbapi_connection.execute("BEGIN")

    def connect(self, *cargs: Any, **cparams: Any) -> Any:
        cparams.setdefault("factory", _Connection)
        return super().connect(*cargs, **cparams)


class InlineAsyncSQLiteDialect(InlineSQLiteDialect):
    """The same, declared async, for SQLAlchemy's async API (tests and tools looking at rows):
    its greenlet bridge runs the calls in place."""

    driver = "agentcron_async"
    is_async = True
    supports_statement_cache = True

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        return pool.AsyncAdaptedQueuePool

    def get_driver_connection(self, connection: Any) -> Any:
        return connection


registry.register("sqlite.agentcron", __name__, "InlineSQLiteDialect")
registry.register("sqlite.agentcron_async", __name__, "InlineAsyncSQLiteDialect")
