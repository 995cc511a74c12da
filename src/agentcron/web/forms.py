"""What the page changes: a task's state, its fields, the person's settings. Each form is one
``TaskService`` call, refused (its words shown in place) as the service refuses."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from agentcron.api.auth import Service
from agentcron.api.errors import status_of
from agentcron.errors import AgentCronError
from agentcron.secrets import mask_text
from agentcron.service import TaskService
from agentcron.views import TaskView
from agentcron.web.pages import task_context
from agentcron.web.rendering import TEXT_FIELDS, WebRoute, answer, render, wants_fragment
from agentcron.web.session import COOKIE, Acting, Viewer, clear_session

router = APIRouter(route_class=WebRoute, include_in_schema=False)

View = Annotated[Literal["row", "task"], Form()]
"""Where the form was: a row of the list, or the task's own page (what to send back)."""


@router.post("/tasks/{task_id}/{verb}")
async def act(
    request: Request,
    task_id: int,
    *,
    verb: Literal["pause", "resume", "cancel", "run"],
    who: Acting,
    tasks: Service,
    view: View = "row",
) -> Response:
    """Pause, resume, cancel or run now, in place."""
    if verb == "pause":
        await tasks.pause(who.owner, task_id)
    elif verb == "resume":
        await tasks.resume(who.owner, task_id)
    elif verb == "cancel":
        await tasks.cancel(who.owner, task_id)
    else:
        await tasks.trigger(who.owner, task_id)
    return await _task_answer(request, tasks, who, task_id, view)


@router.post("/tasks/{task_id}")
async def edit(
    request: Request,
    task_id: int,
    *,
    who: Acting,
    tasks: Service,
    title: Annotated[str, Form(max_length=10_000)],
    version: Annotated[int, Form()],
    when: Annotated[str, Form(max_length=10_000)] = "",
    text: Annotated[str | None, Form(max_length=100_000)] = None,
    view: View = "row",
) -> Response:
    """Save the edit form: the title, a new schedule if one is given, the action's text.
    Refused, the form comes back with what was typed and why."""
    task = await tasks.get(who.owner, task_id)
    changes: dict[str, Any] = {"title": title, "expected_version": version}
    if when.strip():
        changes["when"] = when
    field = TEXT_FIELDS.get(task.action)
    if field is not None and text is not None and text not in _as_shown(task.payload.get(field)):
        changes["payload"] = {**task.payload, field: text}
    try:
        await tasks.update(who.owner, task_id, changes)
        if view == "task":  # the script follows the redirect: the page anew, edit form shut
            return RedirectResponse(f"/tasks/{task_id}", status_code=303)
    except AgentCronError as error:
        if not wants_fragment(request):
            raise
        typed = {"title": title, "when": when, "text": text}
        return render(
            request, "_task_edit.html", status_of(error), task=task, who=who,
            error=error.message, values=typed, view=view,
        )  # fmt: skip
    return await _task_answer(request, tasks, who, task_id, view)


def _as_shown(stored: object) -> tuple[str, ...]:
    """The field as stored and as the form showed it (masked): either one sent back is no
    change, so a masked secret never overwrites the real one."""
    text = "" if stored is None else str(stored)
    return text, mask_text(text)


async def _task_answer(
    request: Request, tasks: TaskService, who: Viewer, task_id: int, view: str
) -> Response:
    if view == "task":
        context = await task_context(tasks, who, task_id)
        return answer(request, "_task_live.html", f"/tasks/{task_id}", **context)
    task: TaskView = await tasks.get(who.owner, task_id)
    zone = (await tasks.profile(who.owner)).timezone
    return answer(request, "_task_row.html", "/", task=task, who=who, zone=zone, now=tasks.now())


@router.post("/settings/profile")
async def profile(
    request: Request,
    *,
    who: Acting,
    tasks: Service,
    timezone: Annotated[str, Form(max_length=64)],
    quiet_hours: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """The person's zone and quiet hours ('' or 'off': none), both or neither written."""
    person = await tasks.notifications.update_profile(
        who.owner, {"timezone": timezone.strip(), "quiet_hours": quiet_hours or None}
    )
    return answer(request, "_profile.html", "/settings", profile=person, who=who, saved=True)


@router.post("/settings/channels")
async def add_channel(
    request: Request,
    *,
    who: Acting,
    tasks: Service,
    name: Annotated[str, Form(max_length=64)],
    url: Annotated[str, Form(max_length=4_000)],
    default: Annotated[bool, Form()] = False,
) -> Response:
    added = await tasks.notifications.add_channel(who.owner, name.strip(), url, default=default)
    return await _channels(request, tasks, who, f"Added channel {added.name}.")


@router.post("/settings/channels/{name}/{verb}")
async def channel(
    request: Request,
    name: str,
    *,
    verb: Literal["test", "remove"],
    who: Acting,
    tasks: Service,
) -> Response:
    """Send a channel a test message, or remove it."""
    if verb == "test":
        await tasks.notifications.test_channel(who.owner, name)
        notice = f"Sent a test message to {name}: check that it arrived."
    else:
        await tasks.notifications.remove_channel(who.owner, name)
        notice = f"Removed channel {name}."
    return await _channels(request, tasks, who, notice)


async def _channels(request: Request, tasks: TaskService, who: Viewer, notice: str) -> Response:
    found = await tasks.notifications.channels(who.owner)
    return answer(request, "_channels.html", "/settings", channels=found, who=who, notice=notice)


@router.post("/signout")
async def sign_out(request: Request, who: Acting, tasks: Service) -> Response:
    """End the session here and for the store: the cookie opens nothing any more."""
    await tasks.people.close_session(request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/signin", status_code=303)
    clear_session(response, request)
    return response
