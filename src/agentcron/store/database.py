"""The SQL store: SQLite called in place (a plain engine, no driver thread) or PostgreSQL
through psycopg's asyncio driver; migrations on start; every driver error turned into
agentcron's (``_errors``).

A command on the embedded store never imports SQLAlchemy's asyncio layer: it costs a
tenth of a second or more to import, and SQLite has no use for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from agentcron.abc import Clock, Wakeup
from agentcron.errors import AgentCronError, ConfigurationError
from agentcron.masking import mask_url
from agentcron.store import _errors, changes
from agentcron.store._inline_sqlite import ASYNC_DRIVER, DRIVER
from agentcron.store._private import private_file, private_folder
from agentcron.store._rows import Sql
from agentcron.store.channels import SqlChannels
from agentcron.store.conversations import SqlConversations
from agentcron.store.deliveries import SqlDeliveries
from agentcron.store.events import SqlEvents
from agentcron.store.handover import SqlHandover
from agentcron.store.keys import SqlKeys
from agentcron.store.metrics import SqlMetrics
from agentcron.store.migrations import HEAD
from agentcron.store.runs import SqlRuns
from agentcron.store.tasks import SqlTasks
from agentcron.store.users import SqlUsers
from agentcron.store.workers import SqlWorkers

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

_MIGRATIONS = Path(__file__).parent / "migrations"
_SUPPORTED = "sqlite:///PATH or postgresql://USER@HOST/DATABASE"
_IN_PLACE_WAIT_SECONDS = 0.005


def async_url(url: str) -> URL:
    """agentcron's async driver for a plain database URL; a URL it cannot use is refused."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise ConfigurationError(
            f"The database URL {mask_url(url)!r} is malformed; use {_SUPPORTED}."
        ) from None
    if parsed.drivername in ("sqlite", "sqlite+aiosqlite", "sqlite+pysqlite", DRIVER, ASYNC_DRIVER):
        return parsed.set(drivername=DRIVER)
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

    __slots__ = (
        "_session", "_sqlite", "channels", "conversations", "deliveries", "events", "handover",
        "keys", "metrics", "runs", "tasks", "users", "workers",
    )  # fmt: skip

    def __init__(self, connection: AsyncConnection | Connection, sqlite: bool) -> None:
        session = Sql(connection)
        self._session, self._sqlite = session, sqlite
        self.users = SqlUsers(session, sqlite)
        self.keys = SqlKeys(session, sqlite)
        self.tasks = SqlTasks(session, sqlite)
        self.runs = SqlRuns(session, sqlite)
        self.conversations = SqlConversations(session, sqlite)
        self.workers = SqlWorkers(session, sqlite)
        self.channels = SqlChannels(session, sqlite)
        self.deliveries = SqlDeliveries(session, sqlite)
        self.handover = SqlHandover(session, sqlite)
        self.metrics = SqlMetrics(session, sqlite)
        self.events = SqlEvents(session, sqlite)

    async def announce_change(self) -> None:
        if not self._sqlite:  # SQLite: the wake socket beside the file does it
            await self._session.execute(changes.NOTIFY)


