"""What every task command needs: settings, the store, the service, the person, once each."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from agentcron.cli._output import fail
from agentcron.clock import SystemClock
from agentcron.config import Settings, default_timezone, load_settings
from agentcron.engine.app import make_service, open_database
from agentcron.errors import AgentCronError
from agentcron.service import TaskService

T = TypeVar("T")


def run_with_service(work: Callable[[TaskService, str], Awaitable[T]]) -> T:
    """Run ``work(service, owner)`` against the configured store; user errors exit 2."""

    async def main() -> T:
        settings = load_settings()
        database = open_database(settings)
        try:
            await database.migrate()
            service = make_service(settings, database, SystemClock())
            await service.ensure_user(settings.user, timezone=default_timezone(settings))
            return await work(service, settings.user)
        finally:
            await database.close()

    try:
        return asyncio.run(main())
    except AgentCronError as error:
        fail(error)


def current_settings() -> Settings:
    try:
        return load_settings()
    except AgentCronError as error:
        fail(error)
