"""Tables and detail views for tasks and runs (imported by the commands that print them)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from rich.markup import escape
from rich.table import Table

from agentcron.cli._output import console
from agentcron.cli._task_options import GRACE_MEANING
from agentcron.plurals import plural
from agentcron.secrets import mask_value

if TYPE_CHECKING:
    from agentcron.views import AttemptView, ChannelView, DeliveryView, RunView, TaskView

_STATUS_STYLE = {
    "active": "green",
    "paused": "yellow",
    "completed": "dim",
    "cancelled": "dim",
    "succeeded": "green",
    "failed": "bold red",
    "retrying": "yellow",
    "running": "cyan",
    "lost": "yellow",
    "queued": "cyan",
    "skipped": "dim",
    "sent": "green",
    "pending": "cyan",
    "held": "yellow",
    "sending": "cyan",
    "unknown": "yellow",
}


def when(instant: datetime | None, zone: str) -> str:
    if instant is None:
        return "-"
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%a %Y-%m-%d %H:%M:%S %z}"


def clock_time(instant: datetime, zone: str) -> str:
    """The time of day in the zone, then the day: '18:00:00 (Wed 02 Dec)'."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%H:%M:%S} ({local:%a %d %b})"


def status_markup(value: str) -> str:
    style = _STATUS_STYLE.get(value, "")
    return f"[{style}]{value}[/]" if style else value


def show_tasks(tasks: list[TaskView]) -> None:
    if not tasks:
        console().print(
            'No tasks. Create one with: agentcron add "Call mom" --when "tomorrow at 6pm"'
        )
        return
    table = Table(show_edge=False, header_style="bold")
    for column in ("id", "title", "when", "next run", "status", "last run", "action"):
        table.add_column(column)
    for task in tasks:
        table.add_row(
            str(task.id),
            escape(task.title),
            task.description,
            when(task.next_run_at, task.timezone),
            status_markup(task.status),
            last_run(task),
            task.action,
        )
    console().print(table)


def next_run(task: TaskView) -> str:
    """'next run Tue ...', or for a task that follows another, when it runs instead."""
    if task.follows_task_id is not None:
        return f"it runs when task {task.follows_task_id}'s runs end"
    return f"next run {when(task.next_run_at, task.timezone)}"


def show_chain(chain: list[tuple[int, TaskView]], current: int) -> None:
    """The chain a task is in, head first, each step under the one it runs after."""
    console().print("[bold]chain[/]")
    for depth, task in chain:
        mark = "[bold]>[/]" if task.id == current else " "
        branch = f"{'   ' * (depth - 1)}└─ " if depth else ""
        runs_on = task.description if depth == 0 else _runs_after(task)
        console().print(
            f"{mark} {branch}{task.id} {escape(task.title)} [dim]({runs_on})[/] "
            f"{status_markup(task.status)}",
            soft_wrap=True,
        )


def _runs_after(task: TaskView) -> str:
    """'after 12' for a step after the successes of task 12; 'after 12 failed' or 'after 12
    finished' for one after its failures or after any end (schedule 'after task 12 failed')."""
    when = task.schedule.rsplit(" ", 1)[-1]
    return f"after {task.follows_task_id}" + ("" if when == "succeeded" else f" {when}")


def last_run(task: TaskView) -> str:
    """The last run's outcome and when it ended: a failure stands out, with its reason."""
    run = task.last_run
    if run is None:
        return "-"
    at = run.finished_at or run.started_at or run.scheduled_for
    text = f"{status_markup(run.status)} {at.astimezone(ZoneInfo(task.timezone)):%m-%d %H:%M}"
    if run.status == "failed" and run.error:
        text += f" [red]({escape(run.error[:60])})[/]"
    return text


