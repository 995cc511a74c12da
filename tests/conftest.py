"""Shared fixtures: real SQLite files and a private schema on the real PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agentcron.actions import ActionRegistry
from agentcron.config import Settings
from agentcron.service import TaskService
from agentcron.store import SqlStore
from agentcron.testing import FakeClock
from tests.support.sql import private_schema

pytest_plugins = ["tests.guard"]

START = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True, scope="session")
def _no_worker_terminal_size() -> Iterator[None]:
    """A pytest-xdist worker (``make test`` runs two) has COLUMNS=80 and LINES=24 in its
    environment, where a single pytest process has neither; the commands the acceptance tests
    start inherit it and would wrap their tables at 80 columns. The worker drops both."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("COLUMNS", raising=False)
        patch.delenv("LINES", raising=False)
        yield


@pytest.fixture(autouse=True)
def _secrets_remembered_by_one_test_only() -> Iterator[None]:
    """What a test's notifier or settings remember as secret (``remember_secrets``: a
    channel's path segment, say) is hidden in this process's every later message; a test
    starts with what was remembered before it, and leaves nothing of its own behind, so that
    a word such as 'agentcron' in another test's channel URL masks nothing here."""
    from agentcron.secrets import _remembered

    values, pattern = set(_remembered.values), _remembered.pattern
    yield
    _remembered.values, _remembered.pattern = values, pattern


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh schema on the test server, dropped afterwards; its URL selects it."""
    with private_schema() as url:
        yield url


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
    # The tests' receivers listen on loopback, which tasks may not call by default.
    return Settings(timezone="Europe/Paris", shell_allow=["echo"], http_allow_private=True)


@pytest.fixture
async def service(store: SqlStore, clock: FakeClock, settings: Settings) -> TaskService:
    tasks = TaskService(store, clock, settings, ActionRegistry.load(settings))
    await tasks.ensure_user("ann", timezone="Europe/Paris", name="Ann")
    await tasks.ensure_user("bob", timezone="America/New_York", name="Bob")
    return tasks
