"""The one place agentcron's parts are wired: the store, its lock, the service, the change
signal, the engine ``serve`` runs, and the agent's modules loaded ahead of time.

Front doors import this module inside the commands that need it, so that printing help
or parsing a schedule never loads SQLAlchemy, alembic or pydantic-ai.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import importlib
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from agentcron.abc import Clock, Wakeup
from agentcron.actions import ActionRegistry
from agentcron.agent import PROVIDER_MODULES
from agentcron.clock import SystemClock
from agentcron.config import Settings, default_timezone
from agentcron.engine.retention import PURGE_EVERY, purge_history
from agentcron.engine.wakeup import SocketSender, socket_path
from agentcron.errors import AgentCronError, ConfigurationError
from agentcron.processes import worker_name
from agentcron.service import ChangeSignal, TaskService
from agentcron.store import SqlStore, database_url, private_file, tighten_store

if TYPE_CHECKING:
    from agentcron.domain import Outcome
    from agentcron.engine.recorder import Recorded

log = logging.getLogger("agentcron.engine")
UPKEEP_SECONDS = 1.0
"""How often serve has the store do its housekeeping (SQLite: a WAL checkpoint)."""


def open_store(settings: Settings, *, database_clock: bool = True) -> SqlStore:
    """The configured store (not migrated yet: see ``SqlStore.migrate``)."""
    return SqlStore(
        database_url(settings.database_url, settings.home),
        database_clock=database_clock,
        busy_timeout=settings.store_busy_timeout_seconds,
    )


def change_signal(store: SqlStore, wakeup: Wakeup | None) -> ChangeSignal:
    """How the service tells schedulers that tasks changed, once its transaction committed: in
    process, and by socket to a serve on the same SQLite file (on PostgreSQL the transaction
    itself announced it: ``Repositories.announce_change``)."""
    database_file = store.sqlite_file
    sender = SocketSender(socket_path(database_file)) if database_file is not None else None

    async def signal() -> None:
        if wakeup is not None:
            wakeup.wake()
        if sender is not None:
            sender.send()

    if sender is not None:
        weakref.finalize(signal, sender.close)  # the socket lives as long as the signal
    return signal


def build_service(
    settings: Settings, store: SqlStore, clock: Clock | None = None, wakeup: Wakeup | None = None
) -> TaskService:
    """The task service on ``store``, waking schedulers when tasks change."""
    actions = ActionRegistry.load(settings)
    return TaskService(
        store, clock or SystemClock(), settings, actions, change_signal(store, wakeup)
    )


@asynccontextmanager
async def command_service(settings: Settings) -> AsyncIterator[tuple[TaskService, str]]:
    """For one command: the migrated store's service and the person it acts for."""
    store = open_store(settings)
    try:
        await store.migrate()
        service = build_service(settings, store)
        await service.ensure_user(settings.user, timezone=default_timezone(settings))
        yield service, settings.user
    finally:
        await store.close()


class StoreLock:
    """One serve per SQLite store: a second one would fight over the same runs."""

    def __init__(self, database_file: Path) -> None:
        path = database_file.with_name(database_file.name + ".lock")
        private_file(path)  # 0600, as the store's other files
        self._handle: IO[bytes] | None = open(path, "wb")  # noqa: SIM115 - held until release
        try:
            fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.release()
            raise ConfigurationError(
                f"Another agentcron serve is already using {database_file}; stop it first, "
                "or point AGENTCRON_HOME or AGENTCRON_DATABASE_URL elsewhere."
            ) from None

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


async def preload_agent(settings: Settings) -> None:
    """Import the agent and the configured provider's SDK off the event loop: they take
    seconds, which the first agent runs would otherwise wait for."""
    provider = (settings.model or "").partition(":")[0]
    modules = ("agentcron.agent.scheduled", *PROVIDER_MODULES.get(provider, ()))
    try:
        for module in modules:
            await asyncio.to_thread(importlib.import_module, module)
    except Exception:
        log.exception("loading the agent failed; agent runs will say why")


