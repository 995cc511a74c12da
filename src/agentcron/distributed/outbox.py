"""The scheduler's side of the broker: runs waiting in the store, handed to Celery.

Runs are written to the database first, and committed; only then are their ids sent,
many to a message, a little before they are due (the scheduler's lookahead), so that a
worker reserves them ahead and starts each at its instant. Sending and marking happen
in one transaction that holds the runs' rows: a broker that is down leaves them unmarked,
to be sent on the next pass; a crash after sending and before the commit only sends them
twice, which the workers' reservation makes harmless.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from agentcron.abc import Store
from agentcron.config import Settings
from agentcron.distributed.queues import RUNS_TASK, queue_for
from agentcron.errors import BrokerError

if TYPE_CHECKING:
    from celery import Celery

log = logging.getLogger("agentcron.outbox")
_LOCKED_PER_PASS = 10
"""Messages' worth of runs locked and sent per transaction."""


class Outbox:
    """Hands runs waiting in the store to the broker, in messages of run ids."""

    def __init__(self, store: Store, settings: Settings, app: Celery) -> None:
        self.store = store
        self.app = app
        self.size = settings.run_message_size
        self.ahead = timedelta(seconds=settings.lookahead_seconds)

    async def dispatch(self, now: datetime) -> int:
        """Send every waiting run due by the lookahead and not sent yet; how many went."""
        sent = 0
        limit = self.size * _LOCKED_PER_PASS
        while True:
            async with self.store.transaction(flush=False) as store:  # at worst, sent twice
                runs = await store.handover.to_dispatch(now, now + self.ahead, limit)
                if not runs:
                    return sent
                await asyncio.to_thread(self._publish, runs)
                await store.handover.mark_dispatched([run_id for run_id, _ in runs], now)
            sent += len(runs)
            if len(runs) < limit:
                return sent

    def _publish(self, runs: Sequence[tuple[int, str]]) -> None:
        """One message per ``size`` runs of one queue; raises BrokerError when the broker
        cannot take them (nothing is marked sent then)."""
        by_queue: dict[str, list[int]] = {}
        for run_id, action in runs:
            by_queue.setdefault(queue_for(action), []).append(run_id)
        try:
            with self.app.producer_or_acquire() as producer:
                for queue, ids in by_queue.items():
                    for start in range(0, len(ids), self.size):
                        self.app.send_task(
                            RUNS_TASK,
                            args=[ids[start : start + self.size]],
                            queue=queue,
                            exchange="",
                            routing_key=queue,
                            producer=producer,
                            retry=False,
                            ignore_result=True,
                        )
        except Exception as error:  # kombu and redis-py raise their own, varied errors
            raise BrokerError(
                f"the broker did not take {len(runs)} runs ({type(error).__name__}: {error}); "
                "they stay in the outbox and are sent when it is back"
            ) from error
        log.debug("sent %d runs to %s", len(runs), ", ".join(sorted(by_queue)))
