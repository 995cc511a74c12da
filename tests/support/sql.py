"""Direct access to the store's tables, for tests that set up or inspect rows themselves."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agentcron.store import SqlStore


def sessions(store: SqlStore) -> async_sessionmaker[AsyncSession]:
    """ORM sessions on the store's engine (writes take SQLite's write lock, as the store's do)."""
    return async_sessionmaker(store.engine, expire_on_commit=False)
