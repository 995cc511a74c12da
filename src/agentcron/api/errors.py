"""Every error as JSON, ``{"error": {"code": ..., "message": ...}}``, with the status its
family calls for: the codes are ``agentcron.errors``' own, stable for clients to act on."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.routing import Match

from agentcron.errors import (
    AgentCronError,
    AuthError,
    ConfigurationError,
    ConflictError,
    DeliveryFailed,
    ForbiddenError,
    LimitError,
    NotFoundError,
    RateLimitError,
    RuntimeFailure,
    StaleVersionError,
    UserError,
)
from agentcron.secrets import mask_text, mask_value

if TYPE_CHECKING:
    from fastapi import FastAPI, Request

_HTTP_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


class Problem(BaseModel):
    """One refused request of a batch."""

    index: int = Field(description="Its place in the batch, from 0.")
    code: str
    message: str


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, for programs to act on: not_found, conflict, ...")
    message: str = Field(description="For people: what is wrong, and what to do about it.")
    problems: list[Problem] | None = Field(
        default=None, description="Each refused request of a batch (code invalid_batch)."
    )


class Error(BaseModel):
    """The body of every error the API answers."""

    error: ErrorDetail


_MEANINGS = {
    401: "No live API key (none, malformed, unknown or revoked).",
    403: "The key may not do this (a person's key acting for another, say).",
    404: "No such thing for this person (another person's ids too).",
    409: "The change does not fit the current state, or a limit would be passed.",
    411: "A body sent without a Content-Length.",
    412: "Changed since the version If-Match names.",
    413: "The body is over the size allowed.",
    422: "The request is malformed, or its values are refused.",
    429: "Too many requests with this key for now (see Retry-After).",
    502: "The notification did not go out: its service refused it or did not answer.",
    503: "The store, or what the request needs, is unavailable for now.",
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The errors a route may answer, for its OpenAPI schema."""
    return {status: {"model": Error, "description": _MEANINGS[status]} for status in statuses}


COMMON = responses(401, 403, 404, 411, 413, 422, 429, 503)
"""What any route that needs a key may answer: refusals of the key, of the person it acts
for (an admin's X-Agentcron-User that names nobody: 404), of the body, of the rate, and the
store away."""


def status_of(error: AgentCronError) -> int:
    if isinstance(error, AuthError):
        return 401
    if isinstance(error, ForbiddenError):
        return 403
    if isinstance(error, RateLimitError):
        return 429
    if isinstance(error, StaleVersionError):
        return 412
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, ConflictError | LimitError):
        return 409
    if isinstance(error, UserError):
        return 422
    if isinstance(error, DeliveryFailed):
        return 502  # the channel's service refused or is away, not agentcron's store
    if isinstance(error, RuntimeFailure | ConfigurationError):
        return 503  # the store or broker away, or the operator's setup: not the request's fault
    return 500  # a bug


def error_response(status: int, code: str, message: str) -> JSONResponse:
    body = {"error": {"code": code, "message": mask_text(message)}}
    return JSONResponse(body, status_code=status)


def install(app: FastAPI) -> None:
    """Answer every error the same way."""

    @app.exception_handler(AgentCronError)
    async def _agentcron(_request: Request, error: AgentCronError) -> JSONResponse:
        body = {"error": mask_value(error.to_dict())}  # a batch's names each refused line
        response = JSONResponse(body, status_code=status_of(error))
        if isinstance(error, RateLimitError):
            response.headers["Retry-After"] = str(max(1, math.ceil(error.retry_after)))
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        said = []
        for problem in error.errors()[:5]:
            where = ".".join(str(part) for part in problem.get("loc", ()) if part != "body")
            said.append(f"{where}: {problem.get('msg', 'invalid')}" if where else problem["msg"])
        return error_response(422, "invalid_input", "Invalid request (" + "; ".join(said) + ").")

    @app.exception_handler(Exception)
    async def _bug(_request: Request, _error: Exception) -> JSONResponse:
        # A bug's answer is JSON as every other one; uvicorn still logs its traceback.
        return error_response(
            500, "internal_error", "Something went wrong in agentcron; its log says what."
        )

    @app.exception_handler(HTTPException)
    async def _http(request: Request, error: HTTPException) -> JSONResponse:
        if error.status_code == 400:  # FastAPI's, for a body not even text: as broken JSON is
            return error_response(422, "invalid_input", f"Invalid request ({error.detail}).")
        code = _HTTP_CODES.get(error.status_code, "invalid_request")
        response = error_response(error.status_code, code, str(error.detail))
        response.headers.update(error.headers or {})
        if error.status_code == 405:
            response.headers["Allow"] = ", ".join(allowed_methods(request))
        return response


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method a route of the app takes at the request's path: a 405's ``Allow``, which
    Starlette would have name only the methods of the first route there."""
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]
