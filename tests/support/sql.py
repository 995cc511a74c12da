"""Direct access to the store's tables, for tests that set up or inspect rows themselves."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agentcron.store import SqlStore
from agentcron.testing import postgres

PG_SERVER = os.environ.get("AGENTCRON_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
"""The test server (trust auth); every test works in a schema of its own."""


def sessions(store: SqlStore) -> async_sessionmaker[AsyncSession]:
    """ORM sessions on the store's engine (writes take SQLite's write lock, as the store's do)."""
    return async_sessionmaker(store.engine, expire_on_commit=False)


@contextmanager
def private_schema() -> Iterator[str]:
    """A fresh schema on the test server, as a URL that selects it; dropped afterwards."""
    with postgres.private_schema(PG_SERVER, prefix="agentcron_test") as url:
        yield url
