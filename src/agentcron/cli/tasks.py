"""Task commands: add, ls, show, edit, pause, resume, cancel, run (the runs are in ``runs``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from agentcron.cli._context import run_with_service
from agentcron.cli._output import NOBODY_SERVING, console, print_json
from agentcron.errors import InvalidInputError

if TYPE_CHECKING:
    from agentcron.service import TaskService
    from agentcron.views import Profile, TaskView

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

TaskId = Annotated[
    int, typer.Argument(help="The task's id (see 'agentcron ls').", show_default=False)
]
NotifyWhen = Annotated[
    Literal["always", "agent", "failure", "never"] | None,
    typer.Option(
        "--notify-when",
        help="When runs tell you: always, agent (when the agent says so), failure or never; "
        "a run that fails for good is told under all but never (default: the action's).",
        show_default=False,
    ),
]


def _channel_names(values: list[str] | None) -> list[str] | None:
    """--notify 'phone,work' (or repeated) as channel names; '' alone means the defaults."""
    if values is None:
        return None
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def _text(value: str | None, flag: str) -> str | None:
    """A flag's value as given, or read from stdin ('-') or a file ('@path')."""
    if value == "-":
        return sys.stdin.read()
    if value is not None and value.startswith("@"):
        try:
            return Path(value[1:]).expanduser().read_text(encoding="utf-8")
        except OSError as error:
            raise InvalidInputError(f"{flag}: cannot read {value[1:]}: {error.strerror}.") from None
    return value


