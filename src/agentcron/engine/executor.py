"""Executors receive runs from the scheduler; this one runs them on asyncio, in process."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import time
from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

from agentcron.clock import Clock
from agentcron.engine.queries import TakenRun, renew_leases
from agentcron.engine.recorder import Recorder
from agentcron.engine.runner import Runner

log = logging.getLogger("agentcron.executor")
_COALESCE_SECONDS = 0.002


class Executor(Protocol):
    """Where the scheduler hands runs (an outbox: the database keeps the truth)."""

    @property
    def reserve_for(self) -> str | None:
        """The worker id runs may be written as held by, or None to write them unheld.

        An executor in the scheduler's own process holds its runs from the moment
        they are written, so starting one on time costs no statement.
        """
        ...

    def submit(self, run_ids: Iterable[int]) -> None:
        """Hand over runs to take and execute now; ids already handed over are ignored."""
        ...

    def submit_at(self, runs: Iterable[tuple[int, datetime]]) -> None:
        """Hand over runs to take and start at their instants (written ahead of them)."""
        ...

    def submit_held(self, runs: Iterable[tuple[TakenRun, datetime]]) -> None:
        """Hand over runs written as held by ``reserve_for``, to start at their instants."""
        ...

    @property
    def inflight(self) -> set[int]:
        """Run ids handed over and not finished yet (to avoid handing them twice)."""
        ...


class InProcessExecutor:
    """Runs actions as asyncio tasks, at most ``concurrency`` at once.

    Runs written as held by this worker start at their instant with no statement;
    others are taken (claimed under a lease) when a slot is free. A start is marked
    in the store by the recorder's next write. Leases of every held run are renewed
    in one statement, and a run found cancelled or lost at renewal is stopped.
    """

    def __init__(self, runner: Runner, recorder: Recorder, clock: Clock, concurrency: int) -> None:
        self.runner = runner
        self.recorder = recorder
        self.clock = clock
        self.concurrency = concurrency
        self._to_take: deque[int] = deque()  # due, not held yet
        self._ready: deque[TakenRun] = deque()  # due and held
        self._timed: list[tuple[datetime, int]] = []  # a heap of (start, run id)
        self._waiting: dict[int, TakenRun | None] = {}  # every run not started; None: to take
        self._running: dict[int, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False

    @property
    def reserve_for(self) -> str | None:
        return self.runner.worker_id

    @property
    def inflight(self) -> set[int]:
        return set(self._waiting) | set(self._running)

    def _known(self, run_id: int) -> bool:
        return run_id in self._waiting or run_id in self._running

    def submit(self, run_ids: Iterable[int]) -> None:
        self.submit_at((run_id, datetime.min.replace(tzinfo=UTC)) for run_id in run_ids)

    def submit_at(self, runs: Iterable[tuple[int, datetime]]) -> None:
        for run_id, start in runs:
            if not self._known(run_id):
                self._waiting[run_id] = None
                heapq.heappush(self._timed, (start, run_id))
        self._wake.set()

    def submit_held(self, runs: Iterable[tuple[TakenRun, datetime]]) -> None:
        for run, start in runs:
            if not self._known(run.id):
                self._waiting[run.id] = run
                heapq.heappush(self._timed, (start, run.id))
        self._wake.set()

    def _release_timed(self, limit: int) -> float | None:
        """Move up to ``limit`` runs whose instant has come to their queues.

        Seconds until the next instant, or None. Releasing only what free slots can
        start means the first runs of a burst of thousands start at once.
        """
        now = self.clock.now()
        while self._timed and self._timed[0][0] <= now and limit > 0:
            _, run_id = heapq.heappop(self._timed)
            if run_id not in self._waiting:
                continue  # dropped: its lease was lost
            held = self._waiting[run_id]
            if held is None:
                self._to_take.append(run_id)
            else:
                self._ready.append(held)
            limit -= 1
        return (self._timed[0][0] - now).total_seconds() if self._timed else None

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._dispatch_loop(), name="agentcron-dispatch"),
            asyncio.create_task(self._lease_loop(), name="agentcron-leases"),
        ]

    async def close(self, grace: float) -> None:
        """Stop starting runs; let running ones finish within ``grace`` seconds, else cancel them.

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
            free = self.concurrency - len(self._running)
            next_timed = self._release_timed(free - len(self._ready) - len(self._to_take))
            if free > 0 and self._ready:
                for _ in range(min(free, len(self._ready))):
                    self._start(self._ready.popleft())
                await asyncio.sleep(0)  # let the started runs begin before starting more
                continue
            if not self._to_take or free <= 0:
                self._wake.clear()
                timeout = next_timed if free > 0 else None
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await self._wake.wait()
                continue
            await self._take(free)

    async def _take(self, free: int) -> None:
        if self._running and free < min(len(self._to_take), self.concurrency // 2):
            # Runs finish in bursts: gather the slots they free into one take, so a
            # burst costs one transaction per batch rather than one per finished run.
            await asyncio.sleep(_COALESCE_SECONDS)
            free = self.concurrency - len(self._running)
        batch = [self._to_take.popleft() for _ in range(min(free, len(self._to_take)))]
        started = time.perf_counter()
        try:
            taken = await self.runner.take(batch)
        except Exception:
            log.exception("taking %d runs failed; they stay queued in the store", len(batch))
            taken = []
            await asyncio.sleep(0.5)
        for run_id in batch:
            self._waiting.pop(run_id, None)
        log.debug(
            "took %d of %d runs in %.1f ms (%d running)",
            len(taken), len(batch), (time.perf_counter() - started) * 1e3, len(self._running),
        )  # fmt: skip
        for run in taken:
            self._start(run)

    def _start(self, run: TakenRun) -> None:
        self._waiting.pop(run.id, None)
        started_at = self.clock.now()
        self.recorder.started(run, started_at)
        self._running[run.id] = asyncio.create_task(self._perform(run, started_at))

    async def _perform(self, run: TakenRun, started_at: datetime) -> None:
        try:
            self.recorder.add(await self.runner.perform(run, started_at))
        finally:
            self._running.pop(run.id, None)
            self._wake.set()

    async def _lease_loop(self) -> None:
        period = self.runner.lease.total_seconds() / 3
        while not self._closing:
            await asyncio.sleep(period)
            held = list(self._running) + [i for i, run in self._waiting.items() if run is not None]
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
                if self._waiting.pop(run_id, None) is not None:
                    self._ready = deque(run for run in self._ready if run.id != run_id)
                    log.info("run %s was cancelled or taken over before it started", run_id)
                task = self._running.get(run_id)
                if task is not None:
                    log.info("run %s was cancelled or taken over; stopping it", run_id)
                    task.cancel()
