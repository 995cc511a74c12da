"""Batched writing of outcomes: one transaction per batch instead of one per run."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from agentcron.abc import Clock, Store, Supervisor
from agentcron.domain import Outcome, RunStatus

log = logging.getLogger("agentcron.recorder")
Recorded = Callable[[list[Outcome]], Awaitable[None]]


class Recorder:
    """Collects outcomes; writes them every ``interval`` seconds or ``batch`` outcomes.

    A batch that cannot be written (the store locked, full or unreachable) is kept and
    written when the store comes back: the recorder's loop is supervised, and nothing
    pending is dropped while the process lives.
    """

    def __init__(
        self,
        store: Store,
        clock: Clock,
        worker_id: str,
        *,
        on_recorded: Recorded | None = None,
        batch: int = 500,
        interval: float = 0.01,
    ) -> None:
        self.store = store
        self.clock = clock
        self.worker_id = worker_id
        self.on_recorded = on_recorded
        self.batch = batch
        self.interval = interval
        self._pending: list[Outcome] = []
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def start(self, supervisor: Supervisor) -> None:
        def written_all() -> bool:
            return self._closing and not self._pending

        self._task = asyncio.create_task(
            supervisor.keep("recorder", self._step, until=written_all), name="agentcron-recorder"
        )

    def add(self, outcome: Outcome) -> None:
        self._pending.append(outcome)
        self._ready.set()

    async def flush(self) -> None:
        """Write everything pending now; what fails to be written stays pending."""
        while self._pending:
            batch, self._pending = self._pending[: self.batch], self._pending[self.batch :]
            try:
                await self.write(batch)
            except BaseException:
                self._pending[:0] = batch
                raise

    async def close(self, timeout: float = 10.0) -> None:
        """Write what is pending, then stop; give up after ``timeout`` seconds."""
        self._closing = True
        self._ready.set()
        if self._task is None:
            return
        _, late = await asyncio.wait({self._task}, timeout=timeout)
        if late:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            log.error(
                "%d outcomes could not be written before stopping; their runs will be retried",
                len(self._pending),
            )

    async def _step(self) -> None:
        if not self._pending:
            await self._ready.wait()
        if not self._closing and len(self._pending) < self.batch:
            await asyncio.sleep(self.interval)  # let a burst fill the batch
        self._ready.clear()
        await self.flush()

    async def write(self, batch: list[Outcome]) -> None:
        """Write ``batch`` in one transaction, and end the tasks it ends."""
        started = time.perf_counter()
        now = self.clock.now()
        async with self.store.transaction() as store:
            written = await store.runs.record_outcomes(batch, self.worker_id, now)
            mine = [o for o in batch if o.run.id in written]
            await store.tasks.complete([o.run.task_id for o in mine if o.complete_task], now)
            await store.tasks.finish(
                sorted({o.run.task_id for o in mine if o.status != RunStatus.RETRYING}), now
            )
        log.debug(
            "recorded %d outcomes in %.1f ms", len(batch), (time.perf_counter() - started) * 1e3
        )
        if self.on_recorded is not None:
            await self.on_recorded(mine)
