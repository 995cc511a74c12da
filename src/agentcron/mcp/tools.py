"""The tools: each one ``TaskService`` call for the person a request acts for, answering the
dictionaries the API answers (payload secrets masked), or a tool error whose text is the
service's own message, for the model to read and correct its call."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any, Literal, ParamSpec

from mcp.server.mcpserver import MCPServer
from mcp_types import CallToolResult, TextContent
from pydantic import Field

from agentcron.errors import AgentCronError
from agentcron.mcp.acting import Acting, acting
from agentcron.schedules import parse
from agentcron.secrets import mask_text

TaskId = Annotated[int, Field(description="The task's id, as schedule_task or list_tasks gave it.")]
RunId = Annotated[int, Field(description="The run's id, as list_runs or run_task_now gave it.")]
When = Annotated[
    str,
    Field(
        description=(
            "When it runs, in words or a standard form: 'tomorrow at 6pm', 'in 20 minutes', "
            "'every weekday at 8:30', 'every other week on tuesday at 9', 'every sunday at 10pm "
            "until december 31', cron ('30 8 * * 1-5'), an RRULE, an ISO 8601 instant "
            "('2026-12-24T18:00:00+01:00'), or 'after task 12' (also '... failed', "
            "'... finished') to run after each run of another task, told of it."
        ),
        min_length=1,
        max_length=500,
    ),
]
Timezone = Annotated[
    str | None,
    Field(
        description="The IANA zone 'when' is read in, e.g. 'Europe/Paris'; left out, the person's.",
        max_length=64,
    ),
]
Payload = Annotated[
    dict[str, Any] | None,
    Field(
        description=(
            "What the action needs: reminder {'message': ...} (left out: the title), agent "
            "{'instructions': ..., 'model': 'provider:model', 'mcp': [...]}, http {'url': ..., "
            "'method', 'headers', 'json' or 'body'}, shell {'command': ..., 'env'}."
        )
    ),
]
Instant = Annotated[
    str | None,
    Field(description="An ISO 8601 instant with its offset, e.g. '2026-12-24T18:00:00+01:00'."),
]
Misfire = Annotated[
    Literal["run_once", "skip", "run_all"] | None,
    Field(description="Occurrences missed past the grace: one catch-up run, skipped, or all run."),
]
Overlap = Annotated[
    Literal["skip", "queue", "allow"] | None,
    Field(description="An occurrence while the previous run still goes: skipped, queued, or run."),
]
NotifyWhen = Annotated[
    Literal["always", "agent", "failure", "never"] | None,
    Field(description="When runs tell the person: every run, agent news, failures, never."),
]
Seconds = Annotated[float | None, Field(ge=0, description="A span of time, in seconds.")]
Limit = Annotated[int, Field(ge=1, le=500, description="At most this many.")]
P = ParamSpec("P")
Answer = dict[str, Any] | CallToolResult


def _tool(work: Callable[P, Awaitable[dict[str, Any]]]) -> Callable[P, Awaitable[Answer]]:
    """The tool ``work`` is, its refusals answered as tool errors in the service's own words
    (secrets masked), so that the model reads exactly what to correct."""

    @functools.wraps(work)
    async def answer(*args: P.args, **kwargs: P.kwargs) -> Answer:
        try:
            return await work(*args, **kwargs)
        except AgentCronError as error:
            text = TextContent(type="text", text=mask_text(error.message))
            return CallToolResult(content=[text], is_error=True)

    return answer


def _given(**fields: Any) -> dict[str, Any]:
    """The fields a call gave: those left out keep their defaults (or, in a change, their
    values)."""
    return {name: value for name, value in fields.items() if value is not None}


REPEAT_WINDOW = timedelta(minutes=10)
"""Without a session (HTTP in the 2026-07-28 revision), the same call with the same API key
within this long (up to twice this, by the window it falls in) is a repeat."""


async def _idempotency_key(who: Acting, request: dict[str, Any]) -> str | None:
    """The same request twice in one session is one task: a key of the session and of the
    request's canonical JSON. Without a session, of the API key and the window of time the
    call falls in, or the window before when that one made the task (so that a repeat just
    across a window's end is still one). Neither: no key, every call a new request."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:32]
    if who.session is not None:
        return f"mcp:{who.session}:{digest}"
    if who.key_id is None:
        return None
    window = int(who.service.now().timestamp() // REPEAT_WINDOW.total_seconds())
    before = f"mcp:{who.key_id}:{window - 1}:{digest}"
    if await who.service.find_by_idempotency_key(who.owner, before) is not None:
        return before
    return f"mcp:{who.key_id}:{window}:{digest}"


@_tool
async def schedule_task(
    title: Annotated[str, Field(description="What the task is, on one line: 'Call mom'.")],
    when: When,
    *,
    timezone: Timezone = None,
    action: Annotated[
        str, Field(description="What a run does: reminder, agent, http or shell.")
    ] = "reminder",
    payload: Payload = None,
    notify: Annotated[
        list[str] | None, Field(description="Channels told, by name; left out: the defaults.")
    ] = None,
    notify_policy: NotifyWhen = None,
    urgent: Annotated[bool | None, Field(description="Told even in quiet hours.")] = None,
    misfire_policy: Misfire = None,
    misfire_grace_seconds: Annotated[
        int | None, Field(ge=0, description="How late an occurrence may still run (seconds).")
    ] = None,
    overlap_policy: Overlap = None,
    jitter_seconds: Annotated[
        int | None, Field(ge=0, description="Each run starts up to this much later, at random.")
    ] = None,
    max_attempts: Annotated[int | None, Field(ge=1, description="Attempts per run.")] = None,
    backoff_seconds: Seconds = None,
    timeout_seconds: Seconds = None,
    starts_at: Instant = None,
    ends_at: Instant = None,
    max_runs: Annotated[int | None, Field(ge=1, description="At most this many runs.")] = None,
    idempotency_key: Annotated[
        str | None,
        Field(
            description=(
                "Makes a retried call safe across sessions: the same key with the same request "
                "gives the task already made. Within one session, repeats are safe without it."
            ),
            max_length=200,
        ),
    ] = None,
) -> dict[str, Any]:
    """Schedule a new task for the person: a one-off or recurring reminder (the default), an
    agent run, an HTTP call or a command, fired on time. 'when' takes plain words, e.g.
    'tomorrow at 6pm', 'in 20 minutes', 'every weekday at 8:30', 'every hour'. Returns the task
    (its id, next_run_at, description of the schedule) and whether it was created now. A
    repeated call with the same arguments in one session returns the same task, once."""
    who = acting()
    request = _given(
        title=title, when=when, timezone=timezone, action=action, payload=payload or {},
        notify=notify, notify_policy=notify_policy, urgent=urgent,
        misfire_policy=misfire_policy, misfire_grace_seconds=misfire_grace_seconds,
        overlap_policy=overlap_policy, jitter_seconds=jitter_seconds,
        max_attempts=max_attempts, backoff_seconds=backoff_seconds,
        timeout_seconds=timeout_seconds, starts_at=starts_at, ends_at=ends_at,
        max_runs=max_runs,
    )  # fmt: skip
    if action == "reminder" and "message" not in request["payload"]:
        request["payload"] = {**request["payload"], "message": title}  # as 'agentcron add'
    key = idempotency_key or await _idempotency_key(who, request)
    if key is not None:
        request["idempotency_key"] = key
    task, created = await who.service.create_or_get(who.owner, request)
    return task.to_dict() | {"created": created}


@_tool
async def list_tasks(
    status: Annotated[
        list[Literal["active", "paused", "completed", "failed", "cancelled"]] | None,
        Field(description="Only tasks in these statuses; left out: all."),
    ] = None,
    text: Annotated[
        str | None, Field(max_length=200, description="Only tasks whose title has this text.")
    ] = None,
    limit: Limit = 50,
) -> dict[str, Any]:
    """List the person's tasks, soonest next run first: each with its id, title, status,
    schedule in words, next_run_at and last run."""
    who = acting()
    found = await who.service.list_tasks(who.owner, status=status, text=text, limit=limit)
    return {"tasks": [task.to_dict() for task in found]}


@_tool
async def get_task(task_id: TaskId) -> dict[str, Any]:
    """One task of the person's, every field, with its last run."""
    who = acting()
    return (await who.service.get(who.owner, task_id)).to_dict()


@_tool
async def update_task(
    task_id: TaskId,
    *,
    title: Annotated[str | None, Field(description="A new title.")] = None,
    when: Annotated[
        str | None, Field(description="A new schedule, as schedule_task takes.")
    ] = None,
    timezone: Annotated[
        str | None, Field(description="A new IANA zone; the wall times are kept.", max_length=64)
    ] = None,
    action: Annotated[str | None, Field(description="Another action.")] = None,
    payload: Payload = None,
    notify: Annotated[
        list[str] | None, Field(description="Channels told; [] for the defaults.")
    ] = None,
    notify_policy: NotifyWhen = None,
    urgent: Annotated[bool | None, Field(description="Told even in quiet hours.")] = None,
    misfire_policy: Misfire = None,
    misfire_grace_seconds: Annotated[int | None, Field(ge=0)] = None,
    overlap_policy: Overlap = None,
    jitter_seconds: Annotated[int | None, Field(ge=0)] = None,
    max_attempts: Annotated[int | None, Field(ge=1)] = None,
    backoff_seconds: Seconds = None,
    timeout_seconds: Seconds = None,
    starts_at: Instant = None,
    ends_at: Instant = None,
    max_runs: Annotated[int | None, Field(ge=1)] = None,
    expected_version: Annotated[
        int | None,
        Field(description="The version read: refused if the task changed since."),
    ] = None,
) -> dict[str, Any]:
    """Change some fields of a task; what is left out stays as it is. A new 'when' (e.g. 'every
    sunday at 10') or zone computes the next run from now. Returns the changed task."""
    who = acting()
    changes = _given(
        title=title, when=when, timezone=timezone, action=action, payload=payload,
        notify=notify, notify_policy=notify_policy, urgent=urgent,
        misfire_policy=misfire_policy, misfire_grace_seconds=misfire_grace_seconds,
        overlap_policy=overlap_policy, jitter_seconds=jitter_seconds,
        max_attempts=max_attempts, backoff_seconds=backoff_seconds,
        timeout_seconds=timeout_seconds, starts_at=starts_at, ends_at=ends_at,
        max_runs=max_runs, expected_version=expected_version,
    )  # fmt: skip
    return (await who.service.update(who.owner, task_id, changes)).to_dict()


@_tool
async def pause_task(task_id: TaskId) -> dict[str, Any]:
    """Pause a task: no run until it is resumed (a run written ahead is withdrawn)."""
    who = acting()
    return (await who.service.pause(who.owner, task_id)).to_dict()


@_tool
async def resume_task(task_id: TaskId) -> dict[str, Any]:
    """Resume a paused task: its next run is computed from now."""
    who = acting()
    return (await who.service.resume(who.owner, task_id)).to_dict()


@_tool
async def cancel_task(task_id: TaskId) -> dict[str, Any]:
    """Cancel a task for good (its history stays); a run under way is stopped."""
    who = acting()
    return (await who.service.cancel(who.owner, task_id)).to_dict()


@_tool
async def run_task_now(task_id: TaskId) -> dict[str, Any]:
    """An extra run of the task now, its schedule left as it is. Returns the queued run;
    get_run tells how it went."""
    who = acting()
    return (await who.service.trigger(who.owner, task_id)).to_dict()


@_tool
async def list_runs(task_id: TaskId, limit: Limit = 20) -> dict[str, Any]:
    """The task's runs, newest first: status (queued, running, succeeded, failed...),
    scheduled and start times, lateness, output and error."""
    who = acting()
    found = await who.service.list_runs(who.owner, task_id, limit=limit)
    return {"runs": [run.to_dict() for run in found]}


@_tool
async def get_run(run_id: RunId) -> dict[str, Any]:
    """One run, with each of its attempts and the notifications it sent."""
    who = acting()
    run = await who.service.get_run(who.owner, run_id)
    attempts = await who.service.run_attempts(who.owner, run_id)
    told = await who.service.notifications.of_runs(who.owner, [run.id])
    return run.to_dict() | {
        "attempts": [attempt.to_dict() for attempt in attempts],
        "deliveries": [delivery.to_dict() for delivery in told.get(run.id, [])],
    }


@_tool
async def preview_schedule(
    when: When,
    timezone: Timezone = None,
    count: Annotated[int, Field(ge=1, le=100, description="Occurrences to show.")] = 5,
) -> dict[str, Any]:
    """How agentcron reads a 'when' (e.g. 'every weekday at 8:30', 'in 20 minutes'), and its
    next occurrences, without creating anything: check a schedule before scheduling it."""
    who = acting()
    zone = timezone or (await who.service.profile(who.owner)).timezone
    now = who.service.now()
    return parse(when, zone, now).preview_dict(count, now)


TOOLS = (
    schedule_task, list_tasks, get_task, update_task, pause_task, resume_task, cancel_task,
    run_task_now, list_runs, get_run, preview_schedule,
)  # fmt: skip


def add_tools(server: MCPServer[Any]) -> None:
    """Every tool, named after its function and described by its docstring."""
    for tool in TOOLS:
        server.add_tool(tool, structured_output=True)
