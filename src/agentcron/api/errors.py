"""Every error as JSON, ``{"error": {"code": ..., "message": ...}}``, with the status its
family calls for: the codes are ``agentcron.errors``' own, stable for clients to act on."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from agentcron.errors import (
    AgentCronError,
    AuthError,
    ConfigurationError,
    ConflictError,
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

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, error: HTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(error.status_code, "invalid_request")
        return error_response(error.status_code, code, str(error.detail))