async def preload_apprise() -> None:
    """Load Apprise and its service plugins off the event loop (a second or more), in a
    process with no runs to start: serve and workers leave it to their first send, for the
    load takes the interpreter from the runs starting after a restart."""
    from agentcron.notify.notifier import load_apprise  # noqa: PLC0415

    try:
        await asyncio.to_thread(load_apprise)
    except Exception:
        log.exception("loading Apprise failed; notifications will say why")


class Engine:
    """Everything ``agentcron serve`` runs: scheduler, in-process executor, recorder, and
    the supervisor that keeps their loops alive (``done`` is set when one cannot go on)."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        store: SqlStore | None = None,
        on_output: Recorded | None = None,
        kind: str = "serve",
        details: dict[str, Any] | None = None,
    ) -> None:
        # The engine loads with the command that serves, not with every command.
        from agentcron.engine.executor import InProcessExecutor  # noqa: PLC0415
        from agentcron.engine.heartbeat import Heartbeat  # noqa: PLC0415
        from agentcron.engine.recorder import Recorder  # noqa: PLC0415
        from agentcron.engine.runner import Runner  # noqa: PLC0415
        from agentcron.engine.scheduler import Scheduler  # noqa: PLC0415
        from agentcron.engine.supervisor import Supervisor  # noqa: PLC0415
        from agentcron.engine.wakeup import WakeEvent  # noqa: PLC0415
        from agentcron.notify.deliverer import Deliverer  # noqa: PLC0415

        self.settings = settings
        self.clock = clock or SystemClock()
        self.store = store or open_store(settings)
        self.wakeup = WakeEvent()
        self.worker_id = worker_name()
        self.service = build_service(settings, self.store, self.clock, self.wakeup)
        self.runner = Runner(
            self.store,
            self.clock,
            settings,
            self.service.actions,
            self.worker_id,
            tasks=self.service,
        )
        self.deliverer = Deliverer(
            self.store, self.clock, settings, self.service.notifications.notifier, self.worker_id
        )
        self.recorder = Recorder(
            self.store,
            self.clock,
            self.worker_id,
            on_recorded=self._recorded,
            on_followed=self.wakeup.wake,
            notices=self.deliverer,
        )
        self.executor = InProcessExecutor(
            self.runner, self.recorder, self.clock, settings.concurrency
        )
        self.deliverer.defer_to = self.executor.starting
        self.recorder.defer_to = self.executor.starting
        self.wakeup.also.append(self.executor.recheck)
        self.wakeup.also.append(self.deliverer.wake)  # a delivery retried by hand
        self.scheduler = Scheduler(
            self.store, self.clock, settings, self.executor, wakeup=self.wakeup,
            notices=self.deliverer,
        )  # fmt: skip
        self.supervisor = Supervisor(
            self.clock,
            give_up_seconds=settings.loop_give_up_seconds,
            on_change=self._beat_soon,
        )
        self.heartbeat = Heartbeat(
            self.store, self.clock, self.supervisor, self.worker_id, kind,
            interval=settings.heartbeat_seconds, details=details,
        )  # fmt: skip
        """What it says this process is: 'serve', 'serve --once' or 'worker'."""
        self.purges = kind == "serve"
        """Whether it forgets old history itself, once an hour: a Celery worker does when a
        scheduler's upkeep sends it the purge instead."""
        self._purged: datetime | None = None
        self._on_output = on_output
        self._background: list[asyncio.Task[None]] = []
        self._transport: asyncio.DatagramTransport | None = None
        self._lock: StoreLock | None = None

    @property
    def done(self) -> asyncio.Event:
        """Set when a loop cannot go on; ``supervisor.fatal`` says why."""
        return self.supervisor.done

    async def start(self, *, scheduling: bool = True) -> None:
        """Migrate, recover what a previous process left, then begin scheduling (or, with
        ``scheduling=False``, only executing and delivering: ``run_due`` schedules once)."""
        from agentcron.engine.scheduler import settle_failed  # noqa: PLC0415
        from agentcron.engine.wakeup import listen_on_socket  # noqa: PLC0415

        await self.store.migrate()
        for problem in self.service.actions.preload():  # the first runs then import nothing
            log.error("%s", problem)
        database_file = self.store.sqlite_file
        if database_file is not None:
            tighten_store(database_file)  # one that predates private stores, with a warning
            self._lock = StoreLock(database_file)
            now = self.clock.now()
            async with self.store.transaction() as store:
                # first: what this process writes as being sent below is not cut short
                cut_short = await store.deliveries.lose_stale(now, every_sending=True)
                orphans, failed = await store.runs.recover_expired(now, every_running=True)
                told = await settle_failed(store, failed, now, self.deliverer)
            self.deliverer.written(told)
            if orphans:
                log.warning("recovered %d runs left running by a previous process", orphans)
            if cut_short:
                log.warning(
                    "%d deliveries were being sent when a previous process stopped; they are "
                    "marked unknown ('agentcron deliveries --status unknown')",
                    cut_short,
                )
            self._transport = await listen_on_socket(socket_path(database_file), self.wakeup)
        elif self.store.shared:
            self._keep("listener", lambda: self.store.listen_for_changes(self.wakeup))
        await self.heartbeat.beat()
        if self.settings.model is not None:
            self._background.append(
                asyncio.create_task(preload_agent(self.settings), name="agentcron-preload")
            )
        self.recorder.start(self.supervisor)
        self.deliverer.start(self.supervisor)
        self.executor.start(self.supervisor)
        if scheduling:
            self._keep("scheduler", self.scheduler.step)
        self._keep("heartbeat", self.heartbeat.step)
        self._keep("upkeep", self._upkeep_step)
        self._beat_soon()  # the first heartbeat had no loops yet: tell them now

    def _keep(self, name: str, step: Callable[[], Awaitable[None]]) -> None:
        loop = self.supervisor.keep(name, step)
        self._background.append(asyncio.create_task(loop, name=f"agentcron-{name}"))

    async def _upkeep_step(self) -> None:
        await asyncio.sleep(UPKEEP_SECONDS)
        await self.store.upkeep()
        if self.purges and (self._purged is None or self.clock.now() >= self._purged + PURGE_EVERY):
            await purge_history(self.store, self.clock, self.settings.retention_days)
            self._purged = self.clock.now()

    def _beat_soon(self) -> None:
        self.heartbeat.soon()

    async def run_due(self) -> int:
        """``serve --once``, after ``start(scheduling=False)``: one scheduler pass over what
        is due now, then every run it handed over performed and recorded, and their
        notifications sent. The runs handed over; a retry or a queued run that comes due
        later waits for the next serve."""
        report = await self.scheduler.run_pass()
        await self.executor.idle()
        await self.recorder.close()  # writes the outcomes, and with them the deliveries
        await self.deliverer.idle()
        return report.dispatched

    async def stop(self, grace: float = 10.0) -> None:
        """Stop scheduling, let running runs finish within ``grace``, write their outcomes."""
        from agentcron.actions._http_client import close_shared_client  # noqa: PLC0415
        from agentcron.agent.clients import close_clients  # noqa: PLC0415

        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        await self.executor.close(grace)
        await self.recorder.close()
        await self.deliverer.close(grace)
        await close_clients()
        await close_shared_client()
        if self._transport is not None:
            self._transport.close()
        with contextlib.suppress(AgentCronError):  # the store may be the reason for stopping
            await self.heartbeat.remove()
        await self.store.close()
        if self._lock is not None:
            self._lock.release()

    async def _recorded(self, outcomes: list[Outcome]) -> None:
        if any(o.status == "retrying" or o.run.overlap_policy == "queue" for o in outcomes):
            self.wakeup.wake()  # a retry or a queued run now has a time to start
        if self._on_output is not None:
            await self._on_output(outcomes)
