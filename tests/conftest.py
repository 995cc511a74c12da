"""Shared fixtures: real SQLite files and a private schema on the real PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from agentcron.actions import ActionRegistry
from agentcron.config import Settings
from agentcron.service import TaskService
from agentcron.store import SqlStore
from agentcron.testing import FakeClock

pytest_plugins = ["tests.guard"]

PG_SERVER = os.environ.get("AGENTCRON_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
START = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh schema on the test server, dropped afterwards; its URL selects it."""
    schema = f"agentcron_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_SERVER, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_SERVER, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'agentcron.db'}"
    url: str = request.getfixturevalue("pg_schema")
    return url


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    sql = SqlStore(database_url, database_clock=False)  # time is the fake clock's
    await sql.migrate()
    yield sql
    await sql.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def settings() -> Settings:
    return Settings(timezone="Europe/Paris", shell_allow=["echo"])


@pytest.fixture
async def service(store: SqlStore, clock: FakeClock, settings: Settings) -> TaskService:
    tasks = TaskService(store, clock, settings, ActionRegistry.load(settings))
    await tasks.ensure_user("ann", timezone="Europe/Paris", name="Ann")
    await tasks.ensure_user("bob", timezone="America/New_York", name="Bob")
    return tasks
