"""On PostgreSQL a change wakes the listeners of its own store, not those of stores in other
schemas of the same database (NOTIFY reaches the whole database)."""

from __future__ import annotations

import asyncio
import contextlib

from agentcron.engine.wakeup import WakeEvent
from agentcron.store import SqlStore
from tests.support.sql import private_schema


class Counted(WakeEvent):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def wake(self) -> None:
        self.count += 1
        super().wake()


async def _listening(store: SqlStore) -> tuple[Counted, asyncio.Task[None]]:
    wakeup = Counted()
    listener = asyncio.create_task(store.listen_for_changes(wakeup))
    async with asyncio.timeout(10):
        while wakeup.count == 0:  # the wake-up a listener gives as it starts
            await asyncio.sleep(0.01)
    return wakeup, listener


async def test_a_change_wakes_its_own_schema_and_not_another_one() -> None:
    with private_schema() as mine_url, private_schema() as other_url:
        mine, other = SqlStore(mine_url), SqlStore(other_url)
        listeners = []
        try:
            await mine.migrate()
            await other.migrate()
            mine_wakeup, listener = await _listening(mine)
            listeners.append(listener)
            other_wakeup, listener = await _listening(other)
            listeners.append(listener)
            async with mine.transaction() as repositories:
                await repositories.announce_change()
            async with asyncio.timeout(10):
                while mine_wakeup.count < 2:
                    await asyncio.sleep(0.01)
            await asyncio.sleep(0.3)  # the other listener had the time to hear it
            assert other_wakeup.count == 1  # its start only
        finally:
            for listener in listeners:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener
            await mine.close()
            await other.close()
