"""The caller as agentcron knows them: ``/v1/profile`` and ``/v1/channels`` (URLs masked)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from agentcron.api.auth import Authenticated, Service
from agentcron.api.bodies import Channels, Profile, answers, as_json

router = APIRouter(prefix="/v1")


@router.get("/profile", **answers(Profile))
async def profile(who: Authenticated, tasks: Service) -> Response:
    """Who the key acts for: id, name, zone, quiet hours, default channels."""
    person = await tasks.notifications.profile(who.owner)
    return as_json(person.to_dict() | {"admin": who.admin})


@router.get("/channels", **answers(Channels))
async def channels(who: Authenticated, tasks: Service) -> Response:
    """The caller's notification channels, their URLs masked."""
    found = await tasks.notifications.channels(who.owner)
    return as_json({"channels": [channel.to_dict() for channel in found]})
