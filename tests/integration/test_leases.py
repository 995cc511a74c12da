"""A run performed whose outcome is not written yet stays its worker's: the worker renews its
lease with those of the runs it holds, so that no worker takes it for abandoned and
performs it again while the store is out of reach or a burst is still starting."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

from sqlalchemy import select

from agentcron.config import Settings
from agentcron.engine.executor import InProcessExecutor
from agentcron.engine.recorder import Recorder
from agentcron.engine.runner import Runner
from agentcron.engine.scheduler import Scheduler
from agentcron.engine.supervisor import Supervisor
from agentcron.service import TaskService
from agentcron.store import SqlStore
from agentcron.store.models import runs
from agentcron.testing import FakeClock
from tests.support.sql import sessions

LEASE = timedelta(seconds=1)


async def lease_of(store: SqlStore, run_id: int) -> datetime:
    async with sessions(store)() as session:
        expiry = await session.scalar(select(runs.c.lease_expires_at).where(runs.c.id == run_id))
    assert expiry is not None
    return expiry


async def until_renewed_past(store: SqlStore, run_id: int, moment: datetime) -> None:
    """Once the run's lease runs beyond ``moment`` (polled for up to 5 s: a busy machine)."""
    deadline = time.monotonic() + 5.0
    while await lease_of(store, run_id) <= moment:
        assert time.monotonic() < deadline, "the lease was not renewed"
        await asyncio.sleep(0.02)


async def test_a_run_whose_outcome_waits_to_be_written_keeps_its_lease(
    service: TaskService, store: SqlStore, clock: FakeClock
) -> None:
    settings = Settings(timezone="Europe/Paris", lease_seconds=LEASE.total_seconds())
    task = await service.create(
        "ann",
        {"title": "t", "when": "in 1 minute", "action": "reminder", "payload": {"message": "hi"}},
    )
    clock.advance(timedelta(minutes=1))
    runner = Runner(store, clock, settings, service.actions, "worker-1")
    recorder = Recorder(store, clock, "worker-1")  # not started: the outcome stays unwritten
    executor = InProcessExecutor(runner, recorder, clock, concurrency=4)
    executor.start(Supervisor(clock, give_up_seconds=60))
    try:
        await Scheduler(store, clock, settings, executor).run_pass()  # written as worker-1's
        deadline = time.monotonic() + 5.0
        while not recorder.run_ids():  # a reminder: performed from memory, its start unwritten
            assert time.monotonic() < deadline, "the run was not performed"
            await asyncio.sleep(0.01)
        (run_id,) = recorder.run_ids()
        for _ in range(3):  # three leases' time with the outcome held
            clock.advance(LEASE * 0.9)
            await until_renewed_past(store, run_id, clock.now())
        async with store.reading() as repositories:
            assert await repositories.runs.dispatchable(clock.now(), 10) == []  # not up for grabs
        await recorder.flush()
    finally:
        await executor.close(grace=1.0)
    (run,) = await service.list_runs("ann", task.id)
    assert (run.status, run.attempt, run.worker_id) == ("succeeded", 1, "worker-1")
    attempts = await service.run_attempts("ann", run.id)
    assert [(a.attempt, a.status) for a in attempts] == [(1, "succeeded")]
