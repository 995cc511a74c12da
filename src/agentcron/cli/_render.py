"""Tables and detail views for tasks and runs."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from rich.table import Table

from agentcron.cli._output import console
from agentcron.views import RunView, TaskView

_STATUS_STYLE = {
    "active": "green",
    "paused": "yellow",
    "completed": "dim",
    "cancelled": "dim",
    "succeeded": "green",
    "failed": "red",
    "retrying": "yellow",
    "running": "cyan",
    "queued": "cyan",
    "skipped": "dim",
}


def when(instant: datetime | None, zone: str) -> str:
    if instant is None:
        return "-"
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%a %Y-%m-%d %H:%M:%S %z}"


def _status(value: str) -> str:
    style = _STATUS_STYLE.get(value, "")
    return f"[{style}]{value}[/]" if style else value


def show_tasks(tasks: list[TaskView]) -> None:
    if not tasks:
        console.print(
            'No tasks. Create one with: agentcron add "Call mom" --when "tomorrow at 6pm"'
        )
        return
    table = Table(show_edge=False, header_style="bold")
    for column in ("id", "title", "when", "next run", "status", "action"):
        table.add_column(column)
    for task in tasks:
        table.add_row(
            str(task.id),
            task.title,
            task.description,
            when(task.next_run_at, task.timezone),
            _status(task.status),
            task.action,
        )
    console.print(table)


def show_task(task: TaskView) -> None:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    rows = [
        ("id", str(task.id)),
        ("title", task.title),
        ("status", _status(task.status)),
        ("when", task.description),
        ("schedule", task.schedule),
        ("next run", when(task.next_run_at, task.timezone)),
        ("action", task.action),
        ("payload", str(task.payload)),
        ("runs so far", str(task.run_count)),
        ("misfire", f"{task.misfire_policy} (grace {task.misfire_grace_seconds} s)"),
        ("overlap", task.overlap_policy),
        ("retries", f"{task.max_attempts} attempts, backoff {task.backoff_seconds:g} s"),
        ("timeout", f"{task.timeout_seconds:g} s"),
        ("version", str(task.version)),
    ]
    for name, value in rows:
        grid.add_row(name, value)
    console.print(grid)


def show_runs(runs: list[RunView], zone: str) -> None:
    if not runs:
        console.print("No runs yet.")
        return
    table = Table(show_edge=False, header_style="bold")
    for column in (
        "run",
        "scheduled for",
        "started",
        "late",
        "status",
        "attempt",
        "output / reason",
    ):
        table.add_column(column)
    for run in runs:
        late = f"{run.lateness_seconds * 1000:.0f} ms" if run.lateness_seconds is not None else "-"
        detail = run.output or run.error or run.reason or ""
        table.add_row(
            str(run.id),
            when(run.scheduled_for, zone),
            when(run.started_at, zone),
            late,
            _status(run.status),
            str(run.attempt),
            detail[:120],
        )
    console.print(table)


def show_run(run: RunView, zone: str) -> None:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for name, value in (
        ("run", str(run.id)),
        ("task", str(run.task_id)),
        ("status", _status(run.status)),
        ("trigger", run.trigger),
        ("scheduled for", when(run.scheduled_for, zone)),
        ("started", when(run.started_at, zone)),
        ("finished", when(run.finished_at, zone)),
        ("attempt", str(run.attempt)),
        ("reason", run.reason or "-"),
        ("output", run.output or "-"),
        ("error", run.error or "-"),
    ):
        grid.add_row(name, value)
    console.print(grid)
