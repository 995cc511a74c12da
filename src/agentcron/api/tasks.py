"""Tasks and their runs: ``/v1/tasks``, ``/v1/runs``, ``/v1/schedules/parse``. Each route
is one ``TaskService`` call for the caller's person; another person's ids answer 404, as
ids that do not exist do."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from agentcron.api.auth import Authenticated, Service
from agentcron.api.bodies import (
    Run,
    RunDetail,
    RunPage,
    SchedulePreview,
    Task,
    TaskPage,
    answers,
    as_json,
)
from agentcron.errors import InvalidInputError
from agentcron.schedules import parse

router = APIRouter(prefix="/v1")
NewTaskBody = Annotated[
    dict[str, Any],
    Body(
        description="The fields of an import line (the service checks them, as for every door).",
        examples=[{"title": "Call mom", "when": "tomorrow at 6pm", "payload": {"message": "hi"}}],
    ),
]
TaskChangesBody = Annotated[
    dict[str, Any],
    Body(
        description="The fields to change, as a new task has them.",
        examples=[{"title": "Call mum", "when": "every sunday at 10"}],
    ),
]
_MAX_PAGE = 500


@router.post("/tasks", **answers(Task, 409, status=201))
async def create_task(body: NewTaskBody, who: Authenticated, tasks: Service) -> Response:
    """A new task: ``title``, ``when``, ``timezone``, ``action``, ``payload`` and options."""
    return as_json((await tasks.create(who.owner, body)).to_dict(), 201)


@router.get("/tasks", **answers(TaskPage))
async def list_tasks(
    who: Authenticated,
    tasks: Service,
    *,
    status: Annotated[list[str] | None, Query(description="active, paused, ...")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Text in the title.")] = None,
    limit: Annotated[int, Query(ge=1, le=_MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The caller's tasks, soonest first, a page at a time (``next_cursor`` for the next)."""
    offset = _offset(cursor)
    found = await tasks.list_tasks(who.owner, status=status, text=q, limit=limit + 1, offset=offset)
    more = len(found) > limit
    return as_json(
        {
            "tasks": [task.to_dict() for task in found[:limit]],
            "next_cursor": str(offset + limit) if more else None,
        }
    )


@router.get("/tasks/{task_id}", **answers(Task))
async def get_task(task_id: int, who: Authenticated, tasks: Service) -> Response:
    task = await tasks.get(who.owner, task_id)
    return as_json(task.to_dict(), headers={"ETag": f'"{task.version}"'})


@router.patch("/tasks/{task_id}", **answers(Task, 409, 412))
async def update_task(
    task_id: int,
    body: TaskChangesBody,
    *,
    who: Authenticated,
    tasks: Service,
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Change some fields; with ``If-Match`` (the ETag read), only if nobody changed it since."""
    changes = dict(body)
    if if_match is not None:
        changes["expected_version"] = _version(if_match)
    task = await tasks.update(who.owner, task_id, changes)
    return as_json(task.to_dict(), headers={"ETag": f'"{task.version}"'})


@router.delete("/tasks/{task_id}", **answers(Task, 409))
async def delete_task(task_id: int, who: Authenticated, tasks: Service) -> Response:
    """Cancel the task (its history stays)."""
    return as_json((await tasks.cancel(who.owner, task_id)).to_dict())


@router.post("/tasks/{task_id}/pause", **answers(Task, 409))
async def pause_task(task_id: int, who: Authenticated, tasks: Service) -> Response:
    return as_json((await tasks.pause(who.owner, task_id)).to_dict())


@router.post("/tasks/{task_id}/resume", **answers(Task, 409))
async def resume_task(task_id: int, who: Authenticated, tasks: Service) -> Response:
    return as_json((await tasks.resume(who.owner, task_id)).to_dict())


@router.post("/tasks/{task_id}/cancel", **answers(Task, 409))
async def cancel_task(task_id: int, who: Authenticated, tasks: Service) -> Response:
    return as_json((await tasks.cancel(who.owner, task_id)).to_dict())


@router.post("/tasks/{task_id}/run", **answers(Run, 409, status=202))
async def run_task(task_id: int, who: Authenticated, tasks: Service) -> Response:
    """An extra run now; the schedule stays as it is."""
    return as_json((await tasks.trigger(who.owner, task_id)).to_dict(), 202)


@router.get("/tasks/{task_id}/runs", **answers(RunPage))
async def task_runs(
    task_id: int,
    who: Authenticated,
    tasks: Service,
    limit: Annotated[int, Query(ge=1, le=_MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The task's runs, newest occurrence first, a page at a time (``next_cursor``)."""
    after = _offset(cursor) if cursor is not None else None
    found = await tasks.list_runs(who.owner, task_id, limit=limit + 1, after_run=after)
    page = found[:limit]
    more = len(found) > limit
    return as_json(
        {
            "runs": [run.to_dict() for run in page],
            "next_cursor": str(page[-1].id) if more else None,
        }
    )


@router.get("/runs/{run_id}", **answers(RunDetail))
async def get_run(run_id: int, who: Authenticated, tasks: Service) -> Response:
    """The run, with each of its attempts, its notifications and (in ``result``) the
    agent's trace, secrets masked."""
    run = await tasks.get_run(who.owner, run_id)
    attempts = await tasks.run_attempts(who.owner, run_id)
    told = (await tasks.notifications.of_runs(who.owner, [run.id])).get(run.id, [])
    return as_json(
        run.to_dict()
        | {
            "attempts": [attempt.to_dict() for attempt in attempts],
            "deliveries": [delivery.to_dict() for delivery in told],
        }
    )


@router.post("/runs/{run_id}/retry", **answers(Run, 409, status=202))
async def retry_run(run_id: int, who: Authenticated, tasks: Service) -> Response:
    return as_json((await tasks.retry(who.owner, run_id)).to_dict(), 202)


class ScheduleText(BaseModel):
    model_config = ConfigDict(extra="forbid")

    when: str = Field(min_length=1, max_length=500)
    timezone: str | None = Field(default=None, max_length=64)
    count: int = Field(default=5, ge=1, le=100)


@router.post("/schedules/parse", **answers(SchedulePreview))
async def parse_schedule(body: ScheduleText, who: Authenticated, tasks: Service) -> Response:
    """How agentcron reads ``when`` (in the caller's zone, unless one is given), and its next
    occurrences."""
    zone = body.timezone or (await tasks.profile(who.owner)).timezone
    now = tasks.now()
    return as_json(parse(body.when, zone, now).preview_dict(body.count, now))


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isdigit():
        raise InvalidInputError("The cursor is not one this API gave.")
    return int(cursor)


def _version(if_match: str) -> int:
    given = if_match.strip().removeprefix("W/").strip('"')
    if not given.isdigit():
        raise InvalidInputError('If-Match takes the ETag a read gave, such as "3".')
    return int(given)
