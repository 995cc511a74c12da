"""The SQL store: one async engine, SQLite tuned for concurrency, migrations on start, and
every driver error turned into agentcron's (``_errors``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from agentcron.abc import Clock
from agentcron.errors import AgentCronError, ConfigurationError
from agentcron.store import _errors
from agentcron.store.conversations import SqlConversations
from agentcron.store.migrations import HEAD
from agentcron.store.runs import SqlRuns
from agentcron.store.tasks import SqlTasks
from agentcron.store.users import SqlUsers

_MIGRATIONS = Path(__file__).parent / "migrations"
_READ_ONLY = "agentcron_read_only"
_SUPPORTED = "sqlite:///PATH or postgresql://USER@HOST/DATABASE"


def async_url(url: str) -> URL:
    """agentcron's async driver for a plain database URL; a URL it cannot use is refused."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(
            f"The database URL {url!r} is malformed; use {_SUPPORTED}."
        ) from None
    if parsed.drivername in ("sqlite", "sqlite+aiosqlite"):
        return parsed.set(drivername="sqlite+aiosqlite")
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg"):
        return parsed.set(drivername="postgresql+psycopg")
    raise ConfigurationError(
        f"The database URL uses '{parsed.drivername}', which agentcron does not support; "
        f"use {_SUPPORTED}."
    )


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


class Repositories:
    """The repositories of one session (a transaction or a snapshot read)."""

    __slots__ = ("conversations", "runs", "tasks", "users")

    def __init__(self, session: AsyncSession, sqlite: bool) -> None:
        self.users = SqlUsers(session, sqlite)
        self.tasks = SqlTasks(session, sqlite)
        self.runs = SqlRuns(session, sqlite)
        self.conversations = SqlConversations(session, sqlite)


class SqlStore:
    """The store on SQLite (embedded) or PostgreSQL (shared by many processes)."""

    def __init__(self, url: str, *, echo: bool = False, database_clock: bool = True) -> None:
        self.url = async_url(url)
        self.database_clock = database_clock
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        options: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            self._ensure_sqlite_folder()
            options["connect_args"] = {"timeout": 30}
        else:
            options |= {"pool_size": 10, "max_overflow": 20, "pool_pre_ping": True}
        try:
            self.engine: AsyncEngine = create_async_engine(self.url, **options)
        except (ArgumentError, NoSuchModuleError, ValueError) as error:
            raise ConfigurationError(
                f"The database URL cannot be used ({error}); use {_SUPPORTED}."
            ) from None
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _tune_sqlite)
            event.listen(self.engine.sync_engine, "begin", _begin_immediate)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Sessions that only read: on SQLite they do not take the write lock, so a burst of
        # reads (agent runs reading their task) never queues behind the writers.
        self._reads = async_sessionmaker(
            self.engine.execution_options(**{_READ_ONLY: True}), expire_on_commit=False
        )

    @property
    def location(self) -> str:
        return _errors.where(self.url)

    @property
    def shared(self) -> bool:
        return not self.is_sqlite

    @property
    def sqlite_file(self) -> Path | None:
        """The SQLite file, unless the store is elsewhere (in memory, PostgreSQL)."""
        name = self.url.database
        return Path(name) if self.is_sqlite and name and name != ":memory:" else None

    def _ensure_sqlite_folder(self) -> None:
        database = self.url.database
        if not database or database == ":memory:":
            return
        path = Path(database).expanduser()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigurationError(
                f"Cannot create the folder of the store {path} ({error.strerror}); "
                "set AGENTCRON_HOME to a folder you can write."
            ) from None
        if path.is_dir():
            raise ConfigurationError(
                f"The store {path} is a folder, not a file; set AGENTCRON_HOME elsewhere."
            )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Repositories]:
        try:
            async with self._sessions() as session, session.begin():
                yield Repositories(session, self.is_sqlite)
        except AgentCronError:
            raise
        except _errors.STORE_ERRORS as error:
            raise _errors.translate(error, self.url) from error

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Repositories]:
        try:
            async with self._reads() as session:
                yield Repositories(session, self.is_sqlite)
        except AgentCronError:
            raise
        except _errors.STORE_ERRORS as error:
            raise _errors.translate(error, self.url) from error

    async def migrate(self) -> None:
        """Bring the schema to the newest migration; a store already there costs one read."""
        try:
            async with self.engine.begin() as connection:
                if await connection.run_sync(_revision) != HEAD:
                    await connection.run_sync(_upgrade)
        except AgentCronError:
            raise
        except _errors.STORE_ERRORS as error:
            raise _errors.translate(error, self.url) from error

    async def now(self, clock: Clock) -> datetime:
        """The database's clock on PostgreSQL (tests driving a fake clock turn
        ``database_clock`` off), else ``clock``'s."""
        if self.is_sqlite or not self.database_clock:
            return clock.now()
        try:
            async with self.engine.connect() as connection:
                value = (await connection.execute(text("SELECT clock_timestamp()"))).scalar_one()
        except _errors.STORE_ERRORS as error:
            raise _errors.translate(error, self.url) from error
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
    Read sessions begin deferred: in WAL mode they read a snapshot and never wait.
    """
    read_only = connection.get_execution_options().get(_READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _revision(connection: Connection) -> str | None:
    """The schema's revision, or None for a store never migrated."""
    from sqlalchemy import inspect  # noqa: PLC0415

    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def alembic_config(connection: Connection | None = None) -> Any:
    """Alembic's configuration for agentcron's migrations (imports alembic)."""
    from alembic.config import Config  # noqa: PLC0415 - only when migrating

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    from alembic import command  # noqa: PLC0415 - only when migrating

    command.upgrade(alembic_config(connection), "head")


def default_sqlite_path(home: Path | None = None) -> Path:
    """The embedded store: agentcron.db in ``home``, else in the user's data folder."""
    from platformdirs import user_data_dir  # noqa: PLC0415 - only when no URL is configured

    return (home or Path(user_data_dir("agentcron"))) / "agentcron.db"


def database_url(settings_url: str | None, home: Path | None) -> str:
    """The configured URL, or the embedded SQLite file."""
    return settings_url or sqlite_url(default_sqlite_path(home))
