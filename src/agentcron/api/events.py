"""``/v1/events``: the caller's lifecycle events as Server-Sent Events, as they happen.

Each event's SSE id is its id in the events table; a client that reconnects with
``Last-Event-ID`` (browsers' ``EventSource`` does it by itself) gets every event after it,
in order, then the live ones. ``?after=ID`` does the same for a first connection (``0``:
everything kept). Without either, the stream starts with what happens next. A comment line
every ``HEARTBEAT_SECONDS`` keeps proxies from closing a quiet stream.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse

from agentcron.api import sse
from agentcron.api.auth import Authenticated, Service
from agentcron.errors import InvalidInputError
from agentcron.service import TaskService

router = APIRouter(prefix="/v1")

HEARTBEAT_SECONDS = 15.0
RECONNECT_MILLISECONDS = 2000


def start_of(last_event_id: str | None, after: int | None) -> int | None:
    if after is not None:
        return after
    if last_event_id is None or not last_event_id.strip():
        return None
    text = last_event_id.strip()
    if not text.isdigit():
        raise InvalidInputError(
            f"Last-Event-ID must be an event id (a whole number) this stream sent, not '{text}'."
        )
    return int(text)


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={200: {"content": {sse.MEDIA_TYPE: {}}, "description": "The events."}},
)
async def events(
    who: Authenticated,
    tasks: Service,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
    after: Annotated[
        int | None, Query(ge=0, le=2**62, description="Start after this event id (0: all).")
    ] = None,
) -> Any:
    """Stream the caller's events: ``task.created|changed|paused|resumed|cancelled|completed|
    failed``, ``run.started|retried|finished``, ``delivery.sent|failed``; each ``data`` is
    ``{"id", "kind", "task_id", "run_id", "at", "status", ...}``."""
    return stream_events(tasks, who.owner, start_of(last_event_id, after))


def stream_events(tasks: TaskService, owner: str, start: int | None) -> StreamingResponse:
    """The owner's events after event ``start`` (None: from now on) as an endless stream,
    for the API and the web page alike."""
    follow = tasks.follow_events(owner, after=start)

    async def stream() -> AsyncIterator[str]:
        yield f"retry: {RECONNECT_MILLISECONDS}\n\n"
        quiet_since = time.monotonic()
        async for batch in follow:
            if batch:
                yield "".join(
                    sse.event(happened.kind, happened.to_dict(), event_id=happened.id)
                    for happened in batch
                )
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= HEARTBEAT_SECONDS:
                yield ": still here\n\n"
                quiet_since = time.monotonic()

    return StreamingResponse(stream(), media_type=sse.MEDIA_TYPE, headers=sse.HEADERS)
