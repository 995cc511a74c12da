"""What a scheduled run's tools work with (one object per run)."""

from __future__ import annotations

from dataclasses import dataclass, field

from agentcron.abc import ActionContext, TaskGateway
from agentcron.views import TaskView, UserView


@dataclass
class RunDeps:
    context: ActionContext
    tasks: TaskGateway
    owner: UserView
    task: TaskView
    model: str
    followups: list[int] = field(default_factory=list)
    complete_requested: str | None = None
    """Why the agent ended its task (its complete_task tool), if it did."""
