"""TaskService: the only way in. Every front door creates, changes and reads tasks here.

It validates once (schedules, zones, sizes, ownership, limits, idempotency keys)
and raises the typed errors of ``agentcron.errors``; a failed call writes nothing.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from agentcron.actions import ActionRegistry
from agentcron.clock import Clock, ensure_utc
from agentcron.config import Settings
from agentcron.errors import (
    ConflictError,
    InvalidInputError,
    LimitError,
    NotFoundError,
    summarize_problems,
)
from agentcron.schedules import Schedule, get_zone, parse, parse_normalized
from agentcron.schedules._zones import zone_name
from agentcron.store import (
    ACTIVE_RUN_STATUSES,
    Database,
    MisfirePolicy,
    OverlapPolicy,
    Run,
    RunStatus,
    RunTrigger,
    Task,
    TaskStatus,
    User,
)
from agentcron.views import Briefing, RunView, TaskView, UserView

MAX_PAYLOAD_BYTES = 1_000_000
LIVE_STATUSES = (TaskStatus.ACTIVE, TaskStatus.PAUSED)
ChangeSignal = Callable[[], Awaitable[None]]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TaskOptions(_Input):
    """How a task runs, beyond what and when."""

    misfire_policy: MisfirePolicy | None = None
    misfire_grace_seconds: int | None = Field(default=None, ge=0, le=7 * 86_400)
    overlap_policy: OverlapPolicy | None = None
    jitter_seconds: int | None = Field(default=None, ge=0, le=3_600)
    max_attempts: int | None = Field(default=None, ge=1, le=20)
    backoff_seconds: float | None = Field(default=None, ge=0, le=86_400)
    timeout_seconds: float | None = Field(default=None, gt=0, le=86_400)
    notify: list[str] | None = Field(default=None, max_length=20)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    max_runs: int | None = Field(default=None, ge=1)


class NewTask(TaskOptions):
    """What a person asks for."""

    title: str = Field(min_length=1, max_length=200)
    when: str = Field(min_length=1)
    timezone: str | None = None
    action: str = "reminder"
    payload: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)


class TaskChanges(TaskOptions):
    """A partial update; None leaves a field as it is."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    when: str | None = Field(default=None, min_length=1)
    timezone: str | None = None
    payload: dict[str, Any] | None = None
    expected_version: int | None = None


