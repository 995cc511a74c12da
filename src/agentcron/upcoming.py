"""A person's next runs as every door shows them: each task's occurrences from its next
run on, within its bounds (``ends_at``, the runs ``max_runs`` leaves), and the person's
soonest first."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from agentcron.schedules import get_zone, parse_normalized
from agentcron.views import TaskView

if TYPE_CHECKING:
    from agentcron.service import TaskService

HORIZON = timedelta(days=7)
MOST = 100
"""Occurrences listed at most: an every-minute task would fill any horizon."""


async def upcoming_runs(
    service: TaskService, owner: str, *, horizon: timedelta = HORIZON, most: int = MOST
) -> dict[str, Any]:
    """The next occurrences of the owner's active tasks within ``horizon`` of now, soonest
    first, at most ``most`` of them, each in UTC and in its task's zone."""
    now = service.now()
    until = now + horizon
    tasks = await service.list_tasks(owner, status=["active"], due_before=until, limit=most)
    found = [(at, task) for task in tasks for at in task_occurrences(task, most, until=until)]
    found.sort(key=lambda pair: (pair[0], pair[1].id))
    return {
        "now": now.isoformat(),
        "until": until.isoformat(),
        "upcoming": [
            {
                "task_id": task.id,
                "title": task.title,
                "action": task.action,
                "at": at.isoformat(),
                "local_time": at.astimezone(get_zone(task.timezone)).isoformat(),
                "timezone": task.timezone,
                "schedule": task.description,
            }
            for at, task in found[:most]
        ],
    }


def task_occurrences(task: TaskView, most: int, *, until: datetime | None = None) -> list[datetime]:
    """The task's occurrences from its next run, up to ``until`` (if given) and its bounds;
    none for a task that does not fire (paused, ended: no next run)."""
    schedule = parse_normalized(task.schedule, task.timezone)
    runs_left = None if task.max_runs is None else task.max_runs - task.run_count
    last = task.ends_at if until is None else min(until, task.ends_at or until)
    found: list[datetime] = []
    at = task.next_run_at
    while at is not None and (last is None or at <= last) and len(found) < most:
        if runs_left is not None and len(found) >= runs_left:
            break
        found.append(at)
        at = schedule.next_after(at)
    return found
