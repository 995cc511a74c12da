"""agentcron in one process: the store, the service, the scheduler and an in-process worker."""

from __future__ import annotations

import asyncio
import fcntl
import importlib
import logging
import os
import socket
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import make_url

from agentcron.actions import ActionRegistry
from agentcron.clock import Clock, SystemClock
from agentcron.config import Settings
from agentcron.engine import queries
from agentcron.engine.executor import InProcessExecutor
from agentcron.engine.recorder import Recorded, Recorder
from agentcron.engine.runner import Outcome, Runner
from agentcron.engine.scheduler import Scheduler
from agentcron.engine.wakeup import (
    PG_CHANNEL,
    Wakeup,
    listen_on_postgres,
    listen_on_socket,
    send_to_socket,
    socket_path,
)
from agentcron.errors import ConfigurationError
from agentcron.service import TaskService
from agentcron.store import Database
from agentcron.store.database import database_url

log = logging.getLogger("agentcron.engine")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def open_database(settings: Settings) -> Database:
    return Database(database_url(settings.database_url, settings.home))


def sqlite_file(database: Database) -> Path | None:
    name = make_url(database.url).database
    return Path(name) if database.is_sqlite and name and name != ":memory:" else None


def change_signal(database: Database, wakeup: Wakeup | None) -> Callable[[], Awaitable[None]]:
    """How the service tells schedulers that tasks changed: in process, by socket or NOTIFY."""
    database_file = sqlite_file(database)

    async def signal() -> None:
        if wakeup is not None:
            wakeup.wake()
        if database_file is not None:
            send_to_socket(socket_path(database_file))
        elif not database.is_sqlite:
            async with database.engine.begin() as connection:
                await connection.execute(text(f"NOTIFY {PG_CHANNEL}"))

    return signal


def make_service(
    settings: Settings, database: Database, clock: Clock, wakeup: Wakeup | None = None
) -> TaskService:
    actions = ActionRegistry.load(settings)
    return TaskService(database, clock, settings, actions, change_signal(database, wakeup))


class Engine:
    """Runs everything ``agentcron serve`` runs, until stopped."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        database: Database | None = None,
        on_output: Recorded | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.database = database or open_database(settings)
        self.wakeup = Wakeup()
        self.worker_id = worker_name()
        self.service = make_service(settings, self.database, self.clock, self.wakeup)
        self.runner = Runner(
            self.database,
            self.clock,
            settings,
            self.service.actions,
            self.worker_id,
            service=self.service,
        )
        self.recorder = Recorder(
            self.database, self.clock, self.worker_id, on_recorded=self._recorded
        )
        self.executor = InProcessExecutor(
            self.runner, self.recorder, self.clock, settings.concurrency
        )
        self.scheduler = Scheduler(
            self.database, self.clock, settings, self.executor, wakeup=self.wakeup
        )
        self._on_output = on_output
        self._background: list[asyncio.Task[None]] = []
        self._transport: asyncio.DatagramTransport | None = None
        self._lock: IO[bytes] | None = None

    async def start(self) -> None:
        """Migrate, recover what a previous process left, then begin scheduling."""
        await self.database.migrate()
        database_file = sqlite_file(self.database)
        if database_file is not None:
            self._lock = _exclusive_lock(database_file)
            async with self.database.sessions() as session, session.begin():
                orphans = await queries.recover_expired(
                    session, self.clock.now(), every_running=True
                )
            if orphans:
                log.warning("recovered %d runs left running by a previous process", orphans)
            self._transport = await listen_on_socket(socket_path(database_file), self.wakeup)
        elif not self.database.is_sqlite:
            dsn = make_url(self.database.url).set(drivername="postgresql")
            listener = listen_on_postgres(dsn.render_as_string(hide_password=False), self.wakeup)
            self._background.append(asyncio.create_task(listener, name="agentcron-listen"))
        if self.settings.model is not None:
            # pydantic-ai and the provider SDKs take seconds to import: do it now, off the
            # event loop, rather than inside the first agent run.
            self._background.append(
                asyncio.create_task(_preload_agent(self.settings), name="agentcron-preload")
            )
        self.recorder.start()
        self.executor.start()
        self._background.append(
            asyncio.create_task(self.scheduler.run_forever(), name="agentcron-scheduler")
        )

    async def stop(self, grace: float = 10.0) -> None:
        """Stop scheduling, let running runs finish within ``grace``, write their outcomes."""
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        await self.executor.close(grace)
        await self.recorder.close()
        if "agentcron.agent.models" in sys.modules:  # agent runs happened: close their clients
            await sys.modules["agentcron.agent.models"].close_models()
        if self._transport is not None:
            self._transport.close()
        await self.database.close()
        if self._lock is not None:
            self._lock.close()

    async def _recorded(self, outcomes: list[Outcome]) -> None:
        if any(o.status == "retrying" or o.run.overlap_policy == "queue" for o in outcomes):
            self.wakeup.wake()  # a retry or a queued run now has a time to start
        if self._on_output is not None:
            await self._on_output(outcomes)


async def _preload_agent(settings: Settings) -> None:
    try:
        models = await asyncio.to_thread(importlib.import_module, "agentcron.agent.models")
        await asyncio.to_thread(models.preload, settings)
    except Exception:
        log.exception("loading the agent failed; agent runs will say why")


def _exclusive_lock(database_file: Path) -> IO[bytes]:
    """One serve per SQLite store: a second one would fight over the same runs."""
    handle = open(database_file.with_name(database_file.name + ".lock"), "wb")  # noqa: SIM115
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise ConfigurationError(
            f"Another agentcron serve is already using {database_file}; stop it first, "
            "or point AGENTCRON_HOME or AGENTCRON_DATABASE_URL elsewhere."
        ) from None
    return handle
