"""The caller as agentcron knows them: ``/v1/profile`` and ``/v1/channels`` (URLs masked)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from agentcron.api.auth import Authenticated, Service

router = APIRouter(prefix="/v1")


@router.get("/profile")
async def profile(who: Authenticated, tasks: Service) -> dict[str, Any]:
    """Who the key acts for: id, name, zone, quiet hours, default channels."""
    person = await tasks.notifications.profile(who.owner)
    return person.to_dict() | {"admin": who.admin}


@router.get("/channels")
async def channels(who: Authenticated, tasks: Service) -> dict[str, Any]:
    """The caller's notification channels, their URLs masked."""
    found = await tasks.notifications.channels(who.owner)
    return {"channels": [channel.to_dict() for channel in found]}
