"""Processes serving the store: each writes a heartbeat with its loops' states, so that
``agentcron status`` (and a front door asking whether anyone will fire a task) can see
them from any machine that reaches the store."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy import delete, select

from agentcron.store._rows import QUEUE_DEPTHS, WORKERS, Sql, upsert_into, worker_view
from agentcron.views import WorkerView


class SqlWorkers:
    def __init__(self, session: Sql, sqlite: bool) -> None:
        self._session = session
        self._sqlite = sqlite

    async def heartbeat(self, worker: WorkerView) -> None:
        insert = upsert_into(WORKERS, self._sqlite).values(**asdict(worker))
        await self._session.execute(
            insert.on_conflict_do_update(
                index_elements=[WORKERS.c.id],
                set_={
                    "seen_at": insert.excluded.seen_at,
                    "loops": insert.excluded.loops,
                    "details": insert.excluded.details,
                },
            )
        )

    async def remove(self, worker_id: str) -> None:
        await self._session.execute(delete(WORKERS).where(WORKERS.c.id == worker_id))

    async def seen_since(self, since: datetime) -> list[WorkerView]:
        query = select(WORKERS).where(WORKERS.c.seen_at >= since).order_by(WORKERS.c.started_at)
        return [worker_view(row) for row in await self._session.execute(query)]

    async def forget_before(self, before: datetime) -> None:
        await self._session.execute(delete(WORKERS).where(WORKERS.c.seen_at < before))

    async def record_queue_depths(self, depths: dict[str, int], now: datetime) -> None:
        if not depths:
            return
        insert = upsert_into(QUEUE_DEPTHS, self._sqlite)
        await self._session.execute(
            insert.on_conflict_do_update(
                index_elements=[QUEUE_DEPTHS.c.queue],
                set_={"depth": insert.excluded.depth, "measured_at": insert.excluded.measured_at},
            ),
            [{"queue": q, "depth": n, "measured_at": now} for q, n in sorted(depths.items())],
        )

    async def queue_depths(self) -> dict[str, tuple[int, datetime]]:
        rows = await self._session.execute(select(QUEUE_DEPTHS).order_by(QUEUE_DEPTHS.c.queue))
        return {row.queue: (row.depth, row.measured_at) for row in rows}