def show_task(task: TaskView, channels: list[ChannelView], quiet_hours: str | None) -> None:
    """Every field of the task, each in words (the payload as JSON, secrets masked)."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    rows = [
        ("id", str(task.id)),
        ("title", escape(task.title)),
        ("status", status_markup(task.status)),
        ("when", task.description),
        ("schedule", task.schedule),
        ("next run", next_run(task).removeprefix("next run ")),
        ("last run", last_run(task) + (f" (run {task.last_run.id})" if task.last_run else "")),
        ("action", task.action),
        *_agent_rows(task),
        ("payload", escape(json.dumps(mask_value(task.payload), ensure_ascii=False))),
        ("bounds", bounds(task)),
        ("runs so far", str(task.run_count)),
        ("jitter", jitter(task.jitter_seconds)),
        ("misfire", f"{task.misfire_policy}: {_MISFIRE_WORDS.get(task.misfire_policy, '')}"),
        ("grace", grace(task.misfire_grace_seconds)),
        ("overlap", f"{task.overlap_policy}: {_OVERLAP_WORDS.get(task.overlap_policy, '')}"),
        ("retries", retries(task)),
        ("timeout", f"{seconds(task.timeout_seconds)} per attempt"),
        ("notify", escape(told_where(task, channels))),
        ("notify when", f"{task.notify_policy}: {_POLICY_WORDS.get(task.notify_policy, '')}"),
        ("urgent", _urgency(task.urgent, quiet_hours)),
        ("version", str(task.version)),
    ]
    for name, value in rows:
        grid.add_row(name, value)
    console().print(grid)


_MISFIRE_WORDS = {
    "run_once": "occurrences missed past the grace get one catch-up run",
    "skip": "occurrences missed past the grace are skipped",
    "run_all": "every missed occurrence runs, late",
}
_OVERLAP_WORDS = {
    "allow": "a run starts even while the previous one is still going",
    "skip": "an occurrence is skipped while the previous run is still going",
    "queue": "a run waits for the previous one to finish",
}


def seconds(value: float) -> str:
    """A number of seconds in words, in the largest unit that says it exactly: '1 second',
    '90 seconds', '10 minutes', '2 hours', '2.5 seconds'."""
    for unit, size in (("day", 86_400), ("hour", 3600), ("minute", 60)):
        if value >= size and float(value / size).is_integer():
            return plural(int(value // size), unit)
    return plural(int(value) if float(value).is_integer() else value, "second")


def grace(value: int) -> str:
    return f"{seconds(value)}: {GRACE_MEANING}"


def jitter(value: int) -> str:
    if not value:
        return "none: each run starts at its occurrence"
    return f"up to {seconds(value)}: each run starts a random delay after its occurrence"


def retries(task: TaskView) -> str:
    """How often a failed run is tried again, and how long it waits between tries."""
    if task.max_attempts == 1:
        return "none: 1 attempt per run"
    return (
        f"up to {plural(task.max_attempts, 'attempt')} per run; a retry waits up to "
        f"{seconds(task.backoff_seconds)}, doubling with each retry (at most "
        f"{seconds(task.backoff_max_seconds)})"
    )


def bounds(task: TaskView) -> str:
    """The task's window and its cap on runs, or that it has none."""
    parts = []
    if task.starts_at is not None:
        parts.append(f"starts {when(task.starts_at, task.timezone)}")
    if task.ends_at is not None:
        parts.append(f"ends {when(task.ends_at, task.timezone)}")
    if task.max_runs is not None:
        parts.append(f"at most {plural(task.max_runs, 'run')}")
    return ", ".join(parts) or "none: it runs as long as its schedule does"


def _agent_rows(task: TaskView) -> list[tuple[str, str]]:
    """An agent task's model and the MCP tools it may use."""
    if task.action != "agent":
        return []
    model = task.payload.get("model")
    tools = task.payload.get("mcp") or []
    return [
        ("model", escape(str(model)) if model else "the configured default (AGENTCRON_MODEL)"),
        ("mcp", escape(", ".join(map(str, tools))) if tools else "none"),
    ]


_POLICY_WORDS = {
    "always": "every run",
    "agent": "when the agent says so, and when a run fails",
    "failure": "when a run fails",
    "never": "never",
}


def told_where(task: TaskView, channels: list[ChannelView]) -> str:
    """The channels the task's runs tell: its own (those that still exist), else the
    person's defaults, as the engine chooses them."""
    names = {channel.name for channel in channels}
    own = [name for name in task.notify if name in names]
    gone = [name for name in task.notify if name not in names]
    defaults = [channel.name for channel in channels if channel.is_default]
    if own:
        text = ", ".join(own)
    elif defaults:
        text = f"your defaults: {', '.join(defaults)}"
    else:
        text = "your defaults, but you have none: no one is told ('agentcron channels add')"
    if gone:
        text += f" ({', '.join(gone)} {'was' if len(gone) == 1 else 'were'} removed)"
    return text


def _urgency(urgent: bool, quiet_hours: str | None) -> str:
    if urgent:
        return "yes: told even in your quiet hours"
    if quiet_hours:
        return f"no: held during your quiet hours ({quiet_hours})"
    return "no (you have no quiet hours)"


def show_runs(
    runs: list[RunView],
    zone: str,
    deliveries: dict[int, list[DeliveryView]],
    *,
    with_task: bool = False,
) -> None:
    if not runs:
        console().print("No runs yet.")
        return
    table = Table(show_edge=False, header_style="bold")
    if with_task:
        table.add_column("task")
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
            *([str(run.task_id)] if with_task else []),
            str(run.id),
            when(run.scheduled_for, zone),
            when(run.started_at, zone),
            late,
            status_markup(run.status),
            str(run.attempt),
            escape(detail[:120]),
        )
    console().print(table)
    told = [delivery for run in runs for delivery in deliveries.get(run.id, [])]
    if told:
        show_deliveries(told, zone, title="deliveries")


