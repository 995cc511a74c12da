"""Batched writing of outcomes: one transaction per batch instead of one per run, with the
deliveries the finished runs make."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from agentcron.abc import Clock, Notices, Store
from agentcron.domain import Outcome, RunStatus
from agentcron.engine.batches import BatchWriter
from agentcron.engine.following import Ended, follow

log = logging.getLogger("agentcron.recorder")
Recorded = Callable[[list[Outcome]], Awaitable[None]]


class Recorder(BatchWriter[Outcome]):
    """Writes outcomes of this worker's runs in batches; ends the tasks they end, and writes
    their deliveries and the runs of the tasks that follow theirs in the same transaction, so
    that a recorded run is always told, and a chain never loses or doubles a step."""

    name = "recorder"
    what = "outcomes (their runs will be retried)"

    def __init__(
        self,
        store: Store,
        clock: Clock,
        worker_id: str,
        *,
        on_recorded: Recorded | None = None,
        on_followed: Callable[[], None] | None = None,
        notices: Notices | None = None,
        batch: int = 500,
        interval: float = 0.01,
    ) -> None:
        super().__init__(batch=batch, interval=interval)
        self.store = store
        self.clock = clock
        self.worker_id = worker_id
        self.on_recorded = on_recorded
        self.on_followed = on_followed
        """Told when recording made runs of tasks that follow others (they are due now)."""
        self.notices = notices

    def run_ids(self) -> list[int]:
        """The runs whose outcome is not written yet: still this worker's, their leases
        renewed with those of the runs it is running."""
        return [outcome.run.id for outcome in self.held()]

    async def write(self, batch: list[Outcome]) -> None:
        """Write ``batch`` in one transaction, end the tasks it ends, write its deliveries."""
        started = time.perf_counter()
        now = self.clock.now()
        jobs = []
        followed = 0
        async with self.store.transaction() as store:
            written = await store.runs.record_outcomes(batch, self.worker_id, now)
            mine = [o for o in batch if o.run.id in written]
            await store.tasks.complete([o.run.task_id for o in mine if o.complete_task], now)
            await store.tasks.finish(
                sorted({o.run.task_id for o in mine if o.status != RunStatus.RETRYING}), now
            )
            ends = [Ended(o.run.id, o.run.task_id, o.status) for o in mine]
            followed = await follow(store, ends, now)
            if followed:
                await store.announce_change()  # other processes' workers and dispatchers
            if self.notices is not None:
                ended = [o for o in mine if o.status != RunStatus.RETRYING]
                jobs = await self.notices.write(store, ended, now) if ended else []
        log.debug(
            "recorded %d outcomes in %.1f ms", len(batch), (time.perf_counter() - started) * 1e3
        )
        if jobs and self.notices is not None:
            self.notices.written(jobs)
        if followed and self.on_followed is not None:
            self.on_followed()
        if self.on_recorded is not None:
            await self.on_recorded(mine)
