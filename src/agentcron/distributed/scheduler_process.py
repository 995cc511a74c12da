"""``agentcron scheduler``: the scheduler loop as its own process, any number of them.

Each turns due occurrences into runs (claiming tasks with ``FOR UPDATE SKIP LOCKED``,
"now" read from the database's clock), hands them to the broker through the outbox,
sleeps until the next due instant, and is woken by ``LISTEN/NOTIFY`` when tasks change.
One of them at a time does the upkeep (``agentcron.distributed.upkeep``). It also sends
what tells owners of runs that failed for good when their worker vanished, and retries
deliveries that wait in the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from agentcron.bootstrap import build_service, open_store, preload_apprise
from agentcron.clock import SystemClock
from agentcron.config import Settings
from agentcron.distributed.app import make_app
from agentcron.distributed.outbox import Outbox
from agentcron.distributed.upkeep import Upkeep
from agentcron.engine.heartbeat import Heartbeat
from agentcron.engine.scheduler import Scheduler
from agentcron.engine.supervisor import Supervisor
from agentcron.engine.wakeup import WakeEvent
from agentcron.errors import AgentCronError
from agentcron.notify.deliverer import Deliverer
from agentcron.processes import worker_name

log = logging.getLogger("agentcron.scheduler")


class SchedulerProcess:
    """Everything one ``agentcron scheduler`` runs, kept alive by its supervisor (``done``
    is set when a loop cannot go on; ``supervisor.fatal`` says why)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clock = SystemClock()
        self.store = open_store(settings)
        self.wakeup = WakeEvent()
        self.worker_id = worker_name()
        self.app = make_app(settings)
        service = build_service(settings, self.store, self.clock, self.wakeup)
        self.outbox = Outbox(self.store, settings, self.app)
        self.deliverer = Deliverer(
            self.store, self.clock, settings, service.notifications.notifier, self.worker_id
        )
        self.wakeup.also.append(self.deliverer.wake)
        self.scheduler = Scheduler(
            self.store, self.clock, settings, None, wakeup=self.wakeup,
            notices=self.deliverer, dispatcher=self.outbox,
        )  # fmt: skip
        self.upkeep = Upkeep(self.store, self.clock, settings, self.app, self.wakeup)
        self.supervisor = Supervisor(
            self.clock, give_up_seconds=settings.loop_give_up_seconds, on_change=self._changed
        )
        self.heartbeat = Heartbeat(
            self.store, self.clock, self.supervisor, self.worker_id, "scheduler",
            interval=settings.heartbeat_seconds,
            details={"message_size": settings.run_message_size},
        )  # fmt: skip
        self._loops: list[asyncio.Task[None]] = []

    @property
    def done(self) -> asyncio.Event:
        return self.supervisor.done

    def _changed(self) -> None:
        self.heartbeat.soon()

    async def start(self) -> None:
        """Migrate the store (once, whoever starts first), then begin."""
        await self.store.migrate()
        await self.heartbeat.beat()
        self._loops.append(asyncio.create_task(preload_apprise(), name="agentcron-preload"))
        self.deliverer.start(self.supervisor)
        self._keep("listener", lambda: self.store.listen_for_changes(self.wakeup))
        self._keep("scheduler", self.scheduler.step)
        self._keep("upkeep", self.upkeep.step)
        self._keep("heartbeat", self.heartbeat.step)

    def _keep(self, name: str, step: Callable[[], Awaitable[None]]) -> None:
        loop = self.supervisor.keep(name, step)
        self._loops.append(asyncio.create_task(loop, name=f"agentcron-{name}"))

    async def stop(self, grace: float = 10.0) -> None:
        for task in self._loops:
            task.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        await self.deliverer.close(grace)
        with contextlib.suppress(AgentCronError):  # the store may be why it stops
            await self.heartbeat.remove()
        await self.store.close()