def _payload(
    action: str,
    message: str | None,
    instructions: str | None,
    payload: str | dict[str, Any] | None,
    title: str,
    agent: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The action's payload from the convenient flags or from --payload JSON (or its parse);
    a field given both ways is refused rather than one of them silently winning."""
    data = dict(payload) if isinstance(payload, dict) else _payload_json(payload)
    flags = {"message": message, "instructions": instructions, **(agent or {})}
    for field, value in flags.items():
        if value is not None and field in data:
            raise InvalidInputError(
                f'--{field} and the "{field}" of --payload both give the {field}; keep one of them.'
            )
    message = _text(message, "--message")
    instructions = _text(instructions, "--instructions")
    if message is not None:
        data["message"] = message
    if instructions is not None:
        data["instructions"] = instructions
    data |= agent or {}
    if action == "reminder" and "message" not in data:
        data["message"] = title
    return data


def _payload_json(payload: str | None) -> dict[str, Any]:
    payload = _text(payload, "--payload")
    if payload is None:
        return {}
    try:
        parsed = json.loads(payload)
    except json.JSONDecodeError as error:
        raise InvalidInputError(
            f"--payload is not valid JSON: {error.msg} at {error.pos}."
        ) from None
    if not isinstance(parsed, dict):
        raise InvalidInputError('--payload must be a JSON object, e.g. \'{"message": "hi"}\'.')
    return parsed


def _agent_options(model: str | None, mcp: list[str] | None) -> dict[str, Any]:
    """The agent's payload fields given as flags (--model, --mcp)."""
    return {key: value for key, value in {"model": model, "mcp": mcp}.items() if value}


def _implied_action(instructions: str | None, data: dict[str, Any], agent: dict[str, Any]) -> str:
    """The action when --action is not given: an agent's when anything says so."""
    return "agent" if instructions is not None or agent or "instructions" in data else "reminder"


def _done(task: TaskView, as_json: bool, verb: str) -> None:
    if as_json:
        print_json(task.to_dict())
        return
    from rich.markup import escape  # noqa: PLC0415 - Rich, only to print

    from agentcron.cli import _render  # noqa: PLC0415

    console().print(
        f'{verb} task [bold]{task.id}[/] "{escape(task.title)}": {task.description}; '
        f"next run {_render.when(task.next_run_at, task.timezone)}"
    )


def _added(task: TaskView, created: bool, as_json: bool) -> None:
    """A new task, or the one an idempotency key already named (then not 'Created')."""
    if as_json:
        print_json(task.to_dict() | {"created": created})
    elif created:
        _done(task, as_json, "Created")
    else:
        from rich.markup import escape  # noqa: PLC0415 - Rich, only to print

        from agentcron.cli import _render  # noqa: PLC0415

        console().print(
            f'Task [bold]{task.id}[/] "{escape(task.title)}" already exists: '
            f"{task.description}; next run {_render.when(task.next_run_at, task.timezone)}"
        )


def add(
    title: Annotated[str, typer.Argument(help="A short name for the task.", show_default=False)],
    when_: Annotated[
        str, typer.Option("--when", "-w", help="When: 'every weekday at 8:30', cron, RRULE, ISO.")
    ],
    tz: Annotated[str | None, typer.Option("--tz", help="IANA zone (default: yours).")] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="reminder, http, shell or agent.")
    ] = None,
    message: Annotated[
        str | None,
        typer.Option("--message", "-m", help="The reminder's message ('-': stdin, '@file')."),
    ] = None,
    instructions: Annotated[
        str | None,
        typer.Option("--instructions", help="What the agent should do ('-': stdin, '@file')."),
    ] = None,
    payload: Annotated[
        str | None, typer.Option("--payload", help="The action's payload as JSON.")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option("--model", help="The agent's provider:model (default: AGENTCRON_MODEL)."),
    ] = None,
    mcp: Annotated[
        list[str] | None,
        typer.Option("--mcp", help="MCP tools the agent may use: 'server' or 'server:tool'."),
    ] = None,
    idempotency_key: Annotated[
        str | None, typer.Option("--idempotency-key", help="Same key, same task.")
    ] = None,
    misfire: Annotated[
        str | None, typer.Option("--misfire", help="run_once, skip or run_all.")
    ] = None,
    overlap: Annotated[str | None, typer.Option("--overlap", help="skip, queue or allow.")] = None,
    max_attempts: Annotated[
        int | None, typer.Option("--max-attempts", help="Attempts per run.")
    ] = None,
    timeout: Annotated[float | None, typer.Option("--timeout", help="Seconds per attempt.")] = None,
    jitter: Annotated[
        int | None, typer.Option("--jitter", help="Up to this many seconds of delay.")
    ] = None,
    notify: Annotated[
        list[str] | None,
        typer.Option(
            "--notify",
            help="Channels its runs tell, comma-separated (default: your default channels).",
        ),
    ] = None,
    notify_when: NotifyWhen = None,
    urgent: Annotated[
        bool, typer.Option("--urgent", help="Tell you even in your quiet hours.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Create a task (an agent task with --instructions, or a payload that has them)."""
    agent = _agent_options(model, mcp)

    async def work(service: TaskService, owner: str) -> tuple[TaskView, bool, bool]:
        data = _payload_json(payload)
        chosen = action or _implied_action(instructions, data, agent)
        request: dict[str, Any] = {
            "title": title,
            "when": when_,
            "timezone": tz,
            "action": chosen,
            "payload": _payload(chosen, message, instructions, data, title, agent),
            "idempotency_key": idempotency_key,
            "misfire_policy": misfire,
            "overlap_policy": overlap,
            "max_attempts": max_attempts,
            "timeout_seconds": timeout,
            "jitter_seconds": jitter,
            "notify": _channel_names(notify),
            "notify_policy": notify_when,
            "urgent": urgent or None,
        }
        created, new = await service.create_or_get(
            owner, {k: v for k, v in request.items() if v is not None}
        )
        return created, new, bool(await service.serving())

    created, new, served = run_with_service(work)
    _added(created, new, as_json)
    if not served and not as_json:
        console().print(NOBODY_SERVING, soft_wrap=True)


def ls(
    status: Annotated[
        list[str] | None, typer.Option("--status", "-s", help="Only these statuses.")
    ] = None,
    search: Annotated[str | None, typer.Option("--search", help="Text in the title.")] = None,
    show_all: Annotated[
        bool, typer.Option("--all", "-a", help="Include completed and cancelled.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """List your tasks, soonest first."""
    statuses = status or (None if show_all else ["active", "paused"])

    async def work(service: TaskService, owner: str) -> list[TaskView]:
        return await service.list_tasks(owner, status=statuses, text=search)

    tasks = run_with_service(work)
    if as_json:
        print_json([t.to_dict() for t in tasks])
    else:
        from agentcron.cli import _render  # noqa: PLC0415 - Rich, only to print

        _render.show_tasks(tasks)


def show(task_id: TaskId, as_json: JsonFlag = False) -> None:
    """Show one task, with where and when its runs tell you."""

    async def work(service: TaskService, owner: str) -> tuple[TaskView, Profile]:
        return await service.get(owner, task_id), await service.notifications.profile(owner)

    task, person = run_with_service(work)
    if as_json:
        print_json(task.to_dict())
    else:
        from agentcron.cli import _render  # noqa: PLC0415 - Rich, only to print

        _render.show_task(task, person.channels, person.user.quiet_hours)


def edit(
    task_id: TaskId,
    title: Annotated[str | None, typer.Option("--title", help="New title.")] = None,
    when_: Annotated[str | None, typer.Option("--when", "-w", help="New schedule.")] = None,
    tz: Annotated[str | None, typer.Option("--tz", help="New time zone (wall times kept).")] = None,
    message: Annotated[
        str | None, typer.Option("--message", "-m", help="New reminder message.")
    ] = None,
    instructions: Annotated[
        str | None, typer.Option("--instructions", help="New agent instructions.")
    ] = None,
    payload: Annotated[str | None, typer.Option("--payload", help="New payload as JSON.")] = None,
    model: Annotated[str | None, typer.Option("--model", help="New agent model.")] = None,
    mcp: Annotated[
        list[str] | None, typer.Option("--mcp", help="New MCP tools allowed (replaces them).")
    ] = None,
    notify: Annotated[
        list[str] | None,
        typer.Option(
            "--notify", help="New channels, comma-separated (replaces them); '' for your defaults."
        ),
    ] = None,
    notify_when: NotifyWhen = None,
    urgent: Annotated[
        bool | None,
        typer.Option(
            "--urgent/--not-urgent",
            help="Tell you even in your quiet hours, or not.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a task; a new schedule or zone recomputes the next run."""
    agent = _agent_options(model, mcp)

    async def work(service: TaskService, owner: str) -> TaskView:
        changes: dict[str, Any] = {
            "title": title, "when": when_, "timezone": tz, "notify": _channel_names(notify),
            "notify_policy": notify_when, "urgent": urgent,
        }  # fmt: skip
        if message is not None or instructions is not None or payload is not None or agent:
            current = await service.get(owner, task_id)
            merged = dict(current.payload) if payload is None else {}
            merged |= _payload(current.action, message, instructions, payload, current.title, agent)
            changes["payload"] = merged
        changes = {k: v for k, v in changes.items() if v is not None}
        if not changes:
            raise InvalidInputError(
                "Nothing to change: give --title, --when, --tz, --message, --notify..."
            )
        return await service.update(owner, task_id, changes)

    _done(run_with_service(work), as_json, "Updated")


def pause(task_id: TaskId, as_json: JsonFlag = False) -> None:
    """Stop a task from firing until resumed."""
    before, after = run_with_service(lambda s, o: _around(s, o, task_id, s.pause))
    if before.status == after.status and not as_json:
        console().print(f"Task {task_id} is already paused.")
        return
    _done(after, as_json, "Paused")


def resume(task_id: TaskId, as_json: JsonFlag = False) -> None:
    """Fire a paused task again (missed occurrences follow its misfire policy)."""
    before, after = run_with_service(lambda s, o: _around(s, o, task_id, s.resume))
    if before.status == after.status and not as_json:
        console().print(f"Task {task_id} is already active.")
        return
    _done(after, as_json, "Resumed")


def cancel(task_id: TaskId, as_json: JsonFlag = False) -> None:
    """Stop a task for good; a run already under way is stopped."""
    before, after = run_with_service(lambda s, o: _around(s, o, task_id, s.cancel))
    if as_json:
        print_json(after.to_dict())
        return
    from agentcron.cli import _render  # noqa: PLC0415 - Rich, only to print

    run = after.last_run
    if before.status == "cancelled":
        console().print(f"Task {task_id} was already cancelled.")
    elif after.status != "cancelled":  # it had ended: nothing was left to cancel
        fired = run.started_at or run.finished_at if run is not None else None
        at = f" at {_render.clock_time(fired, after.timezone)}" if fired is not None else ""
        outcome = f" (its run {run.status})" if run is not None else ""
        console().print(
            f"Task {task_id} had already fired{at}{outcome}; there is nothing left to cancel."
        )
    elif run is not None and run.started_at is not None:
        started = _render.clock_time(run.started_at, after.timezone)
        console().print(
            f'Cancelled task {task_id} "{after.title}"; stopped its run {run.id}, '
            f"which had started at {started}."
        )
    else:
        console().print(f'Cancelled task [bold]{task_id}[/] "{after.title}"; it will not fire.')


async def _around(
    service: TaskService,
    owner: str,
    task_id: int,
    change: Callable[[str, int], Awaitable[TaskView]],
) -> tuple[TaskView, TaskView]:
    """The task before and after ``change``, to say plainly when nothing had to change."""
    before = await service.get(owner, task_id)
    return before, await change(owner, task_id)


def run(task_id: TaskId, as_json: JsonFlag = False) -> None:
    """Run a task now, once, without changing its schedule."""
    queued = run_with_service(lambda s, o: s.trigger(o, task_id))
    if as_json:
        print_json(queued.to_dict())
    else:
        console().print(f"Queued run [bold]{queued.id}[/] of task {task_id}.")


COMMANDS = {
    "add": add,
    "ls": ls,
    "show": show,
    "edit": edit,
    "pause": pause,
    "resume": resume,
    "cancel": cancel,
    "run": run,
}

__all__ = ["COMMANDS"]
