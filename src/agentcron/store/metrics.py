"""Totals over the store for ``/metrics``: runs and deliveries by status, lateness and
duration as histograms, tokens and cost, what waits to start.

Counted from the rows rather than in the processes that do the work, so that a scrape of
any API process sees the work of every scheduler and worker, embedded or distributed,
once. The price is a scan of the runs the retention keeps, per scrape.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, case, func, literal_column, select

from agentcron.domain import CLAIMABLE_RUN_STATUSES
from agentcron.store._rows import DELIVERIES, QUEUE_DEPTHS, RUNS, Sql
from agentcron.views import Histogram, StoreMetrics

LATENESS_BOUNDS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
DURATION_BOUNDS = (0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


class SqlMetrics:
    def __init__(self, session: Sql, sqlite: bool) -> None:
        self._session = session
        self._sqlite = sqlite

    async def totals(self, now: datetime) -> StoreMetrics:
        runs = await self._session.execute(
            select(RUNS.c.status, func.count().label("n")).group_by(RUNS.c.status)
        )
        deliveries = await self._session.execute(
            select(DELIVERIES.c.status, func.count().label("n")).group_by(DELIVERIES.c.status)
        )
        spent = select(
            func.coalesce(func.sum(RUNS.c.usage["input_tokens"].as_integer()), 0),
            func.coalesce(func.sum(RUNS.c.usage["output_tokens"].as_integer()), 0),
            func.coalesce(func.sum(RUNS.c.usage["cost"].as_float()), 0.0),
        ).where(RUNS.c.usage.is_not(None))
        usage: list[Any] = list((await self._session.execute(spent)).one())
        waiting = await self._session.scalar(
            select(func.count()).where(
                RUNS.c.status.in_(CLAIMABLE_RUN_STATUSES),
                RUNS.c.started_at.is_(None),
                RUNS.c.not_before <= now,
            )
        )
        queues = await self._session.execute(select(QUEUE_DEPTHS.c.queue, QUEUE_DEPTHS.c.depth))
        return StoreMetrics(
            runs={row.status: int(row.n) for row in runs},
            deliveries={row.status: int(row.n) for row in deliveries},
            lateness=await self._histogram(RUNS.c.started_at, RUNS.c.not_before, LATENESS_BOUNDS),
            duration=await self._histogram(RUNS.c.finished_at, RUNS.c.started_at, DURATION_BOUNDS),
            input_tokens=int(usage[0]),
            output_tokens=int(usage[1]),
            cost=float(usage[2]),
            waiting=int(waiting or 0),
            queues={row.queue: int(row.depth) for row in queues},
        )

    async def _histogram(
        self, end: ColumnElement[datetime], start: ColumnElement[datetime], bounds: Sequence[float]
    ) -> Histogram:
        """How far ``end`` came after ``start`` over the runs that have both, in one scan."""
        seconds = self._seconds_between(start, end)
        under = [func.sum(case((seconds <= bound, 1), else_=0)) for bound in bounds]
        row: list[Any] = list(
            (
                await self._session.execute(
                    select(func.count(), func.coalesce(func.sum(seconds), 0.0), *under).where(
                        end.is_not(None), start.is_not(None)
                    )
                )
            ).one()
        )
        return Histogram(
            bounds=tuple(bounds),
            counts=tuple(int(n or 0) for n in row[2:]),
            count=int(row[0]),
            total=float(row[1]),
        )

    def _seconds_between(
        self, start: ColumnElement[datetime], end: ColumnElement[datetime]
    ) -> ColumnElement[float]:
        if self._sqlite:  # naive ISO text: julianday reads it to the millisecond
            days = func.julianday(end) - func.julianday(start)
            return (days * literal_column("86400.0")).cast(Float)
        return func.extract("epoch", end - start).cast(Float)
