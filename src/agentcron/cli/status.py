"""``agentcron status``: whether a ``serve`` runs on this store (or, distributed, which
schedulers and workers, with each worker's queues), what comes due next, what waits, the
broker's queue depths, and your runs of the last day, at a glance."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from agentcron.cli._context import run_with_service
from agentcron.cli._output import console, print_json
from agentcron.cli.tasks import JsonFlag
from agentcron.plurals import plural, rough_span

if TYPE_CHECKING:
    from agentcron.service import Overview, TaskService
    from agentcron.views import QueueDepths, WorkerView

RECENT = timedelta(days=1)


def status(as_json: JsonFlag = False) -> None:
    """Who serves the store (pid, since when; a worker's queues), what is due next, what
    waits, the queues' depths, the last 24 h."""

    async def work(service: TaskService, owner: str) -> tuple[Overview, str, datetime]:
        from agentcron import cluster  # noqa: PLC0415 - Celery, only in the distributed shape

        now = service.now()
        overview = await cluster.overview(service, owner, since=now - RECENT)
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
    if overview.distributed:
        _show_missing_processes(overview)
    elif not overview.workers:
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
    if overview.queues is not None:
        out.print(_queues_line(overview.queues), soft_wrap=True)
    out.print(f"runs (outstanding, or in the last 24 h): {counts(overview.runs)}")
    out.print(f"tasks: {counts(overview.tasks)}")


def _show_missing_processes(overview: Overview) -> None:
    """In the distributed shape, say which of the two kinds of process nothing runs."""
    kinds = {worker.kind for worker in overview.workers}
    if "serve" in kinds:
        return
    if "scheduler" not in kinds:
        console().print(
            "scheduler: [yellow]none running[/] on this store; no run is made until "
            "'agentcron scheduler' runs.",
            soft_wrap=True,
        )
    if "worker" not in kinds:
        console().print(
            "worker: [yellow]none running[/] on this store; runs wait in the queues until "
            "'agentcron worker' runs.",
            soft_wrap=True,
        )


def _queues_line(queues: QueueDepths) -> str:
    """'queues (counted on the broker now): agent 0, notify 2, ...', or how old the count is."""
    from rich.markup import escape  # noqa: PLC0415

    from agentcron.distributed.queues import QUEUES  # noqa: PLC0415 - names only

    names = [q for q in QUEUES if q in queues.depths] + sorted(set(queues.depths) - set(QUEUES))
    shown = ", ".join(f"{name} {queues.depths[name]}" for name in names)
    trouble = (
        f"the broker did not answer: {escape(queues.broker_error)}" if queues.broker_error else ""
    )
    if queues.source == "broker":
        return f"queues (counted on the broker now): {shown}"
    if queues.source == "recorded":
        where = f"as a scheduler counted them {rough_span(queues.age)} ago"
        return f"queues ({where}{'; ' + trouble if trouble else ''}): {shown}"
    return f"queues: [yellow]unknown[/] ({trouble or 'never counted'})"


def _serves(worker: WorkerView) -> str:
    """'; queues agent, notify; concurrency 64; node NAME' for a worker that says so."""
    details = worker.details or {}
    parts = []
    queues = details.get("queues")
    if isinstance(queues, list):
        parts.append(f"queues {', '.join(map(str, queues))}")
    elif isinstance(queues, str):
        parts.append(f"queues {queues}")
    if details.get("concurrency") is not None:
        parts.append(f"concurrency {details['concurrency']}")
    if details.get("node"):
        parts.append(f"node {details['node']}")
    return "".join(f"; {part}" for part in parts)


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
        f"{rough_span(max(now - worker.seen_at, timedelta()))} ago){escape(_serves(worker))}",
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
