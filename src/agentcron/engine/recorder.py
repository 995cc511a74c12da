"""Batched writing of outcomes: one transaction per batch instead of one per run."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from agentcron.clock import Clock
from agentcron.engine.queries import complete_tasks, record_outcomes
from agentcron.engine.runner import Outcome
from agentcron.store import Database

log = logging.getLogger("agentcron.recorder")
Recorded = Callable[[list[Outcome]], Awaitable[None]]


class Recorder:
    """Collects outcomes and writes them every ``interval`` seconds or ``batch`` outcomes."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        worker_id: str,
        *,
        on_recorded: Recorded | None = None,
        batch: int = 500,
        interval: float = 0.01,
    ) -> None:
        self.database = database
        self.clock = clock
        self.worker_id = worker_id
        self.on_recorded = on_recorded
        self.batch = batch
        self.interval = interval
        self._pending: list[Outcome] = []
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="agentcron-recorder")

    def add(self, outcome: Outcome) -> None:
        self._pending.append(outcome)
        self._ready.set()

    async def close(self) -> None:
        """Write what is pending, then stop."""
        self._closing = True
        self._ready.set()
        if self._task is not None:
            await self._task

    async def _loop(self) -> None:
        while True:
            await self._ready.wait()
            if not self._closing and len(self._pending) < self.batch:
                await asyncio.sleep(self.interval)  # let a burst fill the batch
            self._ready.clear()
            while self._pending:
                batch, self._pending = self._pending[: self.batch], self._pending[self.batch :]
                await self.write(batch)
            if self._closing:
                return

    async def write(self, batch: list[Outcome]) -> None:
        """Write ``batch`` now (retrying briefly if the store is busy)."""
        started = time.perf_counter()
        for attempt in range(5):
            try:
                async with self.database.sessions() as session, session.begin():
                    written = await record_outcomes(
                        session,
                        [o.row() for o in batch],
                        self.worker_id,
                        postgres=not self.database.is_sqlite,
                    )
                    done = [o.run.task_id for o in batch if o.complete_task and o.run.id in written]
                    await complete_tasks(session, done, self.clock.now())
                break
            except Exception:
                log.exception("writing %d outcomes failed (attempt %d)", len(batch), attempt + 1)
                await asyncio.sleep(0.2 * 2**attempt)
        else:
            log.error(
                "gave up writing %d outcomes; their leases will expire and be retried", len(batch)
            )
            return
        log.debug(
            "recorded %d outcomes in %.1f ms", len(batch), (time.perf_counter() - started) * 1e3
        )
        if self.on_recorded is not None:
            await self.on_recorded([o for o in batch if o.run.id in written])
