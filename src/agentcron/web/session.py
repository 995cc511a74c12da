"""Who is looking at the page: the person whose API key opened the session the cookie
carries. The cookie is HttpOnly and SameSite=Strict (and Secure where the page is served
over HTTPS, or on this machine's own loopback, which browsers trust as if it were); every
form that changes something also carries the session's CSRF token."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response

from agentcron.errors import ForbiddenError, RateLimitError
from agentcron.keys import csrf_token
from agentcron.people import WEB_SESSION_LIFETIME
from agentcron.service import TaskService

COOKIE = "agentcron_session"
SIGNIN_COOKIE = "agentcron_signin"
"""Before a session exists, the sign-in form's own CSRF token (a double-submit cookie)."""
CSRF_HEADER = "x-csrf-token"
_LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}


class SignInNeeded(Exception):
    """No live session: the page answers with the sign-in page."""


@dataclass(frozen=True)
class Viewer:
    """The person the page shows, the key their session was opened with, and the token the
    page's forms must send back."""

    owner: str
    key_id: str
    csrf: str


async def viewer(request: Request) -> Viewer:
    token = request.cookies.get(COOKIE)
    if not token:
        raise SignInNeeded
    service: TaskService = request.app.state.service
    key = await service.people.session_key(token)
    if key is None:
        raise SignInNeeded
    wait = request.app.state.limiter.take(key.id)
    if wait is not None:
        raise RateLimitError(wait)
    return Viewer(owner=key.user_id, key_id=key.id, csrf=csrf_token(token))


async def acting_viewer(request: Request, who: Annotated[Viewer, Depends(viewer)]) -> Viewer:
    """``viewer`` for a change: the request must carry the session's CSRF token, in the
    form or in ``X-CSRF-Token`` (the page's script sends it so)."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        sent = str((await request.form()).get("csrf", ""))
    # as bytes: compare_digest raises on a str that is not ASCII (a forged token may not be)
    if not hmac.compare_digest(sent.encode(), who.csrf.encode()):
        raise ForbiddenError("This page is out of date (its form token does not match): reload it.")
    return who


Seeing = Annotated[Viewer, Depends(viewer)]
Acting = Annotated[Viewer, Depends(acting_viewer)]


def secure(request: Request) -> bool:
    """Whether cookies may be marked Secure: the page is on HTTPS (behind a proxy that says
    so, uvicorn's ``--proxy-headers``) or on loopback, where browsers keep Secure cookies
    sent over plain HTTP. Elsewhere over plain HTTP a Secure cookie would never come back."""
    return request.url.scheme == "https" or (request.url.hostname or "") in _LOOPBACK


def set_session(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        COOKIE, token, max_age=int(WEB_SESSION_LIFETIME.total_seconds()), path="/",
        httponly=True, samesite="strict", secure=secure(request),
    )  # fmt: skip
    response.delete_cookie(SIGNIN_COOKIE, path="/signin")


def clear_session(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="strict", secure=secure(request)
    )


def signin_token(request: Request) -> str:
    """The sign-in form's token: the one its cookie holds, or a new one."""
    return request.cookies.get(SIGNIN_COOKIE) or secrets.token_urlsafe(24)


def set_signin_token(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        SIGNIN_COOKIE, token, max_age=3600, path="/signin", httponly=True, samesite="strict",
        secure=secure(request),
    )  # fmt: skip


def signin_token_matches(request: Request, sent: str) -> bool:
    kept = request.cookies.get(SIGNIN_COOKIE, "")
    return bool(kept) and hmac.compare_digest(kept.encode(), sent.encode())
