"""The events table: every change to a task, run or delivery leaves one event, written by
the store's triggers in the change's own transaction, so none is lost (it commits with its
change) or invented (it rolls back with it); each person reads only theirs, in order."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from agentcron.errors import BatchError
from agentcron.service import TaskService
from agentcron.store import SqlStore
from agentcron.store.models import tasks
from agentcron.testing import FakeClock
from agentcron.views import EventView
from tests.support.engine_rig import Rig
from tests.support.local_http import free_port
from tests.support.sql import PG_SERVER, sessions

REMINDER = {"action": "reminder", "payload": {"message": "stretch"}}


async def settled(service: TaskService, owner: str, at_least: int) -> list[EventView]:
    """The owner's events once ``at_least`` are readable: on PostgreSQL, events wait for
    every older transaction of the database (other tests' too) to end."""
    deadline = time.monotonic() + 10
    while len(found := await service.events(owner, after=0, limit=500)) < at_least:
        assert time.monotonic() < deadline, found
        await asyncio.sleep(0.02)
    return found


async def kinds(
    service: TaskService, owner: str = "ann", *, at_least: int = 1
) -> list[tuple[str, int | None]]:
    return [(e.kind, e.task_id) for e in await settled(service, owner, at_least)]


async def test_every_change_is_one_event_in_the_order_it_happened(
    rig: Rig, service: TaskService, clock: FakeClock
) -> None:
    task = await service.create("ann", {"title": "Stretch", "when": "every day at 9", **REMINDER})
    await service.update("ann", task.id, {"title": "Stretch well"})
    await service.pause("ann", task.id)
    await service.resume("ann", task.id)
    bobs = await service.create("bob", {"title": "Bob's", "when": "every day at 9", **REMINDER})
    clock.set((await service.get("ann", task.id)).next_run_at)  # type: ignore[arg-type]
    await rig.tick()
    closed = f"http://127.0.0.1:{free_port()}/"  # nothing listens: the call fails
    failing = await service.create(
        "ann",
        {"title": "Ping", "when": "in 1 minute", "action": "http", "payload": {"url": closed},
         "max_attempts": 2, "backoff_seconds": 1},
    )  # fmt: skip
    clock.advance(timedelta(minutes=1))
    await rig.tick()  # attempt 1 fails: a retry
    (run,) = await rig.runs(failing.id)
    clock.set(run.not_before)
    await rig.tick()
    await rig.tick()  # attempt 2 fails for good
    await service.cancel("ann", task.id)

    t, f = task.id, failing.id
    assert await kinds(service, at_least=13) == [
        ("task.created", t), ("task.changed", t), ("task.paused", t), ("task.resumed", t),
        ("run.started", t), ("run.finished", t),
        ("task.created", f), ("run.started", f), ("run.retried", f),
        ("run.started", f), ("run.finished", f), ("task.failed", f),
        ("task.cancelled", t),
    ]  # fmt: skip
    ann = await settled(service, "ann", 13)
    finished = [e.to_dict() for e in ann if e.kind == "run.finished"]
    assert [(d["status"], d["attempt"]) for d in finished] == [("succeeded", 1), ("failed", 2)]
    assert [e.id for e in ann] == sorted(e.id for e in ann)
    b = bobs.id  # only theirs, bob's own run included
    assert await kinds(service, "bob", at_least=3) == [
        ("task.created", b), ("run.started", b), ("run.finished", b),
    ]  # fmt: skip
    assert all(e.owner_id == "ann" for e in ann)


async def test_a_change_rolled_back_leaves_no_event(service: TaskService, store: SqlStore) -> None:
    task = await service.create("ann", {"title": "Stretch", "when": "every day at 9", **REMINDER})
    before = await kinds(service)
    async with sessions(store)() as session, session.begin():
        await session.execute(
            update(tasks).where(tasks.c.id == task.id).values(status="paused", version=9)
        )
        await session.rollback()
    with pytest.raises(BatchError):  # one refused: none made
        await service.create_many(
            "ann",
            [
                {"title": "ok", "when": "in 1 hour", **REMINDER},
                {"title": "bad", "when": "soon-ish?"},
            ],
        )
    assert await kinds(service) == before == [("task.created", task.id)]


async def test_the_latest_come_last_and_after_reads_on_from_an_id(service: TaskService) -> None:
    made = [
        await service.create("ann", {"title": f"t{n}", "when": "every day at 9", **REMINDER})
        for n in range(5)
    ]
    await settled(service, "ann", 5)
    latest = await service.events("ann", limit=2)
    assert [e.task_id for e in latest] == [made[3].id, made[4].id]
    after = await service.events("ann", after=latest[0].id)
    assert [e.task_id for e in after] == [made[4].id]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_an_event_whose_transaction_commits_late_is_not_skipped(
    service: TaskService, store: SqlStore
) -> None:
    """A reader past event 2 must still get event 1 if 1's transaction began first and
    commits after 2's: readers take only events older than every open transaction."""
    task = await service.create("ann", {"title": "Stretch", "when": "every day at 9", **REMINDER})
    (created,) = await settled(service, "ann", 1)
    follow = service.follow_events("ann", after=created.id, poll_seconds=0.01)
    assert await anext(follow) == []
    async with sessions(store)() as session, session.begin():
        await session.execute(  # event 1, its transaction open
            update(tasks).where(tasks.c.id == task.id).values(title="Early", version=5)
        )
        later = await service.create(  # event 2, committed at once
            "ann", {"title": "Later", "when": "every day at 10", **REMINDER}
        )
        assert await anext(follow) == []  # 2 waits for 1's transaction
    seen: list[EventView] = []
    deadline = time.monotonic() + 10
    while len(seen) < 2:  # once other tests' transactions older than 1's have ended too
        assert time.monotonic() < deadline, seen
        seen += await anext(follow)
    assert [(e.kind, e.task_id) for e in seen] == [
        ("task.changed", task.id), ("task.created", later.id),
    ]  # fmt: skip
    assert seen[0].to_dict()["title"] == "Early"


async def test_old_events_are_purged_oldest_first(service: TaskService, store: SqlStore) -> None:
    for n in range(3):
        await service.create("ann", {"title": f"t{n}", "when": "every day at 9", **REMINDER})
    (first, *_) = await settled(service, "ann", 3)
    async with store.transaction() as repos:
        assert await repos.events.purge_before(first.at - timedelta(days=1), 10) == 0
        assert await repos.events.purge_before(first.at + timedelta(days=1), 2) == 2
    assert [e.to_dict()["title"] for e in await service.events("ann", after=0)] == ["t2"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_transaction_open_in_another_database_holds_nothing_back(
    service: TaskService,
) -> None:
    import psycopg

    other = PG_SERVER.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(other) as elsewhere:  # a transaction with an id, left open
        elsewhere.execute("SELECT pg_current_xact_id()")
        task = await service.create("ann", {"title": "On", "when": "every day at 9", **REMINDER})
        assert [e.task_id for e in await settled(service, "ann", 1)] == [task.id]
        elsewhere.rollback()
