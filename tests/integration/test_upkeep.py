"""The distributed upkeep against the real PostgreSQL and Redis: runs handed over and not
taken within the bound are sent again only when their message is gone from the broker,
never while it still waits in its queue behind busy workers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import redis
from sqlalchemy import text

from agentcron.bootstrap import build_service
from agentcron.clock import SystemClock
from agentcron.config import Settings
from agentcron.distributed.app import make_app
from agentcron.distributed.outbox import Outbox
from agentcron.distributed.queues import NOTIFY
from agentcron.distributed.upkeep import Upkeep
from agentcron.engine.scheduler import Scheduler
from agentcron.engine.wakeup import WakeEvent
from agentcron.store import SqlStore

BROKER = "redis://127.0.0.1:6379/12"
"""This file's own Redis database, emptied by each test. The tests read its queues' lengths
as the upkeep leaves them, so they run alone (``serial``): under ``pytest -n``, a message once
went missing from the queue between the upkeep and the check."""
pytestmark = pytest.mark.serial


@pytest.fixture
async def cluster(pg_schema: str) -> AsyncIterator[tuple[SqlStore, Settings]]:
    settings = Settings(
        timezone="UTC", database_url=pg_schema, broker_url=BROKER, redispatch_after_seconds=30
    )
    store = SqlStore(pg_schema)
    await store.migrate()
    redis.Redis.from_url(BROKER).flushdb()
    yield store, settings
    await store.close()
    redis.Redis.from_url(BROKER).flushdb()


async def handed_over_long_ago(store: SqlStore, settings: Settings, count: int) -> None:
    """``count`` reminders written, sent to the broker, then aged: handed over and due a
    minute ago, and taken by no worker."""
    service = build_service(settings, store)
    await service.ensure_user("ann", timezone="UTC")
    due = datetime.now(UTC) + timedelta(seconds=1)
    await service.create_many(
        "ann",
        [{"title": f"r{i}", "when": due.isoformat(), "payload": {"message": "hi"}}
         for i in range(count)],
    )  # fmt: skip
    outbox = Outbox(store, settings, make_app(settings))
    scheduler = Scheduler(store, SystemClock(), settings, None, dispatcher=outbox)
    report = await scheduler.run_pass()
    assert report.dispatched == count
    async with store.engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE runs SET dispatched_at = dispatched_at - interval '1 minute', "
                "not_before = not_before - interval '1 minute'"
            )
        )


def upkeep(store: SqlStore, settings: Settings) -> Upkeep:
    return Upkeep(store, SystemClock(), settings, make_app(settings), WakeEvent())


async def dispatched(store: SqlStore) -> int:
    async with store.engine.connect() as connection:
        count = await connection.scalar(
            text("SELECT count(*) FROM runs WHERE dispatched_at IS NOT NULL")
        )
    return int(count or 0)


async def test_runs_waiting_behind_busy_workers_are_not_sent_again(
    cluster: tuple[SqlStore, Settings],
) -> None:
    store, settings = cluster
    await handed_over_long_ago(store, settings, 3)
    assert redis.Redis.from_url(BROKER).llen(NOTIFY) == 1  # their message waits in line

    report = await upkeep(store, settings).run()

    assert report is not None
    assert (report.stale, report.in_line, report.depths[NOTIFY]) == (0, 3, 1)
    assert await dispatched(store) == 3
    assert redis.Redis.from_url(BROKER).llen(NOTIFY) == 1  # nothing added to the line


async def test_runs_whose_message_was_lost_are_handed_over_again(
    cluster: tuple[SqlStore, Settings],
) -> None:
    store, settings = cluster
    await handed_over_long_ago(store, settings, 3)
    redis.Redis.from_url(BROKER).flushdb()  # the broker restarted empty

    report = await upkeep(store, settings).run()

    assert report is not None
    assert (report.stale, report.in_line) == (3, 0)
    assert await dispatched(store) == 0  # the next pass sends them
    sent = await Outbox(store, settings, make_app(settings)).dispatch(
        await store.now(SystemClock())
    )
    assert sent == 3
    assert redis.Redis.from_url(BROKER).llen(NOTIFY) == 1


async def test_only_one_scheduler_at_a_time_does_the_upkeep(
    cluster: tuple[SqlStore, Settings],
) -> None:
    store, settings = cluster
    await handed_over_long_ago(store, settings, 2)
    redis.Redis.from_url(BROKER).flushdb()

    reports = await asyncio.gather(*(upkeep(store, settings).run() for _ in range(2)))

    done = [report for report in reports if report is not None]
    assert sum(report.stale for report in done) == 2
