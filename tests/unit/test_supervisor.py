"""The supervisor keeps a loop alive through its errors, and ends the process only when
one cannot go on: real asyncio, a fake clock for how long a loop has been failing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from agentcron.engine.supervisor import Supervisor
from agentcron.errors import ConfigurationError, StoreError
from agentcron.testing import FakeClock

START = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


async def test_a_failing_step_is_called_again_and_the_loop_carries_on() -> None:
    calls = 0
    settled = asyncio.Event()

    async def step() -> None:
        nonlocal calls
        calls += 1
        if calls <= 2:
            raise StoreError("The store x is locked by another program past the busy timeout.")
        settled.set()
        await asyncio.sleep(3600)

    supervisor = Supervisor(FakeClock(START), give_up_seconds=60)
    loop = asyncio.create_task(supervisor.keep("scheduler", step))
    async with asyncio.timeout(5):
        await settled.wait()
    state = supervisor.states["scheduler"]
    assert (state.state, state.restarts) == ("retrying", 2)  # its step has not returned yet
    assert "locked by another program" in (state.last_error or "")
    loop.cancel()
    await asyncio.gather(loop, return_exceptions=True)
    assert supervisor.fatal is None
    assert not supervisor.done.is_set()


async def test_a_step_that_succeeds_again_marks_the_loop_running() -> None:
    calls = 0

    async def step() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise StoreError("The disk holding x is full; free some space and retry.")

    supervisor = Supervisor(FakeClock(START), give_up_seconds=60)
    await supervisor.keep("recorder", step, until=lambda: calls >= 3)
    state = supervisor.states["recorder"]
    assert (state.state, state.restarts, state.failing_since) == ("stopped", 1, None)
    assert state.last_error == "The disk holding x is full; free some space and retry."


async def test_an_unexpected_error_that_keeps_coming_back_ends_the_process() -> None:
    clock = FakeClock(START)

    async def step() -> None:
        clock.advance(timedelta(seconds=15))
        raise RuntimeError("boom")

    supervisor = Supervisor(clock, give_up_seconds=30)
    async with asyncio.timeout(5):
        await supervisor.keep("scheduler", step)  # returns: the loop gave up
    assert supervisor.done.is_set()
    assert supervisor.fatal == "the scheduler loop stopped: it kept failing for 30 s: " + (
        "RuntimeError: boom"
    )
    assert supervisor.states["scheduler"].state == "failed"


async def test_a_store_outage_is_waited_out_however_long_it_lasts() -> None:
    clock = FakeClock(START)
    calls = 0

    async def step() -> None:
        nonlocal calls
        calls += 1
        clock.advance(timedelta(minutes=10))
        raise StoreError("Cannot reach PostgreSQL at db:5432.")

    supervisor = Supervisor(clock, give_up_seconds=30)
    loop = asyncio.create_task(supervisor.keep("listener", step))
    async with asyncio.timeout(5):
        while calls < 4:
            await asyncio.sleep(0.05)
    assert not supervisor.done.is_set()  # 30 minutes of outage, still waiting it out
    loop.cancel()
    await asyncio.gather(loop, return_exceptions=True)


async def test_a_configuration_error_ends_the_process_at_once() -> None:
    async def step() -> None:
        raise ConfigurationError("The store x is not a SQLite database.")

    supervisor = Supervisor(FakeClock(START), give_up_seconds=600)
    async with asyncio.timeout(5):
        await supervisor.keep("heartbeat", step)
    assert supervisor.fatal == "the heartbeat loop stopped: The store x is not a SQLite database."
