"""SQLite runs in place on the event loop: waiting for another program's write lock must never
stall the loop, and a lock held past the busy timeout is one clear error."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from agentcron.actions import ActionRegistry
from agentcron.config import Settings
from agentcron.errors import StoreError
from agentcron.service import TaskService
from agentcron.store import SqlStore
from agentcron.testing import FakeClock
from tests.conftest import START

REMINDER = {"title": "t", "when": "in 1 hour", "payload": {"message": "hi"}}


async def _service(path: Path, busy_timeout: float) -> TaskService:
    store = SqlStore(f"sqlite:///{path}", busy_timeout=busy_timeout)
    await store.migrate()
    settings = Settings(timezone="UTC")
    service = TaskService(store, FakeClock(START), settings, ActionRegistry.load(settings))
    await service.ensure_user("ann", timezone="UTC")
    return service


def _lock(path: Path) -> sqlite3.Connection:
    """Another program's write lock (this process, another connection, as good as)."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    return other


async def test_a_write_waits_for_the_lock_without_stalling_the_loop(tmp_path: Path) -> None:
    service = await _service(tmp_path / "agentcron.db", busy_timeout=10)
    other = _lock(tmp_path / "agentcron.db")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    creating = asyncio.create_task(service.create("ann", REMINDER))
    await asyncio.sleep(0.5)
    assert not creating.done()  # waiting for the lock...
    assert ticks >= 20  # ...while the loop kept running (50 ticks of 10 ms at best)
    other.execute("COMMIT")
    task = await asyncio.wait_for(creating, 5)
    ticker.cancel()
    other.close()
    assert [t.id for t in await service.list_tasks("ann")] == [task.id]
    await service.store.close()


async def test_a_lock_held_past_the_busy_timeout_is_a_store_error(tmp_path: Path) -> None:
    service = await _service(tmp_path / "agentcron.db", busy_timeout=0.3)
    other = _lock(tmp_path / "agentcron.db")
    try:
        with pytest.raises(StoreError, match="locked by another program"):
            await service.create("ann", REMINDER)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert await service.list_tasks("ann") == []  # nothing half-written
    await service.store.close()


async def test_reads_go_on_while_another_program_writes(tmp_path: Path) -> None:
    service = await _service(tmp_path / "agentcron.db", busy_timeout=10)
    task = await service.create("ann", REMINDER)
    other = sqlite3.connect(tmp_path / "agentcron.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # a writer, as serve's scheduler is
    try:
        seen = await asyncio.wait_for(service.get("ann", task.id), 1)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert seen.id == task.id
    await service.store.close()
