"""The distributed shape's upkeep, done by the schedulers (no separate beat process): one
scheduler at a time, every ``maintenance_seconds``.

- Runs a dead worker had reserved, and whose lease ran out, are freed and handed over
  again. Runs it had started are recovered by the scheduler's own pass, as embedded: the
  upkeep wakes its scheduler when it sees one whose lease ran out, since the scheduler
  may have gone to sleep before the run started, knowing of no lease to wait for.
- Runs handed to the broker and never taken within ``redispatch_after_seconds`` are handed
  over again when their queue is empty: their message was lost (a broker restarted empty,
  or flushed). While messages wait in their queue, the workers are only busy: sending the
  runs again would only add to the line.
- Each queue's depth is counted and stored, for ``agentcron status``.
- Once an hour, a purge of the history past ``retention_days`` goes to the
  ``maintenance`` queue, for a worker to do.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from agentcron.abc import Clock, Store, Wakeup
from agentcron.config import Settings
from agentcron.distributed.broker import Broker
from agentcron.distributed.queues import MAINTENANCE, PURGE_TASK, QUEUES, queue_for
from agentcron.engine.retention import PURGE_EVERY
from agentcron.errors import BrokerError

if TYPE_CHECKING:
    from celery import Celery

log = logging.getLogger("agentcron.upkeep")
UPKEEP_LOCK = 0x61677570  # "agup": one scheduler at a time does the upkeep


@dataclass
class UpkeepReport:
    """What one round of upkeep found and did (None: another scheduler was at it)."""

    lapsed: int = 0
    stale: int = 0
    """Runs whose message was lost, handed over again."""
    in_line: int = 0
    """Runs not taken within the bound whose queue still has messages waiting: left there."""
    expired: bool = False
    """Whether a running run's lease ran out (its worker died): the pass recovers it."""
    depths: dict[str, int] = field(default_factory=dict)
    purge_sent: bool = False


class Upkeep:
    """The periodic upkeep of one scheduler process."""

    def __init__(
        self, store: Store, clock: Clock, settings: Settings, app: Celery, wakeup: Wakeup
    ) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings
        self.app = app
        self.wakeup = wakeup
        self._last_purge: datetime | None = None

    async def step(self) -> None:
        await asyncio.sleep(self.settings.maintenance_seconds)
        await self.run()

    async def run(self) -> UpkeepReport | None:
        now = await self.store.now(self.clock)
        bound = timedelta(seconds=self.settings.redispatch_after_seconds)
        report = UpkeepReport()
        async with self.store.transaction() as store:
            if not await store.handover.try_lock(UPKEEP_LOCK):
                return None
            report.depths = await asyncio.to_thread(self._depths)
            report.lapsed = await store.handover.release_lapsed(now)
            stale = await store.handover.stale(now, now - bound)
            lost = [run_id for run_id, action in stale if not report.depths[queue_for(action)]]
            report.stale = await store.handover.hand_over_again(lost)
            report.in_line = len(stale) - len(lost)
            expiry = await store.runs.next_lease_expiry()
            report.expired = expiry is not None and expiry < now
            await store.workers.record_queue_depths(report.depths, now)
        if report.lapsed or report.stale:
            log.warning(
                "handing over again %d runs whose worker stopped and %d whose message was "
                "lost", report.lapsed, report.stale,
            )  # fmt: skip
            self.wakeup.wake()  # the scheduler hands them over now
        elif report.expired:
            self.wakeup.wake()  # the scheduler recovers them now
        if report.in_line:
            log.info("%d runs handed over wait in line behind busy workers", report.in_line)
        if self._purge_due(now):
            await asyncio.to_thread(self._send_purge)
            self._last_purge = now
            report.purge_sent = True
        return report

    def _purge_due(self, now: datetime) -> bool:
        if self.settings.retention_days <= 0:
            return False
        return self._last_purge is None or now - self._last_purge >= PURGE_EVERY

    def _depths(self) -> dict[str, int]:
        return Broker(self.settings, self.app).depths(QUEUES)

    def _send_purge(self) -> None:
        try:
            self.app.send_task(
                PURGE_TASK, queue=MAINTENANCE, exchange="", routing_key=MAINTENANCE, retry=False
            )
        except Exception as error:
            raise BrokerError(f"could not send the purge ({type(error).__name__})") from error
