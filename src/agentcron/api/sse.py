"""Server-Sent Events as the API's streams write them: one event, its data one JSON line."""

from __future__ import annotations

import json
from typing import Any

MEDIA_TYPE = "text/event-stream"
HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
"""Not cached, and not held back by a buffering proxy (nginx)."""


def event(name: str, data: dict[str, Any], *, event_id: int | None = None) -> str:
    """One event; with ``event_id``, a client's ``Last-Event-ID`` after it."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {json.dumps(data, default=str)}\n\n"
