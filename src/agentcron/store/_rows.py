"""Rows to views, and the checks every repository shares."""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import Row, Table

from agentcron.store.models import Conversation, Run, Task, User
from agentcron.views import RunView, TaskView, UserView

TASKS: Final[Table] = Task.__table__  # type: ignore[assignment]
RUNS: Final[Table] = Run.__table__  # type: ignore[assignment]
USERS: Final[Table] = User.__table__  # type: ignore[assignment]
CONVERSATIONS: Final[Table] = Conversation.__table__  # type: ignore[assignment]

MAX_ID: Final = 2**63 - 1
"""The largest id either database stores; a larger one names nothing."""


def storable_id(value: int) -> bool:
    """Whether ``value`` can be an id (so that the driver is never asked to overflow)."""
    return 0 < value <= MAX_ID


def task_view(row: Row[Any]) -> TaskView:
    return TaskView(**row._mapping)


def run_view(row: Row[Any]) -> RunView:
    return RunView(**row._mapping)


def user_view(row: Row[Any]) -> UserView:
    return UserView(**row._mapping)
