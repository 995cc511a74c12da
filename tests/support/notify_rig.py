"""A rig for notification tests: the ``Engine`` that ``agentcron serve`` runs, in this
process, on a fake clock, so a test fires a task by moving the clock and watches the real
receivers (SMTP, webhooks) get what it sends.

Sends themselves take real time (a socket, a thread for Apprise), so the rig waits for
what a test expects by polling the store, within generous bounds.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from agentcron.bootstrap import Engine
from agentcron.config import Settings
from agentcron.domain import Outcome, RunStatus
from agentcron.store import SqlStore
from agentcron.testing import FakeClock
from agentcron.views import ChannelView, DeliveryView, RunView, TaskView

OWNER = "ann"
ENDED = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.SKIPPED)
FAST = {
    "scheduler_lookahead_seconds": 0.0,
    "delivery_backoff_seconds": 1.0,
    "delivery_max_attempts": 3,
    "delivery_timeout_seconds": 3.0,
    "http_allow_private": True,  # the receivers are on loopback
}
"""Settings that keep a test short (and reach the tests' receivers); a test may override
any of them."""
T = TypeVar("T")


async def eventually(
    check: Callable[[], Awaitable[T] | T], *, timeout: float = 10.0, every: float = 0.02
) -> T:
    """The first truthy result of ``check()`` (a coroutine function or a plain one), polled
    until ``timeout`` (then it fails)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        assert asyncio.get_running_loop().time() < deadline, f"timed out: last {result!r}"
        await asyncio.sleep(every)


class NotifyRig:
    """An engine on a fake clock, with ``ann`` (Europe/Paris) as the person it tells."""

    def __init__(self, engine: Engine, clock: FakeClock) -> None:
        self.engine, self.clock = engine, clock
        self.service = engine.service
        self.notifications = engine.service.notifications
        self.settings = engine.settings
        self.outcomes: list[Outcome] = []

    @classmethod
    @asynccontextmanager
    async def running(
        cls, database_url: str, home: Path, clock: FakeClock, **settings: Any
    ) -> AsyncIterator[NotifyRig]:
        chosen = Settings(timezone="Europe/Paris", home=home, **(FAST | settings))
        store = SqlStore(database_url, database_clock=False)  # time is the fake clock's
        rig: NotifyRig | None = None

        async def collect(outcomes: list[Outcome]) -> None:
            assert rig is not None
            rig.outcomes += outcomes

        engine = Engine(chosen, clock=clock, store=store, on_output=collect)
        rig = cls(engine, clock)
        await engine.start()
        try:
            await engine.service.ensure_user(OWNER, timezone="Europe/Paris", name="Ann")
            yield rig
        finally:
            await engine.stop(grace=1.0)

    # setting up

    async def channel(self, name: str, url: str, *, default: bool = False) -> ChannelView:
        return await self.notifications.add_channel(OWNER, name, url, default=default)

    async def task(self, title: str, **request: Any) -> TaskView:
        """A task of ann's; a reminder in a minute unless ``request`` says otherwise."""
        fields = {"when": "in 1 minute", "action": "reminder", "payload": {"message": title}}
        return await self.service.create(OWNER, {"title": title, **fields, **request})

    # moving time

    async def idle(self) -> None:
        """Wait until no delivery is being sent: moving the clock past a send's lease while
        it is under way would have it taken for one a dead process left."""

        async def idle() -> bool:
            return not any(d.status == "sending" for d in await self.deliveries())

        await eventually(idle)

    def wake(self) -> None:
        """The scheduler, executor and deliverer look at the store now."""
        self.engine.wakeup.wake()

    def later(self, seconds: float) -> datetime:
        """Move the clock on and wake everything (a retry's time, quiet hours' end)."""
        now = self.clock.advance(timedelta(seconds=seconds))
        self.wake()
        return now

    def at(self, instant: datetime) -> None:
        if instant > self.clock.now():
            self.clock.set(instant)
        self.wake()

    async def fire(self, task: TaskView) -> RunView:
        """Move the clock to the task's next occurrence (once no send is under way) and wait
        for that run to end, moving on to each retry's time as the run asks."""
        occurrence = task.next_run_at
        assert occurrence is not None, task
        await self.idle()
        self.at(occurrence)

        async def ended() -> RunView | None:
            runs = await self.service.list_runs(OWNER, task.id)
            run = next((r for r in runs if r.scheduled_for == occurrence), None)
            if run is not None and run.status == RunStatus.RETRYING:
                self.at(run.not_before)
            return run if run is not None and run.status in ENDED else None

        return await eventually(ended)

    async def finish(self, run_id: int) -> RunView:
        """Wait for a run already written (triggered, retried) to end."""

        async def ended() -> RunView | None:
            run = await self.service.get_run(OWNER, run_id)
            if run.status == RunStatus.RETRYING:
                self.at(run.not_before)
            return run if run.status in ENDED and run.finished_at is not None else None

        self.wake()
        return await eventually(ended)

    async def through_retries(self, *, timeout: float = 20.0) -> list[DeliveryView]:
        """Move the clock on to the waiting retries, round after round (each round sent before
        the clock moves again), until no delivery waits for one; the deliveries then."""

        async def done() -> list[DeliveryView]:
            found = await self.deliveries()
            now = self.clock.now()
            waiting = [d.next_attempt_at for d in found if d.status == "pending"]
            if any(d.status == "sending" for d in found) or any(
                t is not None and t <= now for t in waiting
            ):
                return []  # being sent, or about to be: the deliverer has it
            if not waiting:
                return found
            # nothing is under way, so no send's lease can be outrun: every retry at once
            self.at(max(t for t in waiting if t is not None))
            return []

        return await eventually(done, timeout=timeout)

    # looking

    async def deliveries(self, run_id: int | None = None) -> list[DeliveryView]:
        """Ann's deliveries (of one run), oldest first."""
        found = await self.notifications.deliveries(OWNER, limit=10_000)
        mine = [d for d in found if run_id is None or d.run_id == run_id]
        return sorted(mine, key=lambda d: d.id)

    async def settled(
        self, run_id: int | None = None, *, count: int = 1, timeout: float = 10.0
    ) -> list[DeliveryView]:
        """The deliveries (of one run) once ``count`` of them exist and none is being sent
        or due to be (a retry, the end of quiet hours)."""

        async def done() -> list[DeliveryView]:
            found = await self.deliveries(run_id)
            now = self.clock.now()
            due = [d for d in found if d.next_attempt_at is not None and d.next_attempt_at <= now]
            busy = any(d.status == "sending" for d in found) or any(
                d.status in ("pending", "held") for d in due
            )
            return found if len(found) >= count and not busy else []

        return await eventually(done, timeout=timeout)
