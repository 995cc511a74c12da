"""The overview ``agentcron status`` shows in the distributed shape: the store's, with each
queue's depth asked of the broker now (``agentcron.distributed.broker``), or else the
depths a scheduler last recorded, saying why."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from agentcron.errors import AgentCronError
from agentcron.secrets import mask_text
from agentcron.views import QueueDepths

if TYPE_CHECKING:
    from agentcron.config import Settings
    from agentcron.service import Overview, TaskService


def live_depths(settings: Settings, queues: tuple[str, ...]) -> dict[str, int]:
    """Each queue's depth on the configured broker now (BrokerError when it cannot say)."""
    from agentcron.distributed.broker import Broker  # noqa: PLC0415 - Celery is heavy

    broker = Broker(settings)
    try:
        return broker.depths(queues)
    finally:
        broker.close()


async def overview(service: TaskService, owner: str, *, since: datetime) -> Overview:
    """``TaskService.overview``, with each queue's depth counted on the broker now when one
    is configured; when it does not answer, the depths a scheduler last recorded, with why."""
    import asyncio  # noqa: PLC0415

    from agentcron.distributed.queues import QUEUES  # noqa: PLC0415

    seen = await service.overview(owner, since=since)
    if not seen.distributed:
        return seen
    try:
        depths = await asyncio.to_thread(live_depths, service.settings, QUEUES)
    except AgentCronError as error:  # a broker down, or a broker URL that is not Redis
        problem = mask_text(error.message)
        if seen.queues is None:
            nothing = QueueDepths({}, "none", service.now(), timedelta(), broker_error=problem)
            return replace(seen, queues=nothing)
        return replace(seen, queues=replace(seen.queues, broker_error=problem))
    return replace(seen, queues=QueueDepths(depths, "broker", service.now(), timedelta()))
