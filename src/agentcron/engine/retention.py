"""Forgetting old history: finished runs (with their attempts and deliveries) and lifecycle
events past ``retention_days``. The embedded engine does it once an hour; in the
distributed shape a scheduler's upkeep sends it to one worker once an hour."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentcron.abc import Clock
    from agentcron.store import SqlStore

log = logging.getLogger("agentcron.retention")

PURGE_EVERY = timedelta(hours=1)
_BATCH = 1000
"""Rows a transaction deletes: a long history goes in many short transactions, so that
the runs being recorded meanwhile never wait long."""


async def purge_history(store: SqlStore, clock: Clock, retention_days: float) -> int:
    """Delete what finished, or happened, more than ``retention_days`` ago (0 keeps all);
    how many runs went."""
    if retention_days <= 0:
        return 0
    before = await store.now(clock) - timedelta(days=retention_days)
    runs = events = 0
    while True:
        async with store.transaction() as repositories:
            count = await repositories.handover.purge_finished(before, _BATCH)
            old_events = await repositories.events.purge_before(before, _BATCH)
        runs += count
        events += old_events
        if count < _BATCH and old_events < _BATCH:
            break
    if runs or events:
        log.info(
            "purged %d runs finished and %d events recorded before %s",
            runs, events, before.isoformat(),
        )  # fmt: skip
    return runs
