"""SQLite for the async engine without a thread: the standard library's sqlite3, called in
place on the event loop (the store calls it directly; SQLAlchemy's async API, which tests
and migrations use, runs it through its greenlet bridge).

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


class _Cursor(sqlite3.Cursor):
    async def _async_soft_close(self) -> None:
        """What SQLAlchemy's async results call on a driver thread's cursor: rows are
        already here, so there is nothing to wait for."""


class _Connection(sqlite3.Connection):
    def cursor(self, factory: Any = _Cursor) -> Any:
        return super().cursor(factory)


class InlineSQLiteDialect(SQLiteDialect_pysqlite):
    """pysqlite, declared async: SQLAlchemy's greenlet bridge runs its calls in place."""

    driver = "agentcron"
    is_async = True
    supports_statement_cache = True

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        # Also used without the greenlet bridge (``SqlStore`` checks connections out
        # directly): the store sets no overflow limit, so taking one never waits.
        return pool.AsyncAdaptedQueuePool

    def get_driver_connection(self, connection: Any) -> Any:
        return connection

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


registry.register("sqlite.agentcron", __name__, "InlineSQLiteDialect")
