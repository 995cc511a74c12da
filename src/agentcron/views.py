"""Plain, read-only views of people, tasks and runs: what the service hands to every front door."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from agentcron.store.models import Run, Task, User


@dataclass(frozen=True)
class TaskView:
    id: int
    owner_id: str
    title: str
    action: str
    payload: dict[str, Any]
    schedule: str
    schedule_kind: str
    description: str
    timezone: str
    status: str
    next_run_at: datetime | None
    starts_at: datetime | None
    ends_at: datetime | None
    max_runs: int | None
    run_count: int
    misfire_policy: str
    misfire_grace_seconds: int
    overlap_policy: str
    jitter_seconds: int
    max_attempts: int
    backoff_seconds: float
    timeout_seconds: float
    notify: list[str]
    idempotency_key: str | None
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, task: Task, description: str) -> TaskView:
        return cls(
            id=task.id,
            owner_id=task.owner_id,
            title=task.title,
            action=task.action,
            payload=dict(task.payload),
            schedule=task.schedule,
            schedule_kind=task.schedule_kind,
            description=description,
            timezone=task.timezone,
            status=task.status,
            next_run_at=task.next_run_at,
            starts_at=task.starts_at,
            ends_at=task.ends_at,
            max_runs=task.max_runs,
            run_count=task.run_count,
            misfire_policy=task.misfire_policy,
            misfire_grace_seconds=task.misfire_grace_seconds,
            overlap_policy=task.overlap_policy,
            jitter_seconds=task.jitter_seconds,
            max_attempts=task.max_attempts,
            backoff_seconds=task.backoff_seconds,
            timeout_seconds=task.timeout_seconds,
            notify=list(task.notify),
            idempotency_key=task.idempotency_key,
            created_at=task.created_at,
            updated_at=task.updated_at,
            version=task.version,
        )

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class RunView:
    id: int
    task_id: int
    scheduled_for: datetime
    trigger: str
    status: str
    reason: str | None
    attempt: int
    not_before: datetime
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    worker_id: str | None
    output: str | None
    result: dict[str, Any] | None
    error: str | None
    usage: dict[str, Any] | None

    @classmethod
    def of(cls, run: Run) -> RunView:
        return cls(
            id=run.id,
            task_id=run.task_id,
            scheduled_for=run.scheduled_for,
            trigger=run.trigger,
            status=run.status,
            reason=run.reason,
            attempt=run.attempt,
            not_before=run.not_before,
            queued_at=run.queued_at,
            started_at=run.started_at,
            finished_at=run.finished_at,
            worker_id=run.worker_id,
            output=run.output,
            result=run.result,
            error=run.error,
            usage=run.usage,
        )

    @property
    def lateness_seconds(self) -> float | None:
        """How long after its occurrence the run started."""
        if self.started_at is None:
            return None
        return (self.started_at - self.scheduled_for).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self)) | {"lateness_seconds": self.lateness_seconds}


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}


@dataclass(frozen=True)
class UserView:
    """A person as agents and front doors see them."""

    id: str
    name: str
    timezone: str
    locale: str

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(id=user.id, name=user.name, timezone=user.timezone, locale=user.locale)


@dataclass(frozen=True)
class Briefing:
    """What an agent acting on a task is told: whom it acts for, the task, its latest outputs."""

    owner: UserView
    task: TaskView
    recent: list[RunView]
    """The task's latest succeeded runs that said something, newest first."""
