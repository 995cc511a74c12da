"""Bulk: ``/v1/tasks:import`` and ``/v1/tasks:export``, the JSON lines of the CLI's
``import`` and ``export`` (one task a line; secrets masked on export)."""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from agentcron.api.auth import Authenticated, Service
from agentcron.api.bodies import Imported, answers, as_json
from agentcron.errors import BatchError, InvalidInputError, UserError
from agentcron.transfer import dump_line, read_lines, task_line
from agentcron.views import TaskView

router = APIRouter(prefix="/v1")
NDJSON = "application/x-ndjson"
MAX_IMPORTED = 10_000
"""Tasks one import request may create: a larger file goes in parts (or through the CLI)."""
_PAGE = 500
_LINES = "One task a line, as JSON, for an import."


@router.post(
    "/tasks:import",
    **answers(Imported, 409),
    openapi_extra={
        "requestBody": {
            "required": False,  # no line, no task: an empty export imports as nothing
            "description": "One task a line, as JSON: the lines 'agentcron export' writes.",
            "content": {NDJSON: {"schema": {"type": "string"}}},
        }
    },
)
async def import_tasks(
    request: Request,
    who: Authenticated,
    tasks: Service,
    idempotent: Annotated[bool, Query(description="Make each line's task once.")] = False,
) -> Response:
    """Create the tasks of the body's lines: all of them, or none when a line is refused
    (each refused line named by its number)."""
    lines = read_lines(io.BytesIO(await request.body()), idempotent=idempotent)
    if len(lines.requests) > MAX_IMPORTED:
        raise InvalidInputError(
            f"{len(lines.requests):,} tasks in one import; at most {MAX_IMPORTED:,} are allowed."
        )
    total = len(lines.requests) + len(lines.refused)
    problems: list[tuple[int, UserError]] = [
        (number - 1, InvalidInputError(why)) for number, why in lines.refused
    ]
    results = []
    try:  # with lines refused already, the others are checked so that all are named
        if problems:
            await tasks.check_many(who.owner, lines.requests)
        else:
            results = await tasks.create_many_or_get(who.owner, lines.requests)
    except BatchError as error:
        problems += [(lines.numbers[index] - 1, why) for index, why in error.problems]
    if problems:
        raise BatchError(sorted(problems, key=lambda found: found[0]), total)
    created = sum(made for _, made in results)
    return as_json({"created": created, "existed": len(results) - created})


@router.get(
    "/tasks:export",
    response_class=Response,
    responses={200: {"content": {NDJSON: {"schema": {"type": "string"}}}, "description": _LINES}},
)
async def export_tasks(
    who: Authenticated,
    tasks: Service,
    status: Annotated[list[str] | None, Query(description="Default: active, paused.")] = None,
) -> Response:
    """The caller's tasks as JSON lines, for an import; secrets masked."""
    found: list[TaskView] = []
    while page := await tasks.list_tasks(
        who.owner, status=status or ["active", "paused"], limit=_PAGE, offset=len(found)
    ):
        found += page
    body = "".join(dump_line(task_line(task)) for task in found)
    return Response(body, media_type=NDJSON)
