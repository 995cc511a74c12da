"""Real clock, real store: tasks fire on time and in-flight runs can be cancelled."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from agentcron.bootstrap import Engine
from agentcron.config import Settings
from agentcron.domain import Outcome
from agentcron.store import SqlStore

# Lateness is measured on the wall clock: alone, after the other tests (see `make test`).
pytestmark = pytest.mark.serial


@pytest.fixture
async def engine(database_url: str, tmp_path: Path) -> AsyncIterator[Engine]:
    settings = Settings(
        timezone="Europe/Paris", home=tmp_path, lease_seconds=1.5, shell_allow=["sleep"]
    )
    running = Engine(settings, store=SqlStore(database_url))
    await running.start()
    await running.service.ensure_user("ann", timezone="Europe/Paris")
    yield running
    await running.stop(grace=2)


async def wait_for(condition: object, timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not await condition():  # type: ignore[operator]
            await asyncio.sleep(0.02)


async def test_a_task_due_in_one_second_fires_within_100_ms(engine: Engine) -> None:
    task = await engine.service.create(
        "ann", {"title": "t", "when": "PT1S", "action": "reminder", "payload": {"message": "m"}}
    )
    assert task.next_run_at is not None

    async def fired() -> bool:
        runs = await engine.service.list_runs("ann", task.id)
        return bool(runs) and runs[-1].status == "succeeded"

    await wait_for(fired)
    run = (await engine.service.list_runs("ann", task.id))[-1]
    assert run.scheduled_for == task.next_run_at
    assert run.lateness_seconds is not None
    assert 0 <= run.lateness_seconds < 0.1


async def test_cancel_stops_a_run_in_flight(engine: Engine) -> None:
    outcomes: list[Outcome] = []

    async def collect(batch: list[Outcome]) -> None:
        outcomes.extend(batch)

    engine._on_output = collect
    task = await engine.service.create(
        "ann",
        {
            "title": "long",
            "when": "in 1 minute",
            "action": "shell",
            "payload": {"command": "sleep 30"},
            "timeout_seconds": 60,
        },
    )
    run = await engine.service.trigger("ann", task.id)

    async def running() -> bool:
        return (await engine.service.get_run("ann", run.id)).status == "running"

    await wait_for(running)
    await engine.service.cancel("ann", task.id)

    async def stopped() -> bool:
        return run.id not in engine.executor.running

    await wait_for(stopped, timeout=engine.runner.lease.total_seconds() + 2)
    final = await engine.service.get_run("ann", run.id)
    assert final.status == "cancelled"
    assert final.output is None
    assert outcomes == []  # the cancelled attempt wrote nothing over the cancellation
    assert (await engine.service.get("ann", task.id)).status == "cancelled"
    assert timedelta(0) < final.finished_at - final.started_at < timedelta(seconds=10)  # type: ignore[operator]
