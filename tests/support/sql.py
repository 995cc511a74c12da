"""Direct access to the store's tables, for tests that set up or inspect rows themselves."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agentcron.store import SqlStore

PG_SERVER = os.environ.get("AGENTCRON_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
"""The test server (trust auth); every test works in a schema of its own."""


def sessions(store: SqlStore) -> async_sessionmaker[AsyncSession]:
    """ORM sessions on the store's engine (writes take SQLite's write lock, as the store's do)."""
    return async_sessionmaker(store.engine, expire_on_commit=False)


@contextmanager
def private_schema() -> Iterator[str]:
    """A fresh schema on the test server, as a URL that selects it; dropped afterwards."""
    schema = f"agentcron_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_SERVER, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_SERVER, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
