"""``agentcron://upcoming``: the person's next runs, soonest first, for a model to see what
is coming without listing every task."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from agentcron.mcp.acting import acting
from agentcron.schedules import get_zone, parse_normalized
from agentcron.service import TaskService
from agentcron.views import TaskView

URI = "agentcron://upcoming"
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
    found = [(at, task) for task in tasks for at in _occurrences(task, until, most)]
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


def _occurrences(task: TaskView, until: datetime, most: int) -> list[datetime]:
    """The task's occurrences from its next run up to ``until``, within its bounds."""
    schedule = parse_normalized(task.schedule, task.timezone)
    runs_left = None if task.max_runs is None else task.max_runs - task.run_count
    last = until if task.ends_at is None else min(until, task.ends_at)
    found: list[datetime] = []
    at = task.next_run_at
    while at is not None and at <= last and len(found) < most:
        if runs_left is not None and len(found) >= runs_left:
            break
        found.append(at)
        at = schedule.next_after(at)
    return found


async def read_upcoming() -> str:
    """The next runs of the person's active tasks within 7 days, soonest first, as JSON."""
    who = acting()
    return json.dumps(await upcoming_runs(who.service, who.owner))
