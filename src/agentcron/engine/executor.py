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
from dataclasses import replace
from datetime import UTC, datetime

from agentcron.abc import Clock, Supervisor
from agentcron.domain import ClaimedRun
from agentcron.engine.recorder import Recorder
from agentcron.engine.runner import Runner

log = logging.getLogger("agentcron.executor")
_COALESCE_SECONDS = 0.002
_GATHER_SECONDS = 0.02
"""Longest wait for half the slots to come free before starting what is free: a start is
one transaction, on PostgreSQL a few milliseconds however many runs it starts."""
_ROOM_CHECK_SECONDS = 0.02
_BEGINS_AT_ONCE = 2
"""Start transactions in flight at once: while the store commits one group's starts, the
next group's is on its way (the store works on both, and this loop is free meanwhile)."""


class InProcessExecutor:
    """Runs actions as asyncio tasks, at most ``concurrency`` at once.

    Runs written as claimed by this worker are held until their instant, then started in
    one statement per group (committed before any action begins: a run cancelled, paused
    or withdrawn meanwhile is not started), or, for actions that do not act outside
    agentcron, from memory with their start written with their outcome; others are claimed
    and started together when a slot is free. Leases of every claimed run (and of each one
    performed whose outcome the recorder has not written yet) are renewed in one statement
    at a third of the lease, and those of running runs whenever the store
    changed (``recheck``); a run found cancelled or lost then is dropped, or stopped if it
    started.
    """

    def __init__(self, runner: Runner, recorder: Recorder, clock: Clock, concurrency: int) -> None:
        self.runner = runner
        self.recorder = recorder
        self.clock = clock
        self.concurrency = concurrency
        self._to_claim: deque[int] = deque()  # due, not claimed yet
        self._ready: deque[ClaimedRun] = deque()  # due and claimed, not started
        self._timed: list[tuple[datetime, int]] = []  # a heap of (start, run id)
        self._waiting: dict[int, ClaimedRun | None] = {}  # runs not started; None: to claim
        self._running: dict[int, asyncio.Task[None]] = {}
        self._beginning: set[asyncio.Task[None]] = set()  # start transactions in flight
        self._starting = 0  # runs in them
        self._begin_failed: BaseException | None = None
        self._wake = asyncio.Event()
        self._recheck = asyncio.Event()
        self._settled = asyncio.Event()  # a run left _waiting or _running
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False

    @property
    def claim_for(self) -> str | None:
        return self.runner.worker_id

    @property
    def running(self) -> frozenset[int]:
        """The runs whose action is being performed now."""
        return frozenset(self._running)

    def starting(self) -> bool:
        """Whether runs are being started now (due, with free slots to start them in): work
        that can wait a few milliseconds, such as sending notifications, then waits."""
        if len(self._running) >= self.concurrency:
            return False
        if self._ready or self._to_claim:
            return True
        return bool(self._timed) and self._timed[0][0] <= self.clock.now()

    def backlog(self, enough: int | None = None) -> int:
        """Runs due and not started yet: more of them than slots means this worker is full.
        Counting stops at ``enough``, when given."""
        count = len(self._ready) + len(self._to_claim)
        now = self.clock.now()
        for start, run_id in self._timed:
            if enough is not None and count >= enough:
                break
            count += start <= now and run_id in self._waiting
        return count

    async def room(self) -> None:
        """Wait until fewer runs are due and waiting here than there are slots: a worker
        takes more runs from the broker only when it can start them."""
        while self.backlog(enough=self.concurrency) >= self.concurrency:
            await asyncio.sleep(_ROOM_CHECK_SECONDS)  # counting is linear: not on every run

    def held(self) -> list[int]:
        """Runs held here under this worker's lease and not started: given back on stopping."""
        return [run_id for run_id, claimed in self._waiting.items() if claimed is not None]

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
            if run.id in self._waiting and self._waiting[run.id] is None:
                self._waiting[run.id] = run  # known as one to claim: it is held now
            elif not self._known(run.id):
                self._waiting[run.id] = run
                heapq.heappush(self._timed, (start, run.id))
        self._wake.set()

    def recheck(self) -> None:
        if self._running or self._waiting:
            self._recheck.set()

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

    def start(self, supervisor: Supervisor) -> None:
        def closing() -> bool:
            return self._closing

        self._tasks = [
            asyncio.create_task(
                supervisor.keep("dispatch", self._dispatch_step, until=closing),
                name="agentcron-dispatch",
            ),
            asyncio.create_task(
                supervisor.keep("leases", self._lease_step, until=closing),
                name="agentcron-leases",
            ),
        ]

    async def idle(self) -> None:
        while self._waiting or self._running:
            self._settled.clear()
            await self._settled.wait()

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
        await asyncio.gather(*self._beginning, return_exceptions=True)  # a few milliseconds
        running = list(self._running.values())
        if running:
            _, late = await asyncio.wait(running, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    def _free(self) -> int:
        return self.concurrency - len(self._running) - self._starting

    async def _dispatch_step(self) -> None:
        if self._begin_failed is not None:  # the supervisor pauses, then this goes on
            failed, self._begin_failed = self._begin_failed, None
            raise failed
        free = self._free()
        next_timed = self._release_timed(free - len(self._ready) - len(self._to_claim))
        if free > 0 and self._ready and len(self._beginning) < _BEGINS_AT_ONCE:
            await self._begin(free)
            await asyncio.sleep(0)  # let the started runs begin before starting more
        elif free > 0 and self._to_claim and not self._ready:
            await self._claim(free)
            self._settled.set()
        else:  # until a slot is free, a start transaction ends, or the next instant
            self._wake.clear()
            timeout = next_timed if free > 0 and not self._ready else None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()

    async def _gathered(self, free: int, released: int) -> int:
        """Free slots, after a short wait while only a few are free: runs finish in bursts,
        and gathering the slots they free makes one transaction per batch, not per run.
        ``released``: the runs due in their queue; more are due while the heap's first is."""
        more_due = bool(self._timed) and self._timed[0][0] <= self.clock.now()
        wanted = self.concurrency // 2 if more_due else min(released, self.concurrency // 2)
        deadline = time.monotonic() + _GATHER_SECONDS
        while (self._running or self._starting) and free < wanted and time.monotonic() < deadline:
            await asyncio.sleep(_COALESCE_SECONDS)
            free = self._free()
        return free

    async def _begin(self, free: int) -> None:
        """Take a group of due runs and start it in a transaction of its own, in flight
        while this loop goes on (``_BEGINS_AT_ONCE`` at most); their slots are theirs."""
        free = await self._gathered(free, len(self._ready))
        due = [self._ready.popleft() for _ in range(min(free, len(self._ready)))]
        if not due:
            return
        self._starting += len(due)
        task = asyncio.create_task(self._begin_group(due), name="agentcron-begin")
        self._beginning.add(task)
        task.add_done_callback(self._beginning.discard)

    async def _begin_group(self, due: list[ClaimedRun]) -> None:
        try:
            await self._start_group(due)
        except BaseException as error:  # the runs are back in line; the loop says why
            if not isinstance(error, asyncio.CancelledError):
                self._begin_failed = error
        finally:
            self._starting -= len(due)
            self._wake.set()
            self._settled.set()  # some may have been withdrawn rather than started

    async def _start_group(self, due: list[ClaimedRun]) -> None:
        try:
            due = await self.runner.with_payloads(due)
        except BaseException:
            self._ready.extendleft(reversed(due))
            raise
        batch = []
        for run in due:
            if self.runner.acts_outside(run):
                batch.append(run)
            else:  # its start is written with its outcome
                self._waiting.pop(run.id, None)
                self._launch(run, self.clock.now())
        if not batch:
            return
        began = time.perf_counter()
        try:
            started_at, attempts = await self.runner.begin([run.id for run in batch])
        except BaseException:
            self._ready.extendleft(reversed(batch))  # not started: still ours to start
            raise
        log.debug(
            "began %d of %d runs in %.1f ms (%d running)",
            len(attempts), len(batch), (time.perf_counter() - began) * 1e3, len(self._running),
        )  # fmt: skip
        for run in batch:
            self._waiting.pop(run.id, None)
            attempt = attempts.get(run.id)
            if attempt is None:
                log.info("run %s was cancelled, paused or rescheduled before its instant", run.id)
            else:
                self._launch(replace(run, attempt=attempt), started_at)

    async def _claim(self, free: int) -> None:
        free = await self._gathered(free, len(self._to_claim))
        batch = [self._to_claim.popleft() for _ in range(min(free, len(self._to_claim)))]
        started = time.perf_counter()
        try:
            started_at, claimed = await self.runner.claim(batch)
        except BaseException:
            self._to_claim.extendleft(reversed(batch))
            raise
        taken = {run.id for run in claimed}
        for run_id in batch:
            held = self._waiting.get(run_id)
            if held is not None and run_id not in taken:  # reserved here meanwhile: start it
                self._ready.append(held)
            else:
                self._waiting.pop(run_id, None)
        log.debug(
            "claimed %d of %d runs in %.1f ms (%d running)",
            len(claimed), len(batch), (time.perf_counter() - started) * 1e3, len(self._running),
        )  # fmt: skip
        for run in claimed:
            self._launch(run, started_at)

    def _launch(self, run: ClaimedRun, started_at: datetime) -> None:
        self._running[run.id] = asyncio.create_task(self._perform(run, started_at))

    async def _perform(self, run: ClaimedRun, started_at: datetime) -> None:
        try:
            self.recorder.add(await self.runner.perform(run, started_at))
        finally:
            self._running.pop(run.id, None)
            self._wake.set()
            self._settled.set()

    async def _lease_step(self) -> None:
        changed = False
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.runner.lease.total_seconds() / 3):
                changed = await self._recheck.wait()
        self._recheck.clear()
        # On a change, the running runs only: one cancelled must stop now. One held for its
        # instant is checked as it starts (a cancelled one is not started), and renewing
        # thousands held ahead at every change of a burst's creation would be work for
        # nothing; their leases are renewed on the clock.
        owned = list(self._running)
        if not changed:
            owned += [i for i, r in self._waiting.items() if r is not None]
            # Performed, its outcome not written yet (the store unreachable, or a burst
            # still starting): a lease run out now would have it performed again.
            owned += self.recorder.run_ids()
        if not owned:
            return
        async with self.runner.store.transaction_at(self.clock) as (now, store):
            kept = await store.runs.renew_leases(
                owned, now, self.runner.lease, self.runner.worker_id
            )
        for run_id in set(owned) - kept:
            if self._waiting.pop(run_id, None) is not None:
                self._ready = deque(run for run in self._ready if run.id != run_id)
                log.info("run %s was cancelled, paused or taken over before it started", run_id)
            task = self._running.get(run_id)
            if task is not None:
                log.info("run %s was cancelled or taken over; stopping it", run_id)
                task.cancel()
        self._settled.set()
