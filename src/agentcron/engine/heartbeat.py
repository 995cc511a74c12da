"""A process's heartbeat: its row in ``workers``, written when it starts, every
``heartbeat_seconds``, and whenever one of its loops changes state, so that ``agentcron
status`` on any machine can tell who serves the store and how they are doing."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

from agentcron.abc import Clock, Store
from agentcron.engine.supervisor import Supervisor
from agentcron.views import WorkerView

FORGET_WORKERS_AFTER = timedelta(days=1)
"""A process not seen for this long died without saying so: its row is removed."""


class Heartbeat:
    """Writes one process's row; ``soon`` asks for the next one now."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        supervisor: Supervisor,
        worker_id: str,
        kind: str,
        *,
        interval: float,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.supervisor = supervisor
        self.worker_id = worker_id
        self.kind = kind
        self.interval = interval
        self.details = details
        self.started_at = clock.now()
        self._due = asyncio.Event()

    def soon(self) -> None:
        self._due.set()

    async def step(self) -> None:
        """One heartbeat, after the interval or as soon as asked."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.interval):
                await self._due.wait()
        self._due.clear()
        await self.beat()

    async def beat(self) -> None:
        now = self.clock.now()
        me = WorkerView(
            self.worker_id, self.kind, self.started_at, now, self.supervisor.snapshot(),
            self.details,
        )  # fmt: skip
        async with self.store.transaction() as store:
            await store.workers.heartbeat(me)
            await store.workers.forget_before(now - FORGET_WORKERS_AFTER)

    async def remove(self) -> None:
        """The process is stopping: its row goes (a process that cannot say so ages out)."""
        async with self.store.transaction() as store:
            await store.workers.remove(self.worker_id)
