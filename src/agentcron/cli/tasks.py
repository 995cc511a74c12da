"""Task commands: add, ls, show, edit, pause, resume, cancel, run, delete (the runs are in
``runs``)."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agentcron.cli._context import run_with_service
from agentcron.cli._output import NOBODY_SERVING, console, print_json
from agentcron.cli._task_options import (
    TaskFlags,
    build_payload,
    implied_action,
    payload_json,
    with_task_options,
)
from agentcron.domain import ENDED_TASK_STATUSES
from agentcron.errors import InvalidInputError
from agentcron.plurals import plural

if TYPE_CHECKING:
    from agentcron.service import TaskService
    from agentcron.views import Profile, TaskView

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

TaskId = Annotated[
    int, typer.Argument(help="The task's id (see 'agentcron ls').", show_default=False)
]


def _done(task: TaskView, as_json: bool, verb: str) -> None:
    if as_json:
        print_json(task.to_dict())
        return
    from rich.markup import escape  # noqa: PLC0415 - Rich, only to print

    from agentcron.cli import _render  # noqa: PLC0415

    console().print(
        f'{verb} task [bold]{task.id}[/] "{escape(task.title)}": {task.description}; '
        + _render.next_run(task)
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
            f"{task.description}; {_render.next_run(task)}"
        )


@with_task_options
def add(
    flags: TaskFlags,
    named: Annotated[
        str | None,
        typer.Argument(
            help="A short name for the task (or --title).", metavar="TITLE", show_default=False
        ),
    ] = None,
    idempotency_key: Annotated[
        str | None, typer.Option("--idempotency-key", help="Same key, same task.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a task (an agent task with --instructions, or a payload that has them)."""
    if named is not None and flags.title is not None:
        raise InvalidInputError("Give the title once: as the argument or as --title.")
    title = named if named is not None else flags.title
    when = flags.schedule()
    if title is None or when is None:
        raise InvalidInputError(
            "A task needs a title and --when (or --after ID), e.g. "
            'agentcron add "Call mom" --when "tomorrow at 6pm".'
        )

    async def work(service: TaskService, owner: str) -> tuple[TaskView, bool, bool]:
        data = payload_json(flags.payload)
        chosen = flags.action or implied_action(flags, data)
        zone = flags.tz or ""  # only --starts and --ends read it: the person's, then
        if not zone and (flags.starts or flags.ends):
            zone = (await service.profile(owner)).timezone
        request: dict[str, Any] = {
            "title": title,
            "when": when,
            "timezone": flags.tz,
            "action": chosen,
            "payload": build_payload(chosen, flags, title, data),
            "idempotency_key": idempotency_key,
            **flags.options(zone, service.now()),
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

    async def work(
        service: TaskService, owner: str
    ) -> tuple[TaskView, Profile, list[tuple[int, TaskView]]]:
        task = await service.get(owner, task_id)
        chain = await service.chain(owner, task_id)
        return task, await service.notifications.profile(owner), chain

    task, person, chain = run_with_service(work)
    if as_json:
        in_chain = {"chain": [t.id for _, t in chain]} if len(chain) > 1 else {}
        print_json(task.to_dict() | in_chain)  # the chain it is in, head first, if any
    else:
        from agentcron.cli import _render  # noqa: PLC0415 - Rich, only to print

        _render.show_task(task, person.channels, person.user.quiet_hours)
        if len(chain) > 1:
            _render.show_chain(chain, task.id)


@with_task_options
def edit(flags: TaskFlags, task_id: TaskId, as_json: JsonFlag = False) -> None:
    """Change a task: any option of add, and its action (its payload is checked again); a
    new schedule, zone or bound recomputes the next run."""
    if not flags.given():
        raise InvalidInputError(
            "Nothing to change: give --title, --when, --tz, --message, --grace, --notify... "
            "('agentcron edit --help' lists them)."
        )

    async def work(service: TaskService, owner: str) -> TaskView:
        current = await service.get(owner, task_id)
        changes: dict[str, Any] = {
            "title": flags.title,
            "when": flags.schedule(current.follows_task_id, _condition(current)),
            "timezone": flags.tz,
            "action": flags.action,
            **flags.options(flags.tz or current.timezone, service.now()),
        }
        action = flags.action or current.action
        if flags.payload_given() or action != current.action:
            # another action starts from an empty payload: the old one's fields do not fit it
            kept = current.payload if flags.payload is None and action == current.action else {}
            title = flags.title or current.title
            changes["payload"] = dict(kept) | build_payload(action, flags, title)
        return await service.update(
            owner, task_id, {k: v for k, v in changes.items() if v is not None}
        )

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
    """Stop a task for good; a run already under way is stopped, and the tasks that run
    after it are cancelled with it."""

    async def work(service: TaskService, owner: str) -> tuple[TaskView, TaskView, list[int]]:
        below = _live_below(await service.chain(owner, task_id), task_id)
        before, after = await _around(service, owner, task_id, service.cancel)
        return before, after, below

    before, after, below = run_with_service(work)
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
    if below and after.status == "cancelled" and before.status != "cancelled":
        ids = ", ".join(map(str, below))
        console().print(
            f"Cancelled with it: {plural(len(below), 'task')} that ran after it ({ids})."
        )


def _condition(task: TaskView) -> str | None:
    """What a follower runs after now: 'succeeded', 'failed' or 'finished' (None: a clock)."""
    from agentcron.schedules import AfterTask, parse_normalized  # noqa: PLC0415

    schedule = parse_normalized(task.schedule, task.timezone)
    return schedule.when.value if isinstance(schedule, AfterTask) else None


def _live_below(chain: list[tuple[int, TaskView]], task_id: int) -> list[int]:
    """The live tasks below ``task_id`` in its chain (drawn depth first: they follow it)."""
    found: list[int] = []
    depth_of: int | None = None
    for depth, task in chain:
        if depth_of is not None and depth <= depth_of:
            break
        if task.id == task_id:
            depth_of = depth
        elif depth_of is not None and task.status in ("active", "paused"):
            found.append(task.id)
    return found


async def _around(
    service: TaskService,
    owner: str,
    task_id: int,
    change: Callable[[str, int], Awaitable[TaskView]],
) -> tuple[TaskView, TaskView]:
    """The task before and after ``change``, to say plainly when nothing had to change."""
    before = await service.get(owner, task_id)
    return before, await change(owner, task_id)


def delete(
    task_id: TaskId,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Remove a cancelled, completed or failed task with all its history (runs, attempts,
    deliveries); a live task is cancelled first."""

    async def work(service: TaskService, owner: str) -> tuple[TaskView, int | None]:
        task = await service.get(owner, task_id)
        if task.status not in ENDED_TASK_STATUSES or yes:
            return task, await service.delete(owner, task_id)  # the service refuses a live one
        return task, None

    task, removed = run_with_service(work)
    if removed is None:
        _confirm_delete(task)
        removed = run_with_service(lambda s, o: s.delete(o, task_id))
    if as_json:
        print_json({"id": task.id, "title": task.title, "deleted": True, "runs_deleted": removed})
        return
    from rich.markup import escape  # noqa: PLC0415 - Rich, only to print

    console().print(
        f'Deleted task {task.id} "{escape(task.title)}" and its history ({plural(removed, "run")}).'
    )


def _confirm_delete(task: TaskView) -> None:
    """Ask before deleting; with no one to ask (input not a terminal), refuse."""
    if not sys.stdin.isatty():
        raise InvalidInputError(
            f"agentcron delete asks before deleting, but its input is not a terminal; "
            f"run 'agentcron delete {task.id} --yes' to delete task {task.id} without asking."
        )
    asked = f'Delete task {task.id} "{task.title}" ({task.status}) and all its runs?'
    if not typer.confirm(asked, default=False):
        console().print(f"Task {task.id} is kept.")
        raise typer.Exit(0)


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
    "delete": delete,
}

__all__ = ["COMMANDS"]
