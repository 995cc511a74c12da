"""The deliverer: sends deliveries, and retries failed ones on their own timetable.

A finished run's deliveries are written with its outcome (``Deliverer.write``, called by
the recorder in its transaction): those due now as being sent by this worker, so their
first attempt is on record before it is made, and are sent once that commits. Later
attempts (a retry, the end of quiet hours, a retry by hand) are claimed from the store
first. Results are written in batches. A slow or failing channel holds a few sending slots
at most, and never the run's own status: that was written before any send.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, deque
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from agentcron.abc import Clock, Message, Repositories, Store, Supervisor
from agentcron.config import Settings
from agentcron.domain import DeliveryJob, DeliveryResult, DeliveryStatus, Outcome
from agentcron.engine.batches import BatchWriter
from agentcron.engine.planning import backoff_delay
from agentcron.errors import DeliveryFailed
from agentcron.notify.notifier import AppriseNotifier
from agentcron.notify.planning import deliveries_for, tells

log = logging.getLogger("agentcron.notify")
_IDLE_CHECK_SECONDS = 30.0
"""Safety net: the store is looked at for due deliveries at least this often."""
_BACKOFF_CEILING_SECONDS = 3600.0
_DEFER_SECONDS = 0.002
_REMOVED = "the channel was removed before this delivery was sent"


class Deliverer:
    """Sends this worker's deliveries, at most ``delivery_concurrency`` at once."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: Settings,
        notifier: AppriseNotifier,
        worker_id: str,
        *,
        defer_to: Callable[[], bool] | None = None,
    ) -> None:
        self.defer_to = defer_to
        """While this says so (runs of a burst are starting), sends wait: a run's start
        is the promise kept on time; its message may follow a few milliseconds later."""
        self.store = store
        self.clock = clock
        self.settings = settings
        self.notifier = notifier
        self.worker_id = worker_id
        self.lease = timedelta(seconds=2 * settings.delivery_timeout_seconds + 10)
        self._ready: dict[tuple[str, str], deque[DeliveryJob]] = {}  # by owner and channel
        self._sending: dict[int, asyncio.Task[None]] = {}
        self._per_channel: Counter[tuple[str, str]] = Counter()
        self._wake = asyncio.Event()
        self._settled = asyncio.Event()  # a send ended
        self._results = _Results(self)
        self._loops: list[asyncio.Task[None]] = []
        self._closing = False

    # what the recorder calls

    async def write(
        self, store: Repositories, outcomes: Sequence[Outcome], now: datetime
    ) -> list[DeliveryJob]:
        telling = [o for o in outcomes if tells(o.run.notify_policy, o.status, o.notify)]
        if not telling:
            return []
        recipients = await store.deliveries.recipients(sorted({o.run.owner_id for o in telling}))
        if not recipients:
            return []
        rows = deliveries_for(telling, recipients, now, sender=self.worker_id, lease=self.lease)
        if not rows:
            return []
        added = await store.deliveries.add_many(rows)
        urls = {
            channel.id: channel.url for r in recipients.values() for channel in r.channels
        }  # fmt: skip
        jobs = []
        for row in rows:
            delivery_id = added.get((row["run_id"], row["channel_id"]))
            if delivery_id is None:
                continue  # this run told this channel already (a run retried by hand)
            if row["status"] != DeliveryStatus.SENDING:
                self._wake.set()  # held or pending: the idle check finds it
                continue
            jobs.append(
                DeliveryJob(
                    delivery_id, row["run_id"], row["owner_id"], row["channel"],
                    urls[row["channel_id"]], row["title"], row["body"], 1,
                )
            )  # fmt: skip
        return jobs

    def written(self, jobs: list[DeliveryJob]) -> None:
        for job in jobs:
            self._queue(job)
        self._wake.set()

    def _queue(self, job: DeliveryJob) -> None:
        self._ready.setdefault((job.owner_id, job.channel), deque()).append(job)

    def wake(self) -> None:
        """A delivery became due in the store (a retry by hand): look now."""
        self._wake.set()

    # the loops

    def start(self, supervisor: Supervisor) -> None:
        def closing() -> bool:
            return self._closing

        self._results.start(supervisor)
        self._loops = [
            asyncio.create_task(
                supervisor.keep("deliveries", self._step, until=closing),
                name="agentcron-deliveries",
            ),
            asyncio.create_task(
                supervisor.keep("delivery-leases", self._renew_step, until=closing),
                name="agentcron-delivery-leases",
            ),
        ]

    async def idle(self) -> None:
        """Wait until no delivery held here waits to be sent or is being sent (``serve
        --once`` stops then); their results are written by ``close``."""
        while self._ready or self._sending:
            self._settled.clear()
            await self._settled.wait()

    async def close(self, grace: float) -> None:
        """Stop starting sends; let those under way finish within ``grace`` seconds, and
        write their results. A send cut short stays 'sending' and is found 'unknown'."""
        self._closing = True
        self._wake.set()
        for loop in self._loops:
            loop.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        if self._sending:
            _, late = await asyncio.wait(list(self._sending.values()), timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        await self._results.close()
        await self.notifier.close()

    async def _step(self) -> None:
        free = self.settings.delivery_concurrency - len(self._sending)
        if free > 0 and self._ready:
            if self.defer_to is not None and self.defer_to():
                await asyncio.sleep(_DEFER_SECONDS)
                return
            if self._launch_ready(free):
                await asyncio.sleep(0)  # let the sends begin before starting more
                return
        self._wake.clear()
        timeout = None  # every slot busy, or every ready channel at its share: until one ends
        if free > 0 and not self._ready:
            await self._claim_due(free)
            if self._ready:
                return
            timeout = await self._seconds_to_next()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._wake.wait()

    def _launch_ready(self, free: int) -> int:
        """Start sends of ready deliveries, each channel up to its share of slots (the rest
        of its deliveries wait their turn); how many started."""
        launched = 0
        for key in list(self._ready):
            queue = self._ready[key]
            room = self.notifier.parallel_sends(queue[0].url) - self._per_channel[key]
            while queue and room > 0 and launched < free:
                job = queue.popleft()
                self._per_channel[key] += 1
                self._sending[job.id] = asyncio.create_task(self._send(job))
                room -= 1
                launched += 1
            if not queue:
                del self._ready[key]
            if launched >= free:
                break
        return launched

    async def _renew_step(self) -> None:
        """Every third of the lease: keep the deliveries held here (waiting their turn, or
        being sent) this worker's, so that none is taken for cut short while it waits."""
        await asyncio.sleep(self.lease.total_seconds() / 3)
        held = [job.id for queue in self._ready.values() for job in queue] + list(self._sending)
        if held:
            now = self.clock.now()
            async with self.store.transaction() as store:
                await store.deliveries.renew_leases(held, now, self.lease, self.worker_id)

    async def _claim_due(self, free: int) -> None:
        now = self.clock.now()
        async with self.store.reading() as store:
            due = await store.deliveries.next_due()
            expiry = await store.deliveries.next_lease_expiry()
        lost = expiry is not None and expiry < now
        if not lost and (due is None or due > now):
            return
        async with self.store.transaction() as store:
            if lost:
                count = await store.deliveries.lose_stale(now)
                if count:
                    log.warning("%d deliveries were cut short by a stopped process", count)
            jobs = await store.deliveries.claim_due(now, free, self.worker_id, self.lease)
        for job in jobs:
            if job.id not in self._sending:
                self._queue(job)

    async def _seconds_to_next(self) -> float:
        now = self.clock.now()
        async with self.store.reading() as store:
            due = await store.deliveries.next_due()
            expiry = await store.deliveries.next_lease_expiry()
        candidates = [t for t in (due, expiry) if t is not None]
        if not candidates:
            return _IDLE_CHECK_SECONDS
        return max(0.0, min(_IDLE_CHECK_SECONDS, (min(candidates) - now).total_seconds()))

    async def _send(self, job: DeliveryJob) -> None:
        try:
            if not job.url:
                raise DeliveryFailed(_REMOVED)
            message = Message(job.title, job.body, more=f"agentcron run-show {job.run_id}")
            await self.notifier.send(job.url, message)
            result = DeliveryResult(job, sent=True)
        except DeliveryFailed as error:
            result = DeliveryResult(job, sent=False, error=error.message)
        except Exception as error:
            log.exception("delivery %s: sending to %s raised", job.id, job.channel)
            result = DeliveryResult(job, sent=False, error=f"{type(error).__name__}: {error}")
        finally:
            self._per_channel[(job.owner_id, job.channel)] -= 1
            self._sending.pop(job.id, None)
            self._wake.set()
            self._settled.set()
        if not result.sent:
            log.info("delivery %s to %s failed: %s", job.id, job.channel, result.error)
        self._results.add(result)

    def outcome_row(self, result: DeliveryResult, now: datetime) -> dict[str, object]:
        """How a send ends: sent; failed for good after the last attempt; else pending again
        after a backoff of its own."""
        job = result.job
        row: dict[str, object] = {
            "delivery_id": job.id, "error": result.error, "retry_at": None, "sent_at": None,
        }  # fmt: skip
        if result.sent:
            return row | {"status": DeliveryStatus.SENT.value, "sent_at": now}
        removed = result.error == _REMOVED
        if removed or job.attempt >= self.settings.delivery_max_attempts:
            return row | {"status": DeliveryStatus.FAILED.value}
        delay = backoff_delay(
            job.attempt, self.settings.delivery_backoff_seconds, _BACKOFF_CEILING_SECONDS
        )
        return row | {
            "status": DeliveryStatus.PENDING.value,
            "retry_at": now + timedelta(seconds=delay),
        }


class _Results(BatchWriter[DeliveryResult]):
    """The deliverer's results, written in batches."""

    name = "delivery-results"
    what = "delivery results (those deliveries will show as unknown)"

    def __init__(self, deliverer: Deliverer) -> None:
        super().__init__()
        self.deliverer = deliverer

    async def write(self, batch: list[DeliveryResult]) -> None:
        deliverer = self.deliverer
        now = deliverer.clock.now()
        rows = [deliverer.outcome_row(result, now) for result in batch]
        async with deliverer.store.transaction() as store:
            await store.deliveries.record(rows, deliverer.worker_id, now)
        if any(row["retry_at"] is not None for row in rows):
            deliverer.wake()  # its next attempt has a time now
