"""The in-process executor: runs actions on asyncio, in the scheduler's own process.

The ``Executor`` contract is in ``agentcron.abc``.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import time
from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime

from agentcron.abc import Clock
from agentcron.domain import ClaimedRun
from agentcron.engine.recorder import Recorder
from agentcron.engine.runner import Runner

log = logging.getLogger("agentcron.executor")
_COALESCE_SECONDS = 0.002


class InProcessExecutor:
    """Runs actions as asyncio tasks, at most ``concurrency`` at once.

    Runs written as claimed by this worker start at their instant with no statement;
    others are claimed (under a lease) when a slot is free. A start is marked in the
    store by the recorder's next write. Leases of every claimed run are renewed in one
    statement, and a run found cancelled or lost at renewal is stopped.
    """

    def __init__(self, runner: Runner, recorder: Recorder, clock: Clock, concurrency: int) -> None:
        self.runner = runner
        self.recorder = recorder
        self.clock = clock
        self.concurrency = concurrency
        self._to_claim: deque[int] = deque()  # due, not claimed yet
        self._ready: deque[ClaimedRun] = deque()  # due and claimed
        self._timed: list[tuple[datetime, int]] = []  # a heap of (start, run id)
        self._waiting: dict[int, ClaimedRun | None] = {}  # runs not started; None: to claim
        self._running: dict[int, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False

    @property
    def claim_for(self) -> str | None:
        return self.runner.worker_id

    @property
    def running(self) -> frozenset[int]:
        """The runs whose action is being performed now."""
        return frozenset(self._running)

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

    def submit_claimed(self, runs: Iterable[tuple[ClaimedRun, datetime]]) -> None:
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
            claimed = self._waiting[run_id]
            if claimed is None:
                self._to_claim.append(run_id)
            else:
                self._ready.append(claimed)
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
            next_timed = self._release_timed(free - len(self._ready) - len(self._to_claim))
            if free > 0 and self._ready:
                for _ in range(min(free, len(self._ready))):
                    self._start(self._ready.popleft())
                await asyncio.sleep(0)  # let the started runs begin before starting more
                continue
            if not self._to_claim or free <= 0:
                self._wake.clear()
                timeout = next_timed if free > 0 else None
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await self._wake.wait()
                continue
            await self._claim(free)

    async def _claim(self, free: int) -> None:
        if self._running and free < min(len(self._to_claim), self.concurrency // 2):
            # Runs finish in bursts: gather the slots they free into one claim, so a
            # burst costs one transaction per batch rather than one per finished run.
            await asyncio.sleep(_COALESCE_SECONDS)
            free = self.concurrency - len(self._running)
        batch = [self._to_claim.popleft() for _ in range(min(free, len(self._to_claim)))]
        started = time.perf_counter()
        try:
            claimed = await self.runner.claim(batch)
        except Exception:
            log.exception("claiming %d runs failed; they stay queued in the store", len(batch))
            claimed = []
            await asyncio.sleep(0.5)
        for run_id in batch:
            self._waiting.pop(run_id, None)
        log.debug(
            "claimed %d of %d runs in %.1f ms (%d running)",
            len(claimed), len(batch), (time.perf_counter() - started) * 1e3, len(self._running),
        )  # fmt: skip
        for run in claimed:
            self._start(run)

    def _start(self, run: ClaimedRun) -> None:
        self._waiting.pop(run.id, None)
        started_at = self.clock.now()
        self.recorder.started(run, started_at)
        self._running[run.id] = asyncio.create_task(self._perform(run, started_at))

    async def _perform(self, run: ClaimedRun, started_at: datetime) -> None:
        try:
            self.recorder.add(await self.runner.perform(run, started_at))
        finally:
            self._running.pop(run.id, None)
            self._wake.set()

    async def _lease_loop(self) -> None:
        period = self.runner.lease.total_seconds() / 3
        while not self._closing:
            await asyncio.sleep(period)
            owned = list(self._running) + [i for i, r in self._waiting.items() if r is not None]
            if not owned:
                continue
            try:
                now = await self.runner.store.now(self.clock)
                async with self.runner.store.transaction() as store:
                    kept = await store.runs.renew_leases(
                        owned, now, self.runner.lease, self.runner.worker_id
                    )
            except Exception:
                log.exception("renewing %d leases failed", len(owned))
                continue
            for run_id in set(owned) - kept:
                if self._waiting.pop(run_id, None) is not None:
                    self._ready = deque(run for run in self._ready if run.id != run_id)
                    log.info(
                        "run %s was cancelled or claimed by another worker before it started",
                        run_id,
                    )
                task = self._running.get(run_id)
                if task is not None:
                    log.info(
                        "run %s was cancelled or claimed by another worker; stopping it", run_id
                    )
                    task.cancel()
