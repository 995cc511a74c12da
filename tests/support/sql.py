"""Direct access to the store's tables, for tests that set up or inspect rows themselves."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agentcron.store import SqlStore
from agentcron.store.database import READ_ONLY


def sessions(store: SqlStore) -> async_sessionmaker[AsyncSession]:
    """ORM sessions on the store's engine (writes take SQLite's write lock, as the store's do)."""
    return async_sessionmaker(store.engine, expire_on_commit=False)


def reads(store: SqlStore) -> async_sessionmaker[AsyncSession]:
    """ORM sessions that only read: on SQLite they never wait for a writer (another process's
    serve, say)."""
    return async_sessionmaker(store.engine.execution_options(**{READ_ONLY: True}))
