"""Who is calling: the person an API key belongs to, or, for an admin key, the person named
by ``X-Agentcron-User``. A request without a live key goes no further."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from agentcron.errors import AuthError, ForbiddenError, RateLimitError
from agentcron.service import TaskService


@dataclass(frozen=True)
class Caller:
    """The person a request acts for, and whether its key is an admin's."""

    owner: str
    admin: bool
    key_id: str


_KEY = HTTPBearer(
    auto_error=False,  # refused below, as every other error: JSON with its code
    scheme_name="ApiKey",
    bearerFormat="agc_<id>_<secret>",
    description="An API key, as 'agentcron keys create' prints it.",
)
"""Declared as the schema's security scheme, so that clients (and fuzzers) know every
route but the probes needs it."""


async def service(request: Request) -> TaskService:
    """Async so that FastAPI calls it in place: a plain function would cost a thread hop
    (about 0.4 ms) on every request."""
    task_service: TaskService = request.app.state.service
    return task_service


async def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_KEY)],
    x_agentcron_user: Annotated[
        str | None, Header(description="The person an admin key acts for.")
    ] = None,
) -> Caller:
    if credentials is None:  # no header, another scheme, or no key after 'Bearer'
        raise AuthError("An API key is needed: 'Authorization: Bearer KEY'.")
    tasks: TaskService = request.app.state.service
    found = await tasks.people.authenticate(credentials.credentials)
    if found is None:
        raise AuthError("This API key is not valid (unknown or revoked).")
    wait = request.app.state.limiter.take(found.id)
    if wait is not None:
        raise RateLimitError(wait)
    owner = found.user_id
    if x_agentcron_user is not None and x_agentcron_user != owner:
        if not found.admin:
            raise ForbiddenError("Only an admin key may act for another person.")
        owner = (await tasks.people.get_user(x_agentcron_user)).id
    return Caller(owner=owner, admin=found.admin, key_id=found.id)


async def caller_of(request: Request) -> Caller:
    """``caller`` outside FastAPI's dependencies, for a route served by another ASGI app
    (``/mcp``): the same key, the same checks, the same errors."""
    credentials = await _KEY(request)
    return await caller(request, credentials, request.headers.get("x-agentcron-user"))


Authenticated = Annotated[Caller, Depends(caller)]
Service = Annotated[TaskService, Depends(service)]
