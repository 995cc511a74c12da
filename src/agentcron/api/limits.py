"""Bounds on what one caller may ask: requests a minute per key, and a body's size."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from agentcron.api.errors import error_response


class RateLimiter:
    """A token bucket per key, in this process: ``per_minute`` requests a minute, in bursts of
    as many; a request over it is told how long to wait."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key id -> (tokens, when)

    def take(self, key_id: str) -> float | None:
        """Take one request for ``key_id``: None if it may go, else the seconds to wait."""
        now = self.clock()
        tokens, then = self._buckets.get(key_id, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - then) * self.rate)
        if tokens >= 1.0:
            self._buckets[key_id] = (tokens - 1.0, now)
            return None
        self._buckets[key_id] = (tokens, now)
        return (1.0 - tokens) / self.rate


class BodyLimit:
    """ASGI middleware: a request whose declared body is over ``limit`` bytes is answered 413
    before it is read; one with a body of no declared length, 411."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            declared = headers.get(b"content-length")
            refusal = None
            if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
                refusal = error_response(
                    413, "payload_too_large", f"The request body is over {self.limit:,} bytes."
                )
            elif declared is None and b"transfer-encoding" in headers:
                refusal = error_response(
                    411, "length_required", "Send the body with a Content-Length."
                )
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)