def read_input(model: type[_Input], data: dict[str, Any]) -> Any:
    """Validate raw input, turning pydantic's report into one InvalidInputError."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = summarize_problems(error.errors(), "input")
        raise InvalidInputError(f"Invalid task ({problems}).") from None


class TaskService:
    """Create, change and read tasks and runs, for one owner at a time."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        settings: Settings,
        actions: ActionRegistry,
        on_change: ChangeSignal | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.settings = settings
        self.actions = actions
        self._on_change = on_change

    async def _changed(self) -> None:
        if self._on_change is not None:
            await self._on_change()

    # users

    async def ensure_user(self, owner: str, *, timezone: str, name: str = "") -> User:
        """The owner's record, created on first use with ``timezone``."""
        zone = zone_name(get_zone(timezone))
        async with self.database.sessions() as session:
            if (user := await session.get(User, owner)) is not None:
                return user
            session.add(User(id=owner, name=name, timezone=zone, created_at=self.clock.now()))
            try:
                await session.commit()
            except IntegrityError:  # created meanwhile by another process
                await session.rollback()
        return await self._user(owner)

    async def profile(self, owner: str) -> UserView:
        """Who the owner is: name, zone and locale (what an agent acting for them is told)."""
        return UserView.of(await self._user(owner))

    async def _user(self, owner: str) -> User:
        async with self.database.reads() as session:
            user = await session.get(User, owner)
        if user is None:
            raise NotFoundError(f"No person named '{owner}' is known to agentcron.")
        return user

    # tasks

    async def create(self, owner: str, request: NewTask | dict[str, Any]) -> TaskView:
        """A new task; with an idempotency key already used, the existing task instead."""
        (created,) = await self.create_many(owner, [request])
        return created

    async def create_many(
        self, owner: str, requests: Sequence[NewTask | dict[str, Any]]
    ) -> list[TaskView]:
        """Several tasks in one transaction: all are created, or none (imports, benchmarks)."""
        specs: list[NewTask] = [
            r if isinstance(r, NewTask) else read_input(NewTask, r) for r in requests
        ]
        user = await self._user(owner)
        now = self.clock.now()
        views: list[TaskView | None] = []
        fresh: list[tuple[int, Task, Schedule]] = []
        for index, spec in enumerate(specs):
            if spec.idempotency_key is not None and (
                existing := await self._by_key(owner, spec.idempotency_key)
            ):
                views.append(existing)
                continue
            task, schedule = self._build(owner, spec, user.timezone, now)
            fresh.append((index, task, schedule))
            views.append(None)
        if fresh:
            async with self.database.sessions() as session:
                await self._check_active_limit(session, owner, adding=len(fresh))
                session.add_all([task for _, task, _ in fresh])
                try:
                    await session.commit()
                except IntegrityError:
                    await session.rollback()
                    if len(specs) == 1 and specs[0].idempotency_key is not None:
                        return await self.create_many(owner, specs)  # created meanwhile
                    raise
            await self._changed()
        for index, task, schedule in fresh:
            views[index] = TaskView.of(task, schedule.describe())
        return [view for view in views if view is not None]

    def _build(
        self, owner: str, spec: NewTask, user_zone: str, now: datetime
    ) -> tuple[Task, Schedule]:
        schedule = parse(spec.when, spec.timezone or user_zone, now)
        action = self.actions.get(spec.action)
        options = spec.model_dump(exclude_unset=True, include=set(TaskOptions.model_fields))
        task = Task(
            owner_id=owner,
            title=spec.title,
            action=spec.action,
            payload=self._checked_payload(spec.action, spec.payload),
            schedule=schedule.normalized,
            schedule_kind=schedule.kind.value,
            timezone=schedule.timezone,
            status=TaskStatus.ACTIVE,
            run_count=0,
            misfire_policy=MisfirePolicy.RUN_ONCE,
            misfire_grace_seconds=60,
            overlap_policy=action.default_overlap,
            jitter_seconds=0,
            max_attempts=3,
            backoff_seconds=10.0,
            backoff_max_seconds=600.0,
            timeout_seconds=action.default_timeout_seconds,
            notify=[],
            notify_policy="always",
            idempotency_key=spec.idempotency_key,
            created_at=now,
            updated_at=now,
            version=1,
        )
        for key, value in options.items():
            setattr(task, key, value)
        self._check_bounds(task)
        task.next_run_at = first_occurrence(schedule, task, now)
        self._check_agent_interval(task, schedule, now)
        return task, schedule

    async def get(self, owner: str, task_id: int) -> TaskView:
        async with self.database.reads() as session:
            task = await self._owned_task(session, owner, task_id)
        return self._view(task)

    async def list_tasks(
        self,
        owner: str,
        *,
        status: Sequence[str] | None = None,
        text: str | None = None,
        due_before: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[TaskView]:
        """The owner's tasks, soonest first; filters combine."""
        query = select(Task).where(Task.owner_id == owner)
        if status:
            unknown = set(status) - {s.value for s in TaskStatus}
            if unknown:
                raise InvalidInputError(
                    f"Unknown status {', '.join(sorted(unknown))}; use "
                    f"{', '.join(s.value for s in TaskStatus)}."
                )
            query = query.where(Task.status.in_(list(status)))
        if text:
            query = query.where(func.lower(Task.title).contains(text.lower()))
        if due_before is not None:
            query = query.where(Task.next_run_at <= ensure_utc(due_before))
        query = query.order_by(Task.next_run_at.is_(None), Task.next_run_at, Task.id)
        async with self.database.reads() as session:
            rows = (await session.scalars(query.limit(limit).offset(offset))).all()
        return [self._view(task) for task in rows]

    async def update(
        self, owner: str, task_id: int, request: TaskChanges | dict[str, Any]
    ) -> TaskView:
        """Change a task; a new schedule or zone recomputes the next run from now."""
        changes = request if isinstance(request, TaskChanges) else read_input(TaskChanges, request)
        now = self.clock.now()
        async with self.database.sessions() as session, session.begin():
            task = await self._owned_task(session, owner, task_id, for_update=True)
            if changes.expected_version is not None and changes.expected_version != task.version:
                raise ConflictError(
                    f"Task {task_id} changed since you read it (version {task.version}, "
                    f"you had {changes.expected_version}); read it again and retry."
                )
            if task.status in (TaskStatus.CANCELLED, TaskStatus.COMPLETED):
                raise ConflictError(f"Task {task_id} is {task.status}; it can no longer change.")
            fields = changes.model_dump(exclude_unset=True, exclude={"expected_version"})
            if "payload" in fields:
                task.payload = self._checked_payload(task.action, fields.pop("payload"))
            when = fields.pop("when", None)
            timezone = fields.pop("timezone", None)
            for key, value in fields.items():
                setattr(task, key, value)
            self._check_bounds(task)
            if when is not None or timezone is not None:
                if when is not None:
                    schedule = parse(when, timezone or task.timezone, now)
                else:
                    current = parse_normalized(task.schedule, task.timezone)
                    schedule = current.with_timezone(timezone or task.timezone)
                task.schedule = schedule.normalized
                task.schedule_kind = schedule.kind.value
                task.timezone = schedule.timezone
                self._check_agent_interval(task, schedule, now)
                task.next_run_at = first_occurrence(schedule, task, now)
            task.updated_at = now
            task.version += 1
        await self._changed()
        return self._view(task)

    async def pause(self, owner: str, task_id: int) -> TaskView:
        """Stop firing; the next run is kept so resume can see what was missed."""
        return await self._transition(owner, task_id, {TaskStatus.ACTIVE}, TaskStatus.PAUSED)

    async def resume(self, owner: str, task_id: int) -> TaskView:
        """Fire again; occurrences missed while paused follow the task's misfire policy."""
        return await self._transition(owner, task_id, {TaskStatus.PAUSED}, TaskStatus.ACTIVE)

    async def cancel(self, owner: str, task_id: int) -> TaskView:
        """Stop for good; waiting runs are cancelled and a running one is told to stop."""
        return await self._transition(owner, task_id, set(LIVE_STATUSES), TaskStatus.CANCELLED)

    async def _transition(
        self, owner: str, task_id: int, allowed: set[TaskStatus], target: TaskStatus
    ) -> TaskView:
        now = self.clock.now()
        async with self.database.sessions() as session, session.begin():
            task = await self._owned_task(session, owner, task_id, for_update=True)
            if task.status == target:
                return self._view(task)
            if task.status not in allowed:
                raise ConflictError(f"Task {task_id} is {task.status}; it cannot be {target}.")
            task.status = target
            task.updated_at = now
            task.version += 1
            if target == TaskStatus.CANCELLED:
                task.next_run_at = None
                await session.execute(
                    update(Run)
                    .where(Run.task_id == task.id, Run.status.in_(ACTIVE_RUN_STATUSES))
                    .values(status=RunStatus.CANCELLED, finished_at=now, reason="task cancelled")
                )
        await self._changed()
        return self._view(task)

    async def trigger(self, owner: str, task_id: int) -> RunView:
        """An extra run now, leaving the schedule as it is."""
        now = self.clock.now()
        async with self.database.sessions() as session, session.begin():
            task = await self._owned_task(session, owner, task_id)
            if task.status == TaskStatus.CANCELLED:
                raise ConflictError(f"Task {task_id} is cancelled; it cannot run.")
            run = Run(
                task_id=task.id,
                scheduled_for=now,
                trigger=RunTrigger.MANUAL,
                status=RunStatus.QUEUED,
                attempt=0,
                not_before=now,
                queued_at=now,
            )
            session.add(run)
        await self._changed()
        return RunView.of(run)

    # runs

    async def list_runs(self, owner: str, task_id: int, *, limit: int = 50) -> list[RunView]:
        """The task's runs, newest occurrence first."""
        async with self.database.reads() as session:
            await self._owned_task(session, owner, task_id)
            rows = (
                await session.scalars(
                    select(Run)
                    .where(Run.task_id == task_id)
                    .order_by(Run.scheduled_for.desc(), Run.id.desc())
                    .limit(limit)
                )
            ).all()
        return [RunView.of(run) for run in rows]

    async def briefing(
        self, owner: str, task_id: int, *, recent: int, before_run: int | None = None
    ) -> Briefing:
        """The owner, the task and its ``recent`` latest outputs (other than ``before_run``'s).

        One read for what an agent run needs: a burst of runs starting together costs a
        third of three separate reads.
        """
        async with self.database.reads() as session:
            row = (
                await session.execute(
                    select(Task, User)
                    .join(User, User.id == Task.owner_id)
                    .where(Task.id == task_id, Task.owner_id == owner)
                )
            ).first()
            if row is None:
                raise NotFoundError(f"There is no task {task_id}; 'agentcron ls' lists yours.")
            runs: Sequence[Run] = []
            if recent > 0:
                query = (
                    select(Run)
                    .where(
                        Run.task_id == task_id,
                        Run.status == RunStatus.SUCCEEDED,
                        Run.output.is_not(None),
                    )
                    .order_by(Run.finished_at.desc(), Run.id.desc())
                    .limit(recent)
                )
                if before_run is not None:
                    query = query.where(Run.id != before_run)
                runs = (await session.scalars(query)).all()
        task, user = row
        return Briefing(UserView.of(user), self._view(task), [RunView.of(run) for run in runs])

    async def get_run(self, owner: str, run_id: int) -> RunView:
        async with self.database.reads() as session:
            run = await self._owned_run(session, owner, run_id)
        return RunView.of(run)

    async def retry(self, owner: str, run_id: int) -> RunView:
        """Queue a failed run again, as a new attempt of the same occurrence."""
        now = self.clock.now()
        async with self.database.sessions() as session, session.begin():
            run = await self._owned_run(session, owner, run_id)
            if run.status != RunStatus.FAILED:
                raise ConflictError(f"Run {run_id} is {run.status}; only failed runs are retried.")
            task = await session.get(Task, run.task_id)
            if task is None or task.status == TaskStatus.CANCELLED:
                raise ConflictError(f"The task of run {run_id} is cancelled.")
            run.status = RunStatus.QUEUED
            run.not_before = now
            run.error = None
            run.finished_at = None
            run.reason = f"retried by hand at {now:%Y-%m-%d %H:%M:%S}Z"
        await self._changed()
        return RunView.of(run)

    # checks and helpers

    def _checked_payload(self, action_name: str, payload: dict[str, Any]) -> dict[str, Any]:
        limit = self.settings.max_instructions_chars
        for key in ("message", "instructions"):
            text = payload.get(key)
            if isinstance(text, str) and len(text) > limit:
                raise InvalidInputError(
                    f"The {key} is {len(text):,} characters long; at most {limit:,} are allowed."
                )
        size = len(json.dumps(payload, ensure_ascii=False).encode())
        if size > MAX_PAYLOAD_BYTES:
            raise InvalidInputError(
                f"The payload is {size:,} bytes; at most {MAX_PAYLOAD_BYTES:,} are allowed."
            )
        return self.actions.get(action_name).validate(payload)

    def _check_bounds(self, task: Task) -> None:
        for name in ("starts_at", "ends_at"):
            value = getattr(task, name)
            if value is not None and value.tzinfo is None:
                raise InvalidInputError(f"{name} needs a time zone offset, e.g. ...+01:00.")
        if task.starts_at and task.ends_at and task.ends_at <= task.starts_at:
            raise InvalidInputError("ends_at must be after starts_at.")

    def _check_agent_interval(self, task: Task, schedule: Schedule, now: datetime) -> None:
        minimum = self.settings.min_agent_interval_seconds
        if task.action != "agent" or minimum <= 0:
            return
        upcoming = schedule.preview(4, now)
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(upcoming)]
        if gaps and min(gaps) < minimum:
            raise LimitError(
                f"Agent tasks may run at most every {minimum // 60} minutes; "
                f"'{schedule.describe()}' runs {min(gaps) / 60:g} minutes apart."
            )

    async def _check_active_limit(
        self, session: AsyncSession, owner: str, *, adding: int = 1
    ) -> None:
        count = await session.scalar(
            select(func.count())
            .select_from(Task)
            .where(Task.owner_id == owner, Task.status.in_(LIVE_STATUSES))
        )
        limit = self.settings.max_active_tasks
        if (count or 0) + adding > limit:
            raise LimitError(
                f"You have {count} active or paused tasks and the limit is {limit}; "
                "cancel some first."
            )

    async def _by_key(self, owner: str, key: str) -> TaskView | None:
        async with self.database.reads() as session:
            task = await session.scalar(
                select(Task).where(Task.owner_id == owner, Task.idempotency_key == key)
            )
        return self._view(task) if task is not None else None

    async def _owned_task(
        self, session: AsyncSession, owner: str, task_id: int, *, for_update: bool = False
    ) -> Task:
        query = select(Task).where(Task.id == task_id, Task.owner_id == owner)
        if for_update and not self.database.is_sqlite:
            query = query.with_for_update()
        task = await session.scalar(query)
        if task is None:
            raise NotFoundError(f"There is no task {task_id}; 'agentcron ls' lists yours.")
        return task

    async def _owned_run(self, session: AsyncSession, owner: str, run_id: int) -> Run:
        run = await session.scalar(
            select(Run).join(Task).where(Run.id == run_id, Task.owner_id == owner)
        )
        if run is None:
            raise NotFoundError(f"There is no run {run_id}; 'agentcron runs TASK' lists them.")
        return run

    def _view(self, task: Task) -> TaskView:
        return TaskView.of(task, describe_stored(task))


def describe_stored(task: Task) -> str:
    """The description of a stored task's schedule."""
    return parse_normalized(task.schedule, task.timezone).describe()


def first_occurrence(schedule: Schedule, task: Task, now: datetime) -> datetime:
    """The first occurrence after ``now`` within the task's bounds."""
    after = now
    if task.starts_at is not None and task.starts_at > now:
        after = task.starts_at - timedelta(microseconds=1)
    occurrence = schedule.next_after(after)
    if occurrence is None or (task.ends_at is not None and occurrence > task.ends_at):
        raise InvalidInputError("The schedule has no occurrence within the task's bounds.")
    if task.max_runs is not None and task.run_count >= task.max_runs:
        raise InvalidInputError("The task has already run as often as max_runs allows.")
    return occurrence


__all__ = [
    "NewTask",
    "TaskChanges",
    "TaskOptions",
    "TaskService",
    "first_occurrence",
]
