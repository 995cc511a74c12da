"""``agentcron status``: whether a ``serve`` runs on this store, what comes due next, what
waits, and your runs of the last day, at a glance."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from agentcron.cli._context import run_with_service
from agentcron.cli._output import console, print_json
from agentcron.cli.tasks import JsonFlag
from agentcron.plurals import plural, rough_span

if TYPE_CHECKING:
    from agentcron.service import Overview, TaskService
    from agentcron.views import WorkerView

RECENT = timedelta(days=1)


def status(as_json: JsonFlag = False) -> None:
    """Whether a serve runs (pid, since when), what is due next, what waits, the last 24 h."""

    async def work(service: TaskService, owner: str) -> tuple[Overview, str, datetime]:
        now = service.now()
        overview = await service.overview(owner, since=now - RECENT)
        return overview, (await service.profile(owner)).timezone, now

    overview, zone, now = run_with_service(work)
    if as_json:
        print_json(overview.to_dict())
        return
    show_overview(overview, zone, now)


def show_overview(overview: Overview, zone: str, now: datetime) -> None:
    """The overview for a person, instants in their zone."""
    from rich.markup import escape  # noqa: PLC0415 - Rich, only to print

    from agentcron.cli._render import status_markup, when  # noqa: PLC0415

    def counts(values: dict[str, int]) -> str:
        return ", ".join(f"{n} {status_markup(s)}" for s, n in sorted(values.items())) or "none"

    out = console()
    if not overview.workers:
        out.print(
            "serve: [yellow]not running[/] on this store; tasks fire once 'agentcron serve' "
            "runs (or at each 'agentcron serve --once').",
            soft_wrap=True,
        )
    for worker in overview.workers:
        _show_worker(worker, zone, now)
    for worker in overview.stale:
        out.print(
            f"[yellow]{worker.kind} {escape(_process(worker))} stopped without saying so[/] "
            f"(last heard from {when(worker.seen_at, zone)}); its runs are taken over when "
            "their lease ends.",
            soft_wrap=True,
        )
    task = overview.next_task
    if task is None or task.next_run_at is None:
        out.print("next due: nothing scheduled")
    else:
        due = task.next_run_at
        late = f"in {rough_span(due - now)}" if due > now else f"overdue by {rough_span(now - due)}"
        out.print(
            f'next due: task {task.id} "{escape(task.title)}" at {when(due, zone)} ({late})',
            soft_wrap=True,
        )
    waiting = overview.waiting
    if waiting is None:
        out.print("waiting: no run is past its start")
    else:
        run = waiting.run
        out.print(
            f'oldest waiting: run {run.id} of task {run.task_id} "{escape(waiting.title)}", '
            f"due {when(run.not_before, zone)} ({status_markup(run.status)} for "
            f"{rough_span(waiting.waited)})",
            soft_wrap=True,
        )
    out.print(f"runs (outstanding, or in the last 24 h): {counts(overview.runs)}")
    out.print(f"tasks: {counts(overview.tasks)}")


def _process(worker: WorkerView) -> str:
    """'pid 4242 on host', or the worker's id when it names no process."""
    shown = worker.to_dict()
    return worker.id if shown["pid"] is None else f"pid {shown['pid']} on {shown['host']}"


def _show_worker(worker: WorkerView, zone: str, now: datetime) -> None:
    from rich.markup import escape  # noqa: PLC0415

    from agentcron.cli._render import when  # noqa: PLC0415

    up = rough_span(now - worker.started_at)
    console().print(
        f"{worker.kind}: [green]running[/], {escape(_process(worker))}, since "
        f"{when(worker.started_at, zone)} (up {up}; last heard from "
        f"{rough_span(max(now - worker.seen_at, timedelta()))} ago)",
        soft_wrap=True,
    )
    for loop in worker.loops:
        state = loop["state"]
        style = {"running": "green", "retrying": "yellow"}.get(state, "red")
        line = f"  {loop['name']}: [{style}]{state}[/]"
        if loop.get("last_error"):
            line += (
                f" ({plural(loop['restarts'], 'failure')}; "
                f"last: {escape(str(loop['last_error']))}"
                f" at {str(loop['last_error_at'])[11:19]}Z)"
            )
        console().print(line, soft_wrap=True)
