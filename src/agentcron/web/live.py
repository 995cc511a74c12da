"""What the page hears: the chat's reply as it is written, and the person's events as they
happen (the page updates what they touch), both as Server-Sent Events, the API's own."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Header, Query, Request

from agentcron.api.auth import Service
from agentcron.api.chat import stream_turn
from agentcron.api.events import start_of, stream_events
from agentcron.web.rendering import WebRoute
from agentcron.web.session import Acting, Seeing

router = APIRouter(route_class=WebRoute, include_in_schema=False)

CONVERSATION = "web"
"""The page's conversation: its own, beside the CLI's and the API's default one."""


@router.post("/chat")
async def chat(
    request: Request,
    who: Acting,
    tasks: Service,
    message: Annotated[str, Form(max_length=1_000_000)],
) -> Any:
    return stream_turn(request, tasks, who.owner, message, CONVERSATION)


@router.get("/live")
async def live(
    who: Seeing,
    tasks: Service,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
) -> Any:
    """The person's events after the one the page was rendered with (``after``), or after
    the last one the browser saw, when it reconnects by itself (``Last-Event-ID``)."""
    start = start_of(last_event_id, None) if last_event_id else after
    return stream_events(tasks, who.owner, start)
