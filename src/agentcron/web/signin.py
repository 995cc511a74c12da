"""Signing in with an API key, which opens a session (the key itself is not kept by the
browser), and the page's own script and style."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from agentcron.api.auth import Service
from agentcron.errors import AuthError
from agentcron.web.rendering import HERE, WebRoute, render
from agentcron.web.session import (
    COOKIE,
    secure,
    set_session,
    set_signin_token,
    signin_token,
    signin_token_matches,
)

router = APIRouter(route_class=WebRoute, include_in_schema=False)
_STATIC = {"agentcron.js": "text/javascript", "agentcron.css": "text/css"}


@router.get("/signin")
async def signin_page(request: Request, tasks: Service) -> Response:
    token = request.cookies.get(COOKIE)
    if token and await tasks.people.session_key(token) is not None:
        return RedirectResponse("/", status_code=303)
    return _form(request, None, 200)


@router.post("/signin")
async def sign_in(
    request: Request,
    tasks: Service,
    key: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    if not signin_token_matches(request, csrf):
        return _form(request, "This sign-in form is out of date: try again.", 403)
    try:
        session = await tasks.people.open_session(key)
    except AuthError as error:
        return _form(request, error.message, 401)
    response = RedirectResponse("/", status_code=303)
    set_session(response, request, session.key)
    return response


def _form(request: Request, error: str | None, status: int) -> Response:
    token = signin_token(request)
    response = render(
        request, "signin.html", status, csrf=token, error=error, plain_http=not secure(request)
    )
    set_signin_token(response, request, token)
    return response


@router.get("/static/{name}")
async def static(name: str) -> Response:
    """The page's script and style sheet: two files, cached for an hour."""
    if name not in _STATIC:
        return Response(status_code=404)
    return FileResponse(
        HERE / "static" / name, media_type=_STATIC[name],
        headers={"Cache-Control": "public, max-age=3600"},
    )  # fmt: skip