def show_run(
    run: RunView, zone: str, attempts: list[AttemptView], deliveries: list[DeliveryView]
) -> None:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for name, value in (
        ("run", str(run.id)),
        ("task", str(run.task_id)),
        ("status", status_markup(run.status)),
        ("trigger", run.trigger),
        ("scheduled for", when(run.scheduled_for, zone)),
        ("started", when(run.started_at, zone)),
        ("finished", when(run.finished_at, zone)),
        ("attempt", str(run.attempt)),
        ("reason", escape(run.reason or "-")),
        ("output", escape(run.output or "-")),
        ("error", escape(run.error or "-")),
        ("usage", _usage(run.usage)),
    ):
        grid.add_row(name, value)
    console().print(grid)
    if attempts:
        _show_attempts(attempts, zone)
    if deliveries:
        show_deliveries(deliveries, zone, title="deliveries")
    trace = (run.result or {}).get("trace")
    if isinstance(trace, dict):
        _show_trace(trace)


def _show_attempts(attempts: list[AttemptView], zone: str) -> None:
    table = Table(title="attempts", title_justify="left", box=None, pad_edge=False)
    for column in ("#", "started", "finished", "status", "worker", "error"):
        table.add_column(column)
    for attempt in attempts:
        table.add_row(
            str(attempt.attempt),
            when(attempt.started_at, zone),
            when(attempt.finished_at, zone),
            status_markup(attempt.status),
            escape(attempt.worker_id or "-"),
            escape((attempt.error or "")[:100]),
        )
    console().print(table)


def show_deliveries(
    deliveries: list[DeliveryView], zone: str, *, title: str | None = None, titles: bool = False
) -> None:
    """Where runs were told, and how sending went: sent, waiting (and until when), or why
    not; ``titles`` adds each message's title (for a listing across tasks)."""
    table = Table(title=title, title_justify="left", show_edge=False, header_style="bold")
    if title is not None:
        table.box = None
    columns = ["delivery", "run", "channel", "status", "attempts", "when", "last error"]
    for column in columns[:3] + (["message"] if titles else []) + columns[3:]:
        table.add_column(column)
    for delivery in deliveries:
        table.add_row(
            str(delivery.id),
            str(delivery.run_id),
            escape(delivery.channel),
            *([escape(delivery.title)] if titles else []),
            status_markup(delivery.status),
            plural(delivery.attempts, "attempt") if delivery.attempts else "none yet",
            delivery_when(delivery, zone),
            escape((delivery.last_error or "")[:160]),
        )
    console().print(table)
    again = [str(d.id) for d in deliveries if d.status in ("failed", "unknown")]
    if len(again) == 1:
        console().print(f"'agentcron deliveries retry {again[0]}' sends it again.")
    elif again:
        console().print(
            f"'agentcron deliveries retry ID' sends one again ({', '.join(again)}).", soft_wrap=True
        )


def delivery_when(delivery: DeliveryView, zone: str) -> str:
    """When it went out, or when it will be tried next, or why nothing is planned."""
    if delivery.status == "sent" and delivery.sent_at is not None:
        return f"sent {when(delivery.sent_at, zone)}"
    if delivery.status == "held" and delivery.held_until is not None:
        return f"held until {when(delivery.held_until, zone)} (quiet hours)"
    if delivery.status == "pending" and delivery.next_attempt_at is not None:
        return f"next attempt {when(delivery.next_attempt_at, zone)}"
    return {
        "sending": "being sent now",
        "failed": "gave up",
        "unknown": "may not have arrived",
    }.get(delivery.status, "-")


def _usage(usage: dict[str, Any] | None) -> str:
    if not usage:
        return "-"
    text = (
        f"{usage.get('model', '?')}: {usage.get('input_tokens', 0):,} tokens in, "
        f"{usage.get('output_tokens', 0):,} out, {plural(usage.get('requests', 0), 'request')}, "
        f"{plural(usage.get('tool_calls', 0), 'tool call')}"
    )
    if "cost" in usage:
        text += f", cost {usage['cost']:.6f}"
        if usage.get("cost_source"):
            text += f" ({usage['cost_source']})"
    return text


def _show_trace(trace: dict[str, Any]) -> None:
    """What the agent did: its tool calls, then its model requests."""
    tools = Table(title="tool calls", title_justify="left", box=None, pad_edge=False)
    for column in ("tool", "ok", "ms", "arguments / error"):
        tools.add_column(column)
    for call in trace.get("tools", []):
        detail = call.get("error") if not call.get("ok") else json.dumps(call.get("args"))
        tools.add_row(
            escape(str(call.get("tool"))),
            "yes" if call.get("ok") else "[red]no[/red]",
            f"{call.get('ms', 0):g}",
            escape(str(detail)[:120]),
        )
    requests = Table(title="model requests", title_justify="left", box=None, pad_edge=False)
    for column in ("at", "model", "in", "out", "asked for"):
        requests.add_column(column)
    for request in trace.get("requests", []):
        requests.add_row(
            str(request.get("at", ""))[11:19],
            escape(str(request.get("model"))),
            str(request.get("input_tokens")),
            str(request.get("output_tokens")),
            escape(", ".join(request.get("tool_calls") or []) or "text"),
        )
    if tools.row_count:
        console().print(tools)
    if requests.row_count:
        console().print(requests)