class SqlStore:
    """The store on SQLite (embedded) or PostgreSQL (shared by many processes)."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        database_clock: bool = True,
        busy_timeout: float = 30.0,
    ) -> None:
        self.url = async_url(url)
        self.database_clock = database_clock
        self.busy_timeout = busy_timeout
        """How long a write waits for another process's write lock (SQLite) before giving up."""
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self._writer = asyncio.Lock()  # SQLite: one writer at a time, in this process too
        self._echo = echo
        self._async_engine: AsyncEngine | None = None
        try:
            if self.is_sqlite:
                self._ensure_sqlite_folder()
                self._sqlite: Engine = create_engine(
                    self.url,
                    echo=echo,
                    # A few milliseconds in place; longer waits are asyncio sleeps
                    # (see _begin_writing).
                    connect_args={"timeout": _IN_PLACE_WAIT_SECONDS},
                    pool_size=5,
                    max_overflow=-1,  # never wait for a connection
                )
                event.listen(self._sqlite, "connect", _tune_sqlite)
            else:
                self._async_engine = _async_engine(
                    self.url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True
                )
        except (ArgumentError, NoSuchModuleError, ValueError) as error:
            raise ConfigurationError(
                f"The database URL cannot be used ({error}); use {_SUPPORTED}."
            ) from None

    @property
    def engine(self) -> AsyncEngine:
        """SQLAlchemy's async engine on the store: what PostgreSQL runs on, and on SQLite a
        second engine made on first use, for tests and tools that look at rows."""
        if self._async_engine is None:
            self._async_engine = _async_engine(
                self.url.set(drivername=ASYNC_DRIVER), echo=self._echo
            )
            event.listen(self._async_engine.sync_engine, "connect", _tune_sqlite)
        return self._async_engine

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
        """The store's folder and file, created private to their owner (``_private``)."""
        database = self.url.database
        if not database or database == ":memory:":
            return
        path = Path(database).expanduser()
        try:
            private_folder(path.parent)
        except FileExistsError:  # what mkdir says when a file has the folder's name
            raise ConfigurationError(
                f"Cannot put the store in {path.parent}: it is a file, not a folder; "
                "set AGENTCRON_HOME to a folder you can write."
            ) from None
        except OSError as error:
            raise ConfigurationError(
                f"Cannot create the folder of the store {path} ({error.strerror}); "
                "set AGENTCRON_HOME to a folder you can write."
            ) from None
        if path.is_dir():
            raise ConfigurationError(
                f"The store {path} is a folder, not a file; set AGENTCRON_HOME elsewhere."
            )
        private_file(path)

    @asynccontextmanager
    async def transaction(self, *, flush: bool = True) -> AsyncIterator[Repositories]:
        async with self._transaction(flush, None) as (_, repositories):
            yield repositories

    @asynccontextmanager
    async def transaction_at(
        self, clock: Clock, *, flush: bool = True
    ) -> AsyncIterator[tuple[datetime, Repositories]]:
        async with self._transaction(flush, clock) as (now, repositories):
            assert now is not None
            yield now, repositories

    @asynccontextmanager
    async def _transaction(
        self, flush: bool, clock: Clock | None
    ) -> AsyncIterator[tuple[datetime | None, Repositories]]:
        try:
            if not self.is_sqlite:
                async with self.engine.begin() as connection:
                    now = await self._opening(connection, flush, clock)
                    yield now, Repositories(connection, sqlite=False)
                return
            await asyncio.sleep(0)  # in place, nothing else yields: let other work in first
            async with self._writer:
                with self._sqlite.connect() as connection:
                    await self._begin_writing(connection)
                    try:
                        yield (clock.now() if clock else None), Repositories(connection, True)
                    except BaseException:
                        connection.rollback()
                        raise
                    connection.commit()
        except AgentCronError:
            raise
        except _errors.STORE_ERRORS as error:
            raise _errors.translate(error, self.url) from error

    async def _opening(
        self, connection: AsyncConnection, flush: bool, clock: Clock | None
    ) -> datetime | None:
        """A PostgreSQL transaction's first statement, when it needs one: the database's
        clock (``now``'s rules) and the commit mode, read and set in one round trip."""
        if clock is not None and self.database_clock:
            opened = await connection.execute(_CLOCK if flush else _CLOCK_UNFLUSHED)
            return opened.scalar_one().astimezone(UTC)  # type: ignore[no-any-return]
        if not flush:
            await connection.execute(_COMMIT_UNFLUSHED)
        return clock.now() if clock is not None else None

    async def _begin_writing(self, connection: Connection) -> None:
        """BEGIN IMMEDIATE on the driver, waiting for another process's write lock in asyncio
        sleeps so that the event loop never stalls on it; past ``busy_timeout`` the store is
        reported locked. SQLAlchemy's own begin then finds the transaction open."""
        driver = connection.connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.busy_timeout
        pause = 0.001
        while True:
            try:
                driver.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or loop.time() + pause > deadline:
                    raise OperationalError("BEGIN IMMEDIATE", None, error) from None
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.05)
        connection.begin()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Repositories]:
        try:
            if self.is_sqlite:
                await asyncio.sleep(0)  # in place, nothing else yields: let other work in first
                with self._sqlite.connect() as connection:
                    yield Repositories(connection, sqlite=True)
                return
            async with self.engine.connect() as connection:
                yield Repositories(connection, sqlite=False)
        except AgentCronError:
            raise
        except _errors.STORE_ERRORS as error:
            raise _errors.translate(error, self.url) from error

    async def migrate(self) -> None:
        """Bring the schema to the newest migration; a store already there costs one read."""
        try:
            if self.is_sqlite:
                with self._sqlite.connect() as reader:
                    if _revision(reader) == HEAD:
                        return
                async with self._writer:
                    with self._sqlite.connect() as connection:
                        await self._begin_writing(connection)
                        _upgrade(connection)
                        connection.commit()
                return
            async with self.engine.begin() as connection:
                if await connection.run_sync(_revision) == HEAD:
                    return
                # Schedulers and workers starting together: one migrates, the others wait
                # for it (the lock ends with the transaction), then find the schema there.
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK}
                )
                if await connection.run_sync(_revision) != HEAD:
                    await connection.run_sync(_upgrade)
        except AgentCronError:
            raise
        except _errors.STORE_ERRORS as error:
            raise _errors.translate(error, self.url) from error

    async def revision(self) -> str | None:
        """The schema's migration revision (None: never migrated), read without migrating
        anything: ``agentcron doctor`` compares it with ``migrations.HEAD``."""
        try:
            if self.is_sqlite:
                with self._sqlite.connect() as reader:
                    return _revision(reader)
            async with self.engine.connect() as connection:
                return await connection.run_sync(_revision)
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
                await connection.execution_options(isolation_level="AUTOCOMMIT")  # no BEGIN
                value = (await connection.execute(_CLOCK)).scalar_one()
        except _errors.STORE_ERRORS as error:
            raise _errors.translate(error, self.url) from error
        return value.astimezone(UTC)  # type: ignore[no-any-return]

    async def listen_for_changes(self, wakeup: Wakeup) -> None:
        if not self.shared:
            return
        import psycopg  # noqa: PLC0415 - only the distributed shape needs it

        dsn = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
        try:
            await changes.listen(dsn, wakeup)
        except psycopg.Error as error:
            raise _errors.translate(error, self.url) from error

    async def upkeep(self) -> None:
        database = self.sqlite_file
        if database is None:
            return
        try:
            await asyncio.to_thread(_checkpoint, database)
        except _errors.STORE_ERRORS as error:
            raise _errors.translate(error, self.url) from error

    async def close(self) -> None:
        if self.is_sqlite:
            self._sqlite.dispose()
        if self._async_engine is not None:
            await self._async_engine.dispose()


