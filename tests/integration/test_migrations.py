"""The Alembic migrations and the SQLAlchemy models describe the same schema, on both databases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

from agentcron.store import SqlStore
from agentcron.store.migrations import HEAD
from agentcron.store.models import metadata


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_models_match_migrations(store: SqlStore) -> None:
    async with store.engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


async def test_migrating_twice_is_harmless(store: SqlStore) -> None:
    await store.migrate()
    async with store.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {"users", "tasks", "runs", "alembic_version"} <= tables


async def test_the_due_query_uses_the_partial_index(store: SqlStore) -> None:
    async with store.engine.connect() as connection:
        indexes = await connection.run_sync(lambda c: inspect(c).get_indexes("tasks"))
    assert "ix_tasks_due" in {index["name"] for index in indexes}


def _alembic_head() -> str | None:
    from alembic.script import ScriptDirectory

    from agentcron.store.database import alembic_config

    head: str | None = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return head


def test_the_recorded_head_is_alembics_head() -> None:
    """A store at HEAD is not migrated again: HEAD must move with every new revision."""
    assert _alembic_head() == HEAD


_MIGRATE_AND_TELL = """
import asyncio, sys
from agentcron.store import SqlStore
async def main():
    store = SqlStore(sys.argv[1])
    await store.migrate()
    await store.close()
asyncio.run(main())
print("alembic" in sys.modules)
"""


def test_alembic_is_imported_only_when_there_is_something_to_migrate(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'agentcron.db'}"
    runs = [
        subprocess.run(
            [sys.executable, "-c", _MIGRATE_AND_TELL, url],
            capture_output=True, text=True, check=True, timeout=60,
        ).stdout.strip()
        for _ in range(2)
    ]  # fmt: skip
    assert runs == ["True", "False"]  # the first migrates; the second finds the store current
