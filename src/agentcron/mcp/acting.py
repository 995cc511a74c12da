"""Who a request acts for: the service, the person and the MCP session, resolved once per
request by the transport (a fixed person on stdio, the API key's on HTTP) and read by the
tools and resources it reaches."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext

from agentcron.service import TaskService


@dataclass(frozen=True)
class Acting:
    """The service a request goes through, for whom, and in which MCP session (None when the
    transport keeps none, as the 2026-07-28 revision over HTTP)."""

    service: TaskService
    owner: str
    session: str | None
    key_id: str | None = None
    """The API key the request came with (HTTP): without a session, repeats are told apart
    by it and by time (``tools.REPEAT_WINDOW``)."""


Resolver = Callable[[ServerRequestContext[Any, Any]], Awaitable[Acting]]
"""How a transport tells who a request acts for."""

_ACTING: ContextVar[Acting] = ContextVar("agentcron_mcp_acting")


def acting() -> Acting:
    """Who the request being handled acts for (set by ``ActingMiddleware``)."""
    return _ACTING.get()


class ActingMiddleware:
    """Resolves who each request acts for before its handler runs: tools and resources
    then need no transport of their own to know it (a resource's reader gets no context)."""

    def __init__(self, resolve: Resolver) -> None:
        self._resolve = resolve

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        if ctx.method not in ("tools/call", "resources/read"):
            return await call_next(ctx)
        token = _ACTING.set(await self._resolve(ctx))
        try:
            return await call_next(ctx)
        finally:
            _ACTING.reset(token)
