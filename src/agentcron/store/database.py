"""Connecting to the store: one async engine, SQLite tuned for concurrency, migrations on start."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from agentcron.clock import Clock

_MIGRATIONS = Path(__file__).parent / "migrations"
_READ_ONLY = "agentcron_read_only"


def async_url(url: str) -> str:
    """Pick agentcron's async driver for a plain database URL."""
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+aiosqlite"):
        return str(parsed.set(drivername="sqlite+aiosqlite"))
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg"):
        return str(parsed.set(drivername="postgresql+psycopg"))
    return url


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


class Database:
    """The store's connection pool and the facts about it the engine needs."""

    def __init__(self, url: str, *, echo: bool = False, database_clock: bool = True) -> None:
        self.url = async_url(url)
        self.database_clock = database_clock
        self.dialect = make_url(self.url).get_backend_name()
        options: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            self._ensure_sqlite_folder()
            options["connect_args"] = {"timeout": 30}
        else:
            options |= {"pool_size": 10, "max_overflow": 20, "pool_pre_ping": True}
        self.engine: AsyncEngine = create_async_engine(self.url, **options)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _tune_sqlite)
            event.listen(self.engine.sync_engine, "begin", _begin_immediate)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.reads = async_sessionmaker(
            self.engine.execution_options(**{_READ_ONLY: True}), expire_on_commit=False
        )
        """Sessions that only read: on SQLite they do not take the write lock, so a burst
        of reads (agent runs reading their task) never queues behind the writers."""

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def _ensure_sqlite_folder(self) -> None:
        database = make_url(self.url).database
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)

    async def migrate(self) -> None:
        """Bring the schema to the newest migration (safe to call on every start)."""
        async with self.engine.begin() as connection:
            await connection.run_sync(_upgrade)

    async def now(self, clock: Clock) -> datetime:
        """The instant to claim work at: the database's clock on PostgreSQL, so that
        skew between machines cannot fire a task early or twice; else ``clock``.

        Tests that drive time with a fake clock turn ``database_clock`` off."""
        if self.is_sqlite or not self.database_clock:
            return clock.now()
        async with self.engine.connect() as connection:
            value = (await connection.execute(text("SELECT clock_timestamp()"))).scalar_one()
        return value.astimezone(UTC)  # type: ignore[no-any-return]

    async def close(self) -> None:
        await self.engine.dispose()


def _tune_sqlite(dbapi_connection: Any, _record: object) -> None:
    # Transactions are begun by _begin_immediate, not by the driver.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _begin_immediate(connection: Connection) -> None:
    """Take SQLite's write lock when a transaction starts, not at its first write.

    A transaction that reads and then writes would otherwise fail at once with
    'database is locked' when another writer got in between, instead of waiting.
    Read sessions (``Database.reads``) begin deferred: in WAL mode they read a snapshot
    and never wait for the lock.
    """
    read_only = connection.get_execution_options().get(_READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


def default_sqlite_path(home: Path | None = None) -> Path:
    """The embedded store: agentcron.db in ``home``, else in the user's data folder."""
    from platformdirs import user_data_dir  # noqa: PLC0415 - only when no URL is configured

    return (home or Path(user_data_dir("agentcron"))) / "agentcron.db"


def database_url(settings_url: str | None, home: Path | None) -> str:
    """The configured URL, or the embedded SQLite file."""
    return settings_url or sqlite_url(default_sqlite_path(home))
