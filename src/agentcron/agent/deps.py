"""What the agents' tools work with: one object per scheduled run, one per chat turn."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from agentcron.abc import ActionContext, TaskGateway
from agentcron.views import TaskView, UserView

if TYPE_CHECKING:
    from agentcron.service import TaskService


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


@dataclass
class ChatDeps:
    service: TaskService
    owner: UserView
    turn_key: str
    """Seeds the idempotency keys of the tasks this turn creates."""
    now: datetime
    changed: list[int] = field(default_factory=list)
