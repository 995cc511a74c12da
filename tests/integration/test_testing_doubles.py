"""The doubles agentcron ships for tests of its own and of its plugins."""

from __future__ import annotations

from pathlib import Path

from agentcron.actions import ActionRegistry
from agentcron.config import Settings
from agentcron.service import TaskService
from agentcron.testing import FakeClock, temporary_store
from tests.conftest import START


async def test_a_temporary_store_is_migrated_usable_and_removed() -> None:
    settings = Settings(timezone="UTC")
    async with temporary_store() as store:
        file = store.sqlite_file
        assert file is not None
        assert file.exists()
        service = TaskService(store, FakeClock(START), settings, ActionRegistry.load(settings))
        await service.ensure_user("ann", timezone="UTC")
        task = await service.create(
            "ann", {"title": "t", "when": "in 1 hour", "payload": {"message": "hi"}}
        )
        assert [t.id for t in await service.list_tasks("ann")] == [task.id]
    assert not Path(file).exists()
