"""Executors receive run ids from the scheduler; this one runs them on asyncio, in process."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import time
from collections import deque
from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from agentcron.clock import Clock
from agentcron.engine.queries import TakenRun, renew_leases
from agentcron.engine.recorder import Recorder
from agentcron.engine.runner import Runner

log = logging.getLogger("agentcron.executor")
_COALESCE_SECONDS = 0.002


class Executor(Protocol):
    """Where the scheduler hands run ids (an outbox: the database keeps the truth)."""

    def submit(self, run_ids: Iterable[int]) -> None:
        """Hand over runs to execute now; may be called with ids already handed over."""
        ...

    def submit_at(self, runs: Iterable[tuple[int, datetime]]) -> None:
        """Hand over runs to start at their instants (written ahead of their occurrence)."""
        ...

    @property
    def inflight(self) -> set[int]:
        """Run ids handed over and not finished yet (to avoid handing them twice)."""
        ...


class InProcessExecutor:
    """Runs actions as asyncio tasks, at most ``concurrency`` at once.

    Runs are taken (leased) only when a slot is free, so a run's start time is
    when its action really starts; leases of running runs are renewed in one
    statement, and a run found cancelled or lost at renewal is stopped.
    """

    def __init__(self, runner: Runner, recorder: Recorder, clock: Clock, concurrency: int) -> None:
        self.runner = runner
        self.recorder = recorder
        self.clock = clock
        self.concurrency = concurrency
        self._queue: deque[int] = deque()
        self._queued: set[int] = set()
        self._timed: list[tuple[datetime, int]] = []  # a heap of (start, run id)
        self._running: dict[int, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False

    @property
    def inflight(self) -> set[int]:
        return self._queued | set(self._running)

    def submit(self, run_ids: Iterable[int]) -> None:
        for run_id in run_ids:
            if run_id not in self._queued and run_id not in self._running:
                self._queue.append(run_id)
                self._queued.add(run_id)
        self._wake.set()

    def submit_at(self, runs: Iterable[tuple[int, datetime]]) -> None:
        now = self.clock.now()
        due: list[int] = []
        for run_id, start in runs:
            if run_id in self._queued or run_id in self._running:
                continue
            if start <= now:
                due.append(run_id)
            else:
                heapq.heappush(self._timed, (start, run_id))
                self._queued.add(run_id)
        self.submit(due)
        self._wake.set()

    def _release_timed(self) -> float | None:
        """Queue the timed runs whose instant has come; seconds until the next one."""
        now = self.clock.now()
        while self._timed and self._timed[0][0] <= now:
            _, run_id = heapq.heappop(self._timed)
            self._queue.append(run_id)
        return (self._timed[0][0] - now).total_seconds() if self._timed else None

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._dispatch_loop(), name="agentcron-dispatch"),
            asyncio.create_task(self._lease_loop(), name="agentcron-leases"),
        ]

    async def close(self, grace: float) -> None:
        """Stop taking runs; let running ones finish within ``grace`` seconds, else cancel them.

        A cancelled run keeps its lease until it expires, then is retried: it stays
        recoverable.
        """
        self._closing = True
        self._wake.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        running = list(self._running.values())
        if running:
            _, late = await asyncio.wait(running, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def _dispatch_loop(self) -> None:
        while not self._closing:
            next_timed = self._release_timed()
            free = self.concurrency - len(self._running)
            if not self._queue or free <= 0:
                self._wake.clear()
                timeout = next_timed if free > 0 else None
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await self._wake.wait()
                continue
            if self._running and free < min(len(self._queue), self.concurrency // 2):
                # Runs finish in bursts: gather the slots they free into one take, so a
                # burst costs one transaction per batch rather than one per finished run.
                await asyncio.sleep(_COALESCE_SECONDS)
                free = self.concurrency - len(self._running)
            batch = [self._queue.popleft() for _ in range(min(free, len(self._queue)))]
            started = time.perf_counter()
            try:
                taken = await self.runner.take(batch)
            except Exception:
                log.exception("taking %d runs failed; they stay queued in the store", len(batch))
                self._queued.difference_update(batch)
                await asyncio.sleep(0.5)
                continue
            self._queued.difference_update(batch)
            log.debug(
                "took %d of %d runs in %.1f ms (%d running)",
                len(taken), len(batch), (time.perf_counter() - started) * 1e3, len(self._running),
            )  # fmt: skip
            for run in taken:
                self._running[run.id] = asyncio.create_task(self._perform(run))

    async def _perform(self, run: TakenRun) -> None:
        try:
            self.recorder.add(await self.runner.perform(run))
        finally:
            self._running.pop(run.id, None)
            self._wake.set()

    async def _lease_loop(self) -> None:
        period = self.runner.lease.total_seconds() / 3
        while not self._closing:
            await asyncio.sleep(period)
            held = list(self._running)
            if not held:
                continue
            try:
                now = await self.runner.database.now(self.clock)
                async with self.runner.database.sessions() as session, session.begin():
                    kept = await renew_leases(
                        session, held, now, self.runner.lease, self.runner.worker_id
                    )
            except Exception:
                log.exception("renewing %d leases failed", len(held))
                continue
            for run_id in set(held) - kept:
                task = self._running.get(run_id)
                if task is not None:
                    log.info("run %s was cancelled or taken over; stopping it", run_id)
                    task.cancel()
