"""The store: SQLAlchemy models, the database connection and Alembic migrations."""

from agentcron.store.database import Database, default_sqlite_path, sqlite_url
from agentcron.store.models import (
    ACTIVE_RUN_STATUSES,
    Conversation,
    MisfirePolicy,
    OverlapPolicy,
    Run,
    RunStatus,
    RunTrigger,
    Task,
    TaskStatus,
    User,
)

__all__ = [
    "ACTIVE_RUN_STATUSES",
    "Conversation",
    "Database",
    "MisfirePolicy",
    "OverlapPolicy",
    "Run",
    "RunStatus",
    "RunTrigger",
    "Task",
    "TaskStatus",
    "User",
    "default_sqlite_path",
    "sqlite_url",
]
