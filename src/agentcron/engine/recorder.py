"""Batched writing of starts and outcomes: one transaction per batch instead of one per run."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from agentcron.abc import Clock, Repositories, Store
from agentcron.domain import ClaimedRun, Outcome

log = logging.getLogger("agentcron.recorder")
Recorded = Callable[[list[Outcome]], Awaitable[None]]


class Recorder:
    """Collects starts and outcomes; writes them every ``interval`` seconds or ``batch`` outcomes.

    A start waits for the next write; when its run finished by then, the outcome
    carries the start and the start is not written on its own.
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
        self._starts: dict[int, dict[str, Any]] = {}
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="agentcron-recorder")

    def started(self, run: ClaimedRun, at: datetime) -> None:
        self._starts[run.id] = {"run_id": run.id, "attempt": run.attempt, "started_at": at}
        self._ready.set()

    def add(self, outcome: Outcome) -> None:
        self._starts.pop(outcome.run.id, None)
        self._pending.append(outcome)
        self._ready.set()

    async def flush(self) -> None:
        """Write everything pending now."""
        while self._pending:
            batch, self._pending = self._pending[: self.batch], self._pending[self.batch :]
            await self.write(batch)
        if self._starts:
            starts, self._starts = list(self._starts.values()), {}
            await self.write_starts(starts)

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
            await self.flush()
            if self._closing:
                return

    async def write(self, batch: list[Outcome]) -> None:
        """Write ``batch`` now (retrying briefly if the store is busy)."""
        written: set[int] = set()

        async def statements(store: Repositories) -> None:
            nonlocal written
            written = await store.runs.record_outcomes(batch, self.worker_id)
            done = [o.run.task_id for o in batch if o.complete_task and o.run.id in written]
            await store.tasks.complete(done, self.clock.now())

        if not await self._transaction(statements, f"{len(batch)} outcomes"):
            return
        if self.on_recorded is not None:
            await self.on_recorded([o for o in batch if o.run.id in written])

    async def write_starts(self, starts: list[dict[str, Any]]) -> None:
        """Mark these runs as running now (a lost start only delays that mark: see leases)."""

        async def statements(store: Repositories) -> None:
            await store.runs.mark_started(starts, self.worker_id)

        await self._transaction(statements, f"{len(starts)} starts")

    async def _transaction(
        self, statements: Callable[[Repositories], Awaitable[None]], what: str
    ) -> bool:
        """Run ``statements`` in one transaction, retrying briefly if the store is busy."""
        started = time.perf_counter()
        for attempt in range(5):
            try:
                async with self.store.transaction() as store:
                    await statements(store)
            except Exception:
                log.exception("writing %s failed (attempt %d)", what, attempt + 1)
                await asyncio.sleep(0.2 * 2**attempt)
                continue
            log.debug("recorded %s in %.1f ms", what, (time.perf_counter() - started) * 1e3)
            return True
        log.error("gave up writing %s; their leases will run out and they will be retried", what)
        return False
