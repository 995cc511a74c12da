"""Streamable HTTP at the API's ``/mcp``: each request is let in by its API key as every
route is (a missing or revoked key answered 401, in the API's JSON), then acts for the key's
person; a handshake session stays its key's own."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.context import ServerRequestContext
from mcp.server.streamable_http import MCP_SESSION_ID_HEADER
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from agentcron.api.auth import Caller, caller_of
from agentcron.mcp.acting import Acting
from agentcron.mcp.server import build_server

_CALLER = "agentcron.caller"
"""Where a request's scope keeps its caller, for the tools it reaches."""


class McpEndpoint:
    """The ASGI app of ``/mcp``; ``running()`` belongs in the API's lifespan (the sessions'
    tasks live there)."""

    def __init__(self, log_level: str) -> None:
        server = build_server(_acting, log_level)
        server.streamable_http_app(
            json_response=True,  # one answer a request: no stream left open by a tool call
            # A key in a header, never a cookie: a page on another site cannot send it, so
            # the Host and Origin checks against DNS rebinding would only refuse proxies.
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        self._sessions = server.session_manager

    def running(self) -> AbstractAsyncContextManager[None]:
        return self._sessions.run()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        who = await caller_of(Request(scope, receive))  # refusals answered by the API's handlers
        scope[_CALLER] = who
        # The session manager ties a session to the credential that opened it: the key's id
        # and person, never its secret.
        token = AccessToken(token=who.key_id, client_id=who.key_id, scopes=[], subject=who.owner)
        scope["user"] = AuthenticatedUser(token)
        await self._sessions.handle_request(scope, receive, send)


async def _acting(ctx: ServerRequestContext[Any, Any]) -> Acting:
    """The key's person, on the API's service, in the request's session if it has one (the
    2026-07-28 revision has none: each request stands alone)."""
    request = ctx.request
    if not isinstance(request, Request):
        raise RuntimeError("an MCP request over HTTP without its HTTP request")
    who: Caller = request.scope[_CALLER]
    session = request.headers.get(MCP_SESSION_ID_HEADER)
    return Acting(request.app.state.service, who.owner, session, who.key_id)
