"""What the page shows: the tasks, one task with its history, the settings. Each read is a
``TaskService`` call for the signed-in person."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from agentcron.api.auth import Service
from agentcron.domain import TaskStatus
from agentcron.service import TaskService
from agentcron.upcoming import task_occurrences
from agentcron.views import RunView
from agentcron.web.rendering import WebRoute, render, wants_fragment
from agentcron.web.session import Seeing, Viewer

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PAGE = 100
"""Tasks a page lists at first; 'Show more' adds as many again."""
MOST_LISTED = 1_000
HISTORY = 50
"""Runs a task's page shows, newest first."""
STATUSES = [status.value for status in TaskStatus]


async def person_context(tasks: TaskService, who: Viewer) -> dict[str, Any]:
    """What every page needs: who is signed in, their zone, now, and the event the live
    stream should start after (so that nothing between this page and the stream is lost)."""
    person = await tasks.profile(who.owner)
    latest = await tasks.events(who.owner, limit=1)
    return {
        "who": who,
        "person": person,
        "zone": person.timezone,
        "now": tasks.now(),
        "after": latest[-1].id if latest else 0,
    }


@router.get("/")
async def tasks_page(
    request: Request,
    *,
    who: Seeing,
    tasks: Service,
    q: Annotated[str, Query(max_length=200)] = "",
    status: Annotated[str, Query(pattern="^(|" + "|".join(STATUSES) + ")$")] = "",
    limit: Annotated[int, Query(ge=1, le=MOST_LISTED)] = PAGE,
) -> Response:
    found = await tasks.list_tasks(
        who.owner, status=[status] if status else None, text=q.strip() or None, limit=limit + 1
    )
    context: dict[str, Any] = {
        "tasks": found[:limit],
        "more": len(found) > limit,
        "q": q,
        "status": status,
        "limit": limit,
        "statuses": STATUSES,
        "page": PAGE,
    }
    if wants_fragment(request):  # the search box, the filters, 'Show more'
        person = await tasks.profile(who.owner)
        context |= {"who": who, "zone": person.timezone, "now": tasks.now()}
        return render(request, "_task_rows.html", **context)
    return render(request, "tasks.html", **context, **await person_context(tasks, who))


@router.get("/tasks/{task_id}/row")
async def task_row(request: Request, task_id: int, who: Seeing, tasks: Service) -> Response:
    """One row of the list, as it is now (the live stream asks for it when the task runs)."""
    task = await tasks.get(who.owner, task_id)
    person = await tasks.profile(who.owner)
    return render(
        request, "_task_row.html", task=task, who=who, zone=person.timezone, now=tasks.now()
    )


@router.get("/tasks/{task_id}/edit")
async def edit_form(request: Request, task_id: int, who: Seeing, tasks: Service) -> Response:
    """The row turned into a form, in place."""
    task = await tasks.get(who.owner, task_id)
    return render(request, "_task_edit.html", task=task, who=who, error=None, values=None)


@router.get("/tasks/{task_id}")
async def task_page(request: Request, task_id: int, who: Seeing, tasks: Service) -> Response:
    context = await task_context(tasks, who, task_id)
    if wants_fragment(request):  # the live stream: the parts that change when it runs
        return render(request, "_task_live.html", **context)
    return render(request, "task.html", **(await person_context(tasks, who) | context))


async def task_context(tasks: TaskService, who: Viewer, task_id: int) -> dict[str, Any]:
    """The task, its next 5 occurrences, its latest runs with their deliveries."""
    task = await tasks.get(who.owner, task_id)
    runs = await tasks.list_runs(who.owner, task_id, limit=HISTORY)
    told = await tasks.notifications.of_runs(who.owner, [run.id for run in runs])
    person = await tasks.profile(who.owner)
    return {
        "task": task,
        "upcoming": task_occurrences(task, 5),
        "runs": runs,
        "deliveries": told,
        "traces": {run.id: _trace(run) for run in runs},
        "who": who,
        "zone": person.timezone,
        "now": tasks.now(),
    }


@router.get("/settings")
async def settings_page(request: Request, who: Seeing, tasks: Service) -> Response:
    context = await person_context(tasks, who)
    return render(
        request, "settings.html", **context,
        channels=await tasks.notifications.channels(who.owner),
        profile=await tasks.notifications.profile(who.owner), error=None,
    )  # fmt: skip


def _trace(run: RunView) -> dict[str, Any] | None:
    """What the agent did in the run (tool calls, model requests), if it was an agent's."""
    trace = (run.result or {}).get("trace")
    return trace if isinstance(trace, dict) else None
