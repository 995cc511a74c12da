"""What every task command needs: settings, the store, the service, the person, once each."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from agentcron.cli._output import fail, warn
from agentcron.errors import AgentCronError

if TYPE_CHECKING:
    from agentcron.config import Settings
    from agentcron.service import TaskService

T = TypeVar("T")


def run_with_service(work: Callable[[TaskService, str], Awaitable[T]]) -> T:
    """Run ``work(service, owner)`` against the configured store; errors exit cleanly."""

    async def main() -> T:
        from agentcron.bootstrap import command_service  # noqa: PLC0415 - the store is heavy

        async with command_service(current_settings()) as (service, owner):
            return await work(service, owner)

    import asyncio  # noqa: PLC0415 - not needed to print help

    try:
        return asyncio.run(main())
    except AgentCronError as error:
        fail(error)


def current_settings() -> Settings:
    """The settings (warning of names that are not settings), or a clean exit saying what is
    wrong with them."""
    from agentcron.config import load_settings  # noqa: PLC0415 - pydantic-settings is heavy

    try:
        return load_settings(warn)
    except AgentCronError as error:
        fail(error)
