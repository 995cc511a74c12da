"""The person's upcoming runs as an iCalendar feed: ``/v1/calendar`` gives its address (an
API key's door), ``/v1/calendar.ics?token=...`` serves it to calendar programs, which
cannot send a key: the token in the address opens that one read-only feed, and nothing
else. An unknown or replaced token answers 404, as a feed that does not exist."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from agentcron.api.auth import Authenticated, Service
from agentcron.api.bodies import CalendarFeed, answers, as_json
from agentcron.api.errors import responses
from agentcron.errors import NotFoundError
from agentcron.service import TaskService

router = APIRouter(prefix="/v1")
"""Routes with a key."""
feeds = APIRouter(prefix="/v1")
"""The feed itself, by its token."""
ICALENDAR = "text/calendar; charset=utf-8"


@router.get("/calendar", **answers(CalendarFeed))
async def calendar_address(request: Request, who: Authenticated, tasks: Service) -> Response:
    """The address of the caller's calendar feed (made when first asked for)."""
    token = await tasks.people.calendar_token(who.owner)
    return as_json({"url": feed_url(str(request.base_url), token)})


@router.post("/calendar", **answers(CalendarFeed))
async def new_calendar_address(request: Request, who: Authenticated, tasks: Service) -> Response:
    """A new address for the caller's feed; the old one shows nothing any more."""
    token = await tasks.people.calendar_token(who.owner, new=True)
    return as_json({"url": feed_url(str(request.base_url), token)})


@router.delete("/calendar", status_code=204)
async def close_calendar(who: Authenticated, tasks: Service) -> Response:
    """Close the caller's feed: its address shows nothing any more."""
    await tasks.people.revoke_calendar(who.owner)
    return Response(status_code=204)


@feeds.get(
    "/calendar.ics",
    response_class=Response,
    responses={
        200: {
            "content": {ICALENDAR: {"schema": {"type": "string"}}},
            "description": "The upcoming runs of the next 30 days (RFC 5545).",
        },
        **responses(404, 422, 503),
    },
)
async def calendar_feed(
    request: Request,
    token: Annotated[
        str, Query(min_length=1, max_length=100, description="The token of the feed's address.")
    ],
) -> Response:
    """A person's upcoming runs, for a calendar program to subscribe to."""
    tasks: TaskService = request.app.state.service
    owner = await tasks.people.calendar_owner(token)
    if owner is None:
        raise NotFoundError("There is no calendar at this address (its token was replaced?).")
    feed = await tasks.calendar_feed(owner)
    return Response(feed, media_type=ICALENDAR, headers={"Cache-Control": "private, max-age=300"})


def feed_url(base: str, token: str) -> str:
    return f"{base.rstrip('/')}/v1/calendar.ics?token={token}"
