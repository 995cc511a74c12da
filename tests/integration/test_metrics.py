"""``TaskService.metrics``: totals over every person's runs and deliveries, counted from the
rows, on SQLite and PostgreSQL alike (lateness and duration are computed by the database)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import insert

from agentcron.service import TaskService
from agentcron.store import SqlStore
from agentcron.store.metrics import DURATION_BOUNDS, LATENESS_BOUNDS
from agentcron.store.models import deliveries, runs
from agentcron.testing import FakeClock
from tests.support.sql import sessions


async def test_runs_deliveries_lateness_duration_and_spend_are_totalled(
    service: TaskService, store: SqlStore, clock: FakeClock
) -> None:
    now = clock.now()
    reminder = {"when": "every day at 9", "action": "reminder", "payload": {"message": "hi"}}
    ann = await service.create("ann", {"title": "A", **reminder})
    bob = await service.create("bob", {"title": "B", **reminder})
    base = now - timedelta(hours=10)

    def run(task: int, hour: int, status: str, **fields: Any) -> dict[str, Any]:
        at = base + timedelta(hours=hour)
        row = {"task_id": task, "scheduled_for": at, "trigger": "schedule", "status": status,
               "attempt": 1, "not_before": at, "queued_at": at, "started_at": None,
               "finished_at": None, "usage": None}  # fmt: skip
        return row | fields

    def late(hour: int, seconds: float) -> Any:
        return base + timedelta(hours=hour, seconds=seconds)

    rows = [
        run(ann.id, 0, "succeeded", started_at=late(0, 0.02), finished_at=late(0, 1.52),
            usage={"input_tokens": 100, "output_tokens": 20, "cost": 0.25}),
        run(ann.id, 1, "failed", started_at=late(1, 3.0), finished_at=late(1, 63.0),
            usage={"input_tokens": 5, "output_tokens": 1}),
        run(bob.id, 2, "succeeded", started_at=late(2, 0.2), finished_at=late(2, 0.205),
            usage={"input_tokens": 7, "output_tokens": 3, "cost": 0.5}),
        run(bob.id, 3, "running", started_at=late(3, 0.0)),
        run(bob.id, 4, "queued"),  # due and waiting
        run(bob.id, 30, "queued", attempt=0),  # not due yet
    ]  # fmt: skip
    async with sessions(store)() as session, session.begin():
        ids = list((await session.execute(insert(runs).returning(runs.c.id), rows)).scalars())
        await session.execute(
            insert(deliveries),
            [
                {"run_id": ids[0], "channel": "phone", "owner_id": "ann", "status": status,
                 "attempts": 1, "title": "t", "body": "b", "created_at": now, "updated_at": now}
                for status in ("sent", "sent", "failed")
            ],
        )  # fmt: skip

    totals = await service.metrics()

    assert totals.runs == {"succeeded": 2, "failed": 1, "running": 1, "queued": 2}
    assert totals.deliveries == {"sent": 2, "failed": 1}
    assert totals.waiting == 1
    assert (totals.input_tokens, totals.output_tokens) == (112, 24)
    assert abs(totals.cost - 0.75) < 1e-9
    lateness = totals.lateness  # 0.02, 3.0, 0.2, 0.0 seconds
    assert lateness.count == 4
    assert abs(lateness.total - 3.22) < 0.01
    expected = [sum(s <= b for s in (0.02, 3.0, 0.2, 0.0)) for b in LATENESS_BOUNDS]
    assert list(lateness.counts) == expected
    duration = totals.duration  # 1.5, 60.0, 0.005 seconds
    assert duration.count == 3
    assert abs(duration.total - 61.505) < 0.01
    assert list(duration.counts) == [
        sum(s <= b for s in (1.5, 60.0, 0.005)) for b in DURATION_BOUNDS
    ]