def _async_engine(url: URL, **options: Any) -> AsyncEngine:
    from sqlalchemy.ext.asyncio import create_async_engine  # noqa: PLC0415 - see the module

    return create_async_engine(url, **options)


def _tune_sqlite(dbapi_connection: Any, _record: object) -> None:
    # Transactions are begun by the dialect (deferred: a snapshot read in WAL mode, which
    # never waits) or by SqlStore._begin_writing (BEGIN IMMEDIATE), never by the driver.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # No checkpoint inside a commit: it waits for the disk (seconds on a busy one) on the
    # event loop. serve checkpoints in a thread (``upkeep``); a command's last connection
    # checkpoints as it closes.
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(_IN_PLACE_WAIT_SECONDS * 1000)}")
    cursor.close()


def _checkpoint(database: Path) -> None:
    """Copy the write-ahead log into the database, without blocking writers (PASSIVE)."""
    with contextlib.closing(sqlite3.connect(database, timeout=_IN_PLACE_WAIT_SECONDS)) as db:
        db.execute("PRAGMA wal_checkpoint(PASSIVE)")


_COMMIT_UNFLUSHED = text("SET LOCAL synchronous_commit TO OFF")
_CLOCK = text("SELECT clock_timestamp()")
_CLOCK_UNFLUSHED = text("SELECT clock_timestamp(), set_config('synchronous_commit', 'off', true)")
_MIGRATION_LOCK = 0x61676D67  # "agmg": the advisory lock key migrations take on PostgreSQL


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
