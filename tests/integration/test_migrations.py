"""The Alembic migrations and the SQLAlchemy models describe the same schema, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

from agentcron.store import Database
from agentcron.store.models import Base


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_models_match_migrations(database: Database) -> None:
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


async def test_migrating_twice_is_harmless(database: Database) -> None:
    await database.migrate()
    async with database.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {"users", "tasks", "runs", "alembic_version"} <= tables


async def test_the_due_query_uses_the_partial_index(database: Database) -> None:
    async with database.engine.connect() as connection:
        indexes = await connection.run_sync(lambda c: inspect(c).get_indexes("tasks"))
    assert "ix_tasks_due" in {index["name"] for index in indexes}
