"""TaskService: the only way in. Every front door creates, changes and reads tasks here.

It holds the rules (schedules, zones, sizes, ownership, limits, idempotency keys) and
raises the typed errors of ``agentcron.errors``; the store holds the SQL. A failed call
writes nothing.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from agentcron import placeholders
from agentcron.abc import Clock, Repositories, Store, TaskFields
from agentcron.actions import ActionRegistry
from agentcron.budgets import spend_of
from agentcron.chains import MAX_DEPTH, chain_of, check_followed, live_followers_below
from agentcron.config import Settings
from agentcron.domain import (
    ENDED_TASK_STATUSES,
    LIVE_TASK_STATUSES,
    TASK_DEFAULTS,
    MisfirePolicy,
    NotifyPolicy,
    OverlapPolicy,
    RunStatus,
    RunTrigger,
    TaskStatus,
)
from agentcron.errors import (
    BatchError,
    ConflictError,
    DuplicateError,
    InvalidInputError,
    LimitError,
    NotFoundError,
    StaleVersionError,
    UserError,
    summarize_problems,
)
from agentcron.people import PeopleService
from agentcron.plurals import plural
from agentcron.processes import gone
from agentcron.schedule_memo import ScheduleMemo
from agentcron.schedules import AfterTask, Schedule, get_zone, parse, parse_normalized
from agentcron.schedules._zones import zone_name
from agentcron.views import (
    AttemptView,
    Briefing,
    EventView,
    QueueDepths,
    RunView,
    StoreMetrics,
    TaskView,
    UserView,
    WorkerView,
)

MAX_PAYLOAD_BYTES = 1_000_000
_MAX_EVENTS = 500  # a look at the events reads at most this many
_FEED_PAGE = 500  # a calendar feed reads its tasks this many at a time
ChangeSignal = Callable[[], Awaitable[None]]


_LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"


def _one_line(title: str) -> str:
    """Titles are shown on one line (tables, notifications, logs): a line break or a control
    character would break them, or hide part of what the title says."""
    for position, char in enumerate(title, start=1):
        if char in _LINE_BREAKS:
            raise ValueError(f"must be one line, but has a line break at character {position}")
        if unicodedata.category(char) == "Cc":
            raise ValueError(
                f"must be plain text, but has the control character U+{ord(char):04X} at "
                f"character {position}"
            )
    return title


def _named_zone(zone: str) -> str:
    """An empty zone is a mistake (an empty --tz), not a request for the person's own."""
    if not zone:
        raise ValueError("is empty; give an IANA zone such as Europe/Paris, or leave it out")
    return zone


Title = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_one_line)]
Zone = Annotated[str, AfterValidator(_named_zone)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TaskOptions(_Input):
    """How a task runs, beyond what and when (unset: ``domain.TASK_DEFAULTS``)."""

    misfire_policy: MisfirePolicy | None = None
    misfire_grace_seconds: int | None = Field(default=None, ge=0, le=7 * 86_400)
    overlap_policy: OverlapPolicy | None = None
    jitter_seconds: int | None = Field(default=None, ge=0, le=3_600)
    max_attempts: int | None = Field(default=None, ge=1, le=20)
    backoff_seconds: float | None = Field(default=None, ge=0, le=86_400)
    timeout_seconds: float | None = Field(default=None, gt=0, le=86_400)
    notify: list[str] | None = Field(default=None, max_length=20)
    """Channels the task's runs tell, by name; empty: the owner's default channels."""
    notify_policy: NotifyPolicy | None = None
    urgent: bool | None = None
    """Told even in the owner's quiet hours."""
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    max_runs: int | None = Field(default=None, ge=1)

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _aware_utc(cls, value: datetime | None) -> datetime | None:
        """Bounds are instants: an offset is required, and they are kept in UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("needs a time zone offset, e.g. 2026-12-24T18:00:00+01:00")
        return value.astimezone(UTC)


class NewTask(TaskOptions):
    """What a person asks for."""

    title: Title
    when: str = Field(min_length=1)
    timezone: Zone | None = None
    action: str = "reminder"
    payload: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)


class TaskChanges(TaskOptions):
    """A partial update; None leaves a field as it is."""

    title: Title | None = None
    when: str | None = Field(default=None, min_length=1)
    timezone: Zone | None = None
    action: str | None = Field(default=None, min_length=1)
    """Another action: the payload (the one given, else the task's) is checked against it,
    and options still at the old action's defaults take the new one's."""
    payload: dict[str, Any] | None = None
    expected_version: int | None = None


REQUEST_FIELDS = ("title", "schedule", "timezone", "action", "payload", *TaskOptions.model_fields)
"""What makes two task requests the same, compared as stored (normalized): what the person
gave, with the defaults of what they did not."""


def _read_new(request: NewTask | dict[str, Any]) -> NewTask:
    return request if isinstance(request, NewTask) else read_input(NewTask, request)


def read_input(model: type[_Input], data: dict[str, Any]) -> Any:
    """Validate raw input, turning pydantic's report into one InvalidInputError."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = summarize_problems(error.errors(), "input")
        raise InvalidInputError(f"Invalid task ({problems}).") from None


@dataclass(frozen=True)
class WaitingRun:
    """A run past its start that has not begun, with its task's title and how long it has
    waited so far."""

    run: RunView
    title: str
    waited: timedelta

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run.id,
            "task_id": self.run.task_id,
            "title": self.title,
            "status": self.run.status,
            "scheduled_for": self.run.scheduled_for.isoformat(),
            "due_at": self.run.not_before.isoformat(),
            "waiting_seconds": round(self.waited.total_seconds(), 3),
        }


@dataclass(frozen=True)
class Overview:
    """The owner's tasks by status, their runs by status (outstanding, or since ``since``),
    the task due next, the run waiting longest, and the processes serving the store now
    (``stale``: those whose heartbeat is recent but whose process is gone); in the
    distributed shape, the broker's queue depths (None: never counted)."""

    tasks: dict[str, int]
    runs: dict[str, int]
    next_task: TaskView | None
    since: datetime
    workers: list[WorkerView]
    waiting: WaitingRun | None = None
    stale: list[WorkerView] = field(default_factory=list)
    queues: QueueDepths | None = None
    distributed: bool = False
    """Whether a broker is configured: schedulers and workers serve the store, not serve."""

    def to_dict(self) -> dict[str, Any]:
        task = self.next_task
        due = task.next_run_at if task is not None else None
        return {
            "tasks": self.tasks,
            "runs": self.runs,
            "runs_since": self.since.isoformat(),
            "next_run_at": due.isoformat() if due is not None else None,
            "next_task": (
                {"id": task.id, "title": task.title, "next_run_at": due.isoformat()}
                if task is not None and due is not None
                else None
            ),
            "oldest_waiting": self.waiting.to_dict() if self.waiting is not None else None,
            "serving": [worker.to_dict() for worker in self.workers],
            "stale": [worker.to_dict() for worker in self.stale],
            "shape": "distributed" if self.distributed else "embedded",
            "queues": self.queues.to_dict() if self.queues is not None else None,
        }


class TaskService:
    """Create, change and read tasks and runs, for one owner at a time."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: Settings,
        actions: ActionRegistry,
        on_change: ChangeSignal | None = None,
    ) -> None:
        from agentcron.notify.service import NotificationService  # noqa: PLC0415 - not for help

        self.store = store
        self.clock = clock
        self.settings = settings
        self.actions = actions
        self._on_change = on_change
        self.notifications = NotificationService(store, clock, settings, on_change=on_change)
        """Channels, profiles and deliveries, under the same rules."""
        self.people = PeopleService(store, clock)
        """People and their API keys, for the operator."""

    def now(self) -> datetime:
        return self.clock.now()

    async def _changed(self) -> None:
        if self._on_change is not None:
            await self._on_change()

    # users

    async def ensure_user(self, owner: str, *, timezone: str, name: str = "") -> UserView:
        """The owner's record, created on first use with ``timezone``."""
        async with self.store.reading() as store:
            if (user := await store.users.get(owner)) is not None:
                return user
        zone = zone_name(get_zone(timezone))
        person = UserView(id=owner, name=name, timezone=zone, locale="en", created_at=self.now())
        async with self.store.transaction() as store:
            await store.users.add_if_absent(person)  # or created meanwhile by another process
        return await self.profile(owner)

    async def remove_user(self, user_id: str) -> tuple[int, int]:
        """Remove a person: their keys revoked and no new task theirs (one transaction), then
        each live task cancelled as ``cancel`` does; (tasks cancelled, keys revoked). Their
        history stays, per the retention. Run again after a failure, it finishes the job."""
        revoked = await self.people.forget_user(user_id)
        cancelled = 0
        live = [str(status) for status in LIVE_TASK_STATUSES]
        while tasks := await self.list_tasks(user_id, status=live, limit=500):
            for task in tasks:
                await self.cancel(user_id, task.id)
            cancelled += len(tasks)
        return cancelled, revoked

    async def profile(self, owner: str) -> UserView:
        """Who the owner is: name, zone and locale (what an agent acting for them is told)."""
        async with self.store.reading() as store:
            return await _user(store, owner)

    # tasks

    async def create(self, owner: str, request: NewTask | dict[str, Any]) -> TaskView:
        """A new task; with an idempotency key already used for the same request, that task
        (for a different request, a ConflictError)."""
        task, _ = await self.create_or_get(owner, request)
        return task

    async def create_or_get(
        self, owner: str, request: NewTask | dict[str, Any]
    ) -> tuple[TaskView, bool]:
        """``create``, and whether the task is new (False: its idempotency key's task)."""
        ((task, created),) = await self._create_retried(owner, [request], batch=False)
        return task, created

    async def create_many(
        self, owner: str, requests: Sequence[NewTask | dict[str, Any]]
    ) -> list[TaskView]:
        """Several tasks in one transaction: all are created, or none (imports, benchmarks)."""
        return [task for task, _ in await self.create_many_or_get(owner, requests)]

    async def create_many_or_get(
        self,
        owner: str,
        requests: Sequence[NewTask | dict[str, Any]],
        *,
        on_checked: Callable[[int], None] | None = None,
    ) -> list[tuple[TaskView, bool]]:
        """``create_many``, and whether each task is new (False: its idempotency key's task,
        made earlier or by a request before it in the batch).

        Every request is checked before anything is written; when some are refused, a
        BatchError names each of them and nothing is written. ``on_checked`` is told how
        many requests have been checked so far, as checking goes (a progress bar)."""
        return await self._create_retried(owner, requests, batch=True, on_checked=on_checked)

    async def create_chain(
        self,
        owner: str,
        steps: Sequence[NewTask | dict[str, Any]],
        *,
        after_when: str = "succeeded",
    ) -> list[TaskView]:
        """A chain in one transaction: the first step on its own schedule, each later one
        'after task <the one before> <after_when>' (their own ``when``, if any, is refused).
        Every step is checked before any is written; a refusal names the step."""
        if len(steps) < 2:
            raise InvalidInputError("A chain has at least two steps (--step, twice or more).")
        if len(steps) > MAX_DEPTH:
            raise InvalidInputError(f"A chain may have at most {MAX_DEPTH} steps.")
        specs = []
        for number, step in enumerate(steps, start=1):
            raw = dict(step) if isinstance(step, dict) else step.model_dump(exclude_unset=True)
            if number > 1:
                if raw.get("when"):
                    raise InvalidInputError(
                        f"Step {number} runs after step {number - 1}: it takes no 'when' of "
                        "its own."
                    )
                raw["when"] = f"after task 1 {after_when}"  # its real id is known once written
            if raw.get("idempotency_key"):
                raise InvalidInputError(f"Step {number}: a chain's steps take no idempotency key.")
            try:
                specs.append(read_input(NewTask, raw))
            except UserError as error:
                raise type(error)(f"Step {number}: {error.message}") from None
        for number, spec in enumerate(specs, start=1):
            try:
                await self.notifications.check_names(owner, spec.notify or [])
                await self._confirm([(0, spec.action, spec.payload)], _Refusals(1, batch=False))
            except UserError as error:
                raise type(error)(f"Step {number}: {error.message}") from None
        now = self.now()
        memo = ScheduleMemo()
        made: list[TaskView] = []
        async with self.store.transaction() as store:
            found = await store.users.get_counting_live(owner)
            if found is None or found[0].removed_at is not None:
                raise _no_person(owner)
            user, live = found
            self._check_live_limit(live, adding=len(specs))
            for number, given in enumerate(specs, start=1):
                after = {"when": f"after task {made[-1].id} {after_when}"} if made else {}
                spec = given.model_copy(update=after)
                try:
                    fields = self._build(owner, spec, user.timezone, now, memo)
                except UserError as error:
                    raise type(error)(f"Step {number}: {error.message}") from None
                made += await store.tasks.add_many([fields])
            await store.announce_change()
        await self._changed()
        return made

    async def check_many(
        self,
        owner: str,
        requests: Sequence[NewTask | dict[str, Any]],
        *,
        on_checked: Callable[[int], None] | None = None,
    ) -> None:
        """Check requests as ``create_many_or_get`` does, writing nothing: a BatchError names
        every one refused (when some are known to be refused already, say, all the others
        are still worth naming)."""
        await self._create_retried(owner, requests, batch=True, on_checked=on_checked, write=False)

    async def _create_retried(
        self,
        owner: str,
        requests: Sequence[NewTask | dict[str, Any]],
        *,
        batch: bool,
        on_checked: Callable[[int], None] | None = None,
        write: bool = True,
    ) -> list[tuple[TaskView, bool]]:
        refusals = _Refusals(len(requests), batch)
        specs: dict[int, NewTask] = {}
        for index, request in enumerate(requests):
            with refusals.checking(index):
                specs[index] = _read_new(request)
        await self._confirm(
            [(index, spec.action, spec.payload) for index, spec in specs.items()], refusals
        )
        try:
            return await self._create(owner, specs, refusals, on_checked, write=write)
        except DuplicateError:
            if any(spec.idempotency_key is not None for spec in specs.values()):
                refusals = _Refusals(len(requests), batch)  # created meanwhile: those
                return await self._create(owner, specs, refusals, on_checked, write=write)
            raise

    async def _create(
        self,
        owner: str,
        specs: dict[int, NewTask],
        refusals: _Refusals,
        on_checked: Callable[[int], None] | None,
        *,
        write: bool,
    ) -> list[tuple[TaskView, bool]]:
        """One transaction: the owner, existing keys, every request's checks, the limit, then
        the new rows (unless only checking)."""
        from agentcron.notify.service import check_known  # noqa: PLC0415 - as in __init__

        if any(spec.notify for spec in specs.values()):
            channels = await self.notifications.channel_names(owner)
            for index, spec in specs.items():
                with refusals.checking(index):
                    check_known(spec.notify or [], channels)
        now = self.now()
        memo = ScheduleMemo()
        views: dict[int, TaskView] = {}
        fresh: dict[int, TaskFields] = {}
        repeated: dict[int, int] = {}  # a request's index -> the earlier one with its key
        async with self.store.transaction() as store:
            found = await store.users.get_counting_live(owner)
            if found is None or found[0].removed_at is not None:
                raise _no_person(owner)
            user, live = found
            keys = [spec.idempotency_key for spec in specs.values() if spec.idempotency_key]
            existing = await store.tasks.by_idempotency_keys(owner, keys) if keys else {}
            first_with: dict[str, int] = {}
            for checked, (index, spec) in enumerate(specs.items(), start=1):
                key = spec.idempotency_key
                with refusals.checking(index):
                    if key is not None and key in existing:
                        self._check_same_request(owner, spec, user.timezone, existing[key], memo)
                        views[index] = existing[key]
                    elif key is not None and key in first_with:
                        again = self._build(owner, spec, user.timezone, now, memo)
                        _check_same_in_batch(key, again, fresh[first_with[key]], first_with[key])
                        repeated[index] = first_with[key]
                    else:
                        fresh[index] = self._build(owner, spec, user.timezone, now, memo)
                        if key is not None:
                            first_with[key] = index
                if on_checked is not None:
                    on_checked(checked)
            for index, built in fresh.items():
                if built["follows_task_id"] is not None:
                    with refusals.checking(index):
                        await check_followed(store, owner, built["follows_task_id"])
            refusals.raise_any()
            if fresh:
                self._check_live_limit(live, adding=len(fresh))
            if not write:
                return []
            if fresh:
                created = await store.tasks.add_many(list(fresh.values()))
                views |= dict(zip(fresh, created, strict=True))
                await store.announce_change()
        if fresh:
            await self._changed()
        views |= {index: views[first] for index, first in repeated.items()}
        return [(views[index], index in fresh) for index in range(refusals.total)]

    def _check_same_request(
        self, owner: str, spec: NewTask, user_zone: str, existing: TaskView, memo: ScheduleMemo
    ) -> None:
        """A reused idempotency key must come with the request that made its task: the
        request is built again as it was then (a 'when' such as 'in 1 hour' read at the
        task's creation) and its fields compared with the task's."""
        again = self._build(owner, spec, user_zone, existing.created_at, memo)
        differ = [name for name in REQUEST_FIELDS if again[name] != getattr(existing, name)]
        if differ:
            raise ConflictError(
                f"The idempotency key '{spec.idempotency_key}' was used for task {existing.id} "
                f"with a different request ({_differ(differ)}); repeat that request "
                "to get the task, or use a new key."
            )

    def _build(
        self, owner: str, spec: NewTask, user_zone: str, now: datetime, memo: ScheduleMemo
    ) -> TaskFields:
        schedule = memo.parse(spec.when, spec.timezone or user_zone, now)
        follows = schedule.task_id if isinstance(schedule, AfterTask) else None
        action = self.actions.get(spec.action)
        options = spec.model_dump(exclude_unset=True, include=set(TaskOptions.model_fields))
        task: TaskFields = {
            **TASK_DEFAULTS.fields(),
            **action.defaults,
            "owner_id": owner,
            "title": spec.title,
            "action": spec.action,
            "payload": self._checked_payload(spec.action, spec.payload, follows=follows),
            "schedule": schedule.normalized,
            "schedule_kind": schedule.kind.value,
            "timezone": schedule.timezone,
            "status": TaskStatus.ACTIVE,
            "run_count": 0,
            "notify": [],
            "starts_at": None,
            "ends_at": None,
            "max_runs": None,
            "idempotency_key": spec.idempotency_key,
            "created_at": now,
            "updated_at": now,
            "version": 1,
            "follows_task_id": follows,
            **options,
        }
        _check_bounds(task)
        task["next_run_at"] = None if follows else first_occurrence(schedule, task, now, memo)
        self._check_agent_interval(task["action"], schedule, now, memo)
        return task

    async def get(self, owner: str, task_id: int) -> TaskView:
        """The task, with its last run."""
        async with self.store.reading() as store:
            task = await _task(store, owner, task_id)
            last = await store.runs.last_for_tasks([task.id])
        return replace(task, last_run=last.get(task.id))

    async def chain(self, owner: str, task_id: int) -> list[tuple[int, TaskView]]:
        """The chain the task is part of, head first, each task with its depth."""
        async with self.store.reading() as store:
            return await chain_of(store, owner, await _task(store, owner, task_id))

    async def find_by_idempotency_key(self, owner: str, key: str) -> TaskView | None:
        """The owner's task made with this idempotency key, if one was."""
        async with self.store.reading() as store:
            return (await store.tasks.by_idempotency_keys(owner, [key])).get(key)

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
        _check_statuses(status, TaskStatus, "status")
        async with self.store.reading() as store:
            tasks = await store.tasks.search(
                owner, statuses=status, text=text, due_before=due_before, limit=limit,
                offset=offset,
            )  # fmt: skip
            last = await store.runs.last_for_tasks([task.id for task in tasks])
        return [
            task if task.id not in last else replace(task, last_run=last[task.id]) for task in tasks
        ]

    async def calendar_feed(self, owner: str) -> bytes:
        """The owner's upcoming runs over the next 30 days, as an iCalendar feed."""
        from agentcron.calendar_feed import WINDOW, render_feed  # noqa: PLC0415 - its door only

        now = self.now()
        found: list[TaskView] = []
        async with self.store.reading() as store:
            person = await _user(store, owner)
            while True:
                page = await store.tasks.search(
                    owner, statuses=[TaskStatus.ACTIVE], text=None, due_before=now + WINDOW,
                    limit=_FEED_PAGE, offset=len(found),
                )  # fmt: skip
                found += page
                if len(page) < _FEED_PAGE:
                    break
        return render_feed(found, now, name=person.name or person.id)

    async def update(
        self, owner: str, task_id: int, request: TaskChanges | dict[str, Any]
    ) -> TaskView:
        """Change a task; a new schedule or zone recomputes the next run from now."""
        changes = request if isinstance(request, TaskChanges) else read_input(TaskChanges, request)
        await self.notifications.check_names(owner, changes.notify or [])
        if changes.payload is not None or changes.action is not None:
            await self._confirm_change(owner, task_id, changes)
        now = self.now()
        async with self.store.transaction() as store:
            task = await _task(store, owner, task_id, for_update=True)
            if changes.expected_version is not None and changes.expected_version != task.version:
                raise StaleVersionError(
                    f"Task {task_id} changed since you read it (version {task.version}, "
                    f"you had {changes.expected_version}); read it again and retry."
                )
            if task.status in ENDED_TASK_STATUSES:
                raise ConflictError(_ended(task, "changed"))
            fields: TaskFields = changes.model_dump(
                exclude_unset=True, exclude={"expected_version"}
            )
            action = fields.pop("action", task.action)
            if action != task.action:
                fields |= self._action_defaults(task, action, given=set(fields))
                fields["action"] = action
            when = fields.pop("when", None)
            timezone = fields.pop("timezone", None)
            merged = {**task.__dict__, **fields}
            _check_bounds(merged)
            bounds = {"starts_at", "ends_at", "max_runs"} & set(fields)
            follows = task.follows_task_id
            rescheduled = when is not None or timezone is not None or bool(bounds)
            if rescheduled:
                if when is not None:
                    schedule = parse(when, timezone or task.timezone, now)
                else:
                    current = parse_normalized(task.schedule, task.timezone)
                    schedule = current.with_timezone(timezone or task.timezone)
                follows = schedule.task_id if isinstance(schedule, AfterTask) else None
                if follows is not None:
                    await check_followed(store, owner, follows, follower_id=task.id)
                fields |= {
                    "schedule": schedule.normalized,
                    "schedule_kind": schedule.kind.value,
                    "timezone": schedule.timezone,
                    "follows_task_id": follows,
                }
                self._check_agent_interval(action, schedule, now)
                fields["next_run_at"] = (
                    None if follows is not None else first_occurrence(schedule, merged, now)
                )
                # runs written ahead on the old schedule (or bounds) must not fire
                withdrawn = await store.runs.withdraw_planned(task.id)
                fields["run_count"] = max(0, task.run_count - len(withdrawn))
            if "payload" in fields or action != task.action or follows != task.follows_task_id:
                fields["payload"] = self._checked_payload(
                    action, fields.get("payload", task.payload), follows=follows
                )
            if not rescheduled and action != task.action:
                schedule = parse_normalized(task.schedule, task.timezone)
                self._check_agent_interval(action, schedule, now)
            fields |= {"updated_at": now, "version": task.version + 1}
            await store.tasks.update(task.id, fields)
            await store.announce_change()
        await self._changed()
        return replace(task, **fields)

    def _action_defaults(self, task: TaskView, action: str, *, given: set[str]) -> TaskFields:
        """A task moving to another action takes that action's defaults for every option
        still at the old action's default and not given with the change."""
        old, new = self.actions.get(task.action).defaults, self.actions.get(action).defaults
        base = TASK_DEFAULTS.fields()
        moved: TaskFields = {}
        for name in (set(old) | set(new)) - given:
            before, after = old.get(name, base[name]), new.get(name, base[name])
            if getattr(task, name) == before and before != after:
                moved[name] = after
        return moved

    async def delete(self, owner: str, task_id: int) -> int:
        """Remove an ended task (cancelled, completed or failed) and its history: its runs,
        their attempts and deliveries; how many runs went with it. A live task is refused:
        it must be cancelled first, so that nothing is running while its rows go."""
        async with self.store.transaction() as store:
            task = await _task(store, owner, task_id, for_update=True)
            if task.status in LIVE_TASK_STATUSES:
                raise ConflictError(
                    f"Task {task_id} is {task.status}; cancel it first ('agentcron cancel "
                    f"{task_id}'), then delete it."
                )
            return await store.tasks.delete(task.id)

    async def pause(self, owner: str, task_id: int) -> TaskView:
        """Stop firing; runs written ahead are withdrawn and their occurrences kept as the
        next run, so that resume sees what was missed."""
        return await self._transition(owner, task_id, {TaskStatus.ACTIVE}, TaskStatus.PAUSED)

    async def resume(self, owner: str, task_id: int) -> TaskView:
        """Fire again; occurrences missed while paused follow the task's misfire policy."""
        return await self._transition(owner, task_id, {TaskStatus.PAUSED}, TaskStatus.ACTIVE)

    async def cancel(self, owner: str, task_id: int) -> TaskView:
        """Stop for good: waiting runs are cancelled, and a running one is stopped by its
        worker; the tasks that run after it (directly or through others) are cancelled with
        it, since nothing would start them again. A task that already ended is returned as
        it is, with its last run, so the person can be told it had already fired."""
        return await self._transition(owner, task_id, set(LIVE_TASK_STATUSES), TaskStatus.CANCELLED)

    async def _transition(
        self, owner: str, task_id: int, allowed: set[TaskStatus], target: TaskStatus
    ) -> TaskView:
        now = self.now()
        async with self.store.transaction() as store:
            task = await _task(store, owner, task_id, for_update=True)
            if task.status == target:
                return task
            if task.status not in allowed:
                if target == TaskStatus.CANCELLED and task.status in ENDED_TASK_STATUSES:
                    last = await store.runs.last_for_tasks([task.id])
                    return replace(task, last_run=last.get(task.id))
                raise ConflictError(_cannot_become(task, target))
            fields: TaskFields = {"status": target, "updated_at": now, "version": task.version + 1}
            last_run = None
            if target == TaskStatus.CANCELLED:
                fields["next_run_at"] = None
                cancelled = await store.runs.cancel_waiting(task.id, now, "task cancelled")
                last_run = next((run for run in cancelled if run.started_at is not None), None)
                for below in await live_followers_below(store, task.id):  # nothing starts them
                    await store.runs.cancel_waiting(below.id, now, f"task {task.id} cancelled")
                    await store.tasks.update(
                        below.id, {"status": target, "next_run_at": None, "updated_at": now,
                                   "version": below.version + 1},
                    )  # fmt: skip
            elif target == TaskStatus.PAUSED:
                withdrawn = await store.runs.withdraw_planned(task.id)
                if withdrawn:
                    kept = [task.next_run_at] if task.next_run_at is not None else []
                    fields["next_run_at"] = min([*withdrawn, *kept])
                    fields["run_count"] = max(0, task.run_count - len(withdrawn))
            await store.tasks.update(task.id, fields)
            await store.announce_change()
        await self._changed()
        return replace(task, **fields, last_run=last_run)

    async def trigger(self, owner: str, task_id: int) -> RunView:
        """An extra run now, leaving the schedule as it is."""
        now = self.now()
        async with self.store.transaction() as store:
            task = await _task(store, owner, task_id)
            if task.status == TaskStatus.CANCELLED:
                raise ConflictError(_ended(task, "run"))
            run = await store.runs.add(
                {
                    "task_id": task.id,
                    "scheduled_for": now,
                    "trigger": RunTrigger.MANUAL,
                    "status": RunStatus.QUEUED,
                    "attempt": 0,
                    "not_before": now,
                    "queued_at": now,
                }
            )
            await store.announce_change()
        await self._changed()
        return run

    # runs

    async def list_runs(
        self, owner: str, task_id: int, *, limit: int = 50, after_run: int | None = None
    ) -> list[RunView]:
        """The task's runs, newest occurrence first; with ``after_run`` (the last of a page),
        the page after it."""
        async with self.store.reading() as store:
            await _task(store, owner, task_id)
            return await store.runs.list_for_task(task_id, limit, after_run=after_run)

    async def briefing(
        self, owner: str, task_id: int, *, recent: int, before_run: int | None = None
    ) -> Briefing:
        """The owner, the task and its ``recent`` latest outputs (other than ``before_run``'s).

        One read for what an agent run needs: a burst of runs starting together costs a
        third of three separate reads.
        """
        async with self.store.reading() as store:
            found = await store.tasks.get_with_owner(owner, task_id)
            if found is None:
                raise _no_task(task_id)
            runs = await store.runs.recent_outputs(task_id, recent, before_run)
            task, user = found
            spend = await spend_of(store, user, self.now()) if user.has_budget else None
        return Briefing(user, task, runs, spend)

    async def note_budget_reached(self, owner: str, month: str) -> bool:
        """Whether the owner is now to be told their budget of ``month`` is reached: True
        once a month, for the first run that finds it so."""
        async with self.store.transaction() as store:
            return await store.users.note_budget_notice(owner, month)

    async def get_run(self, owner: str, run_id: int) -> RunView:
        async with self.store.reading() as store:
            return await _run(store, owner, run_id)

    async def retry(self, owner: str, run_id: int) -> RunView:
        """Queue a failed run again, as a new attempt of the same occurrence."""
        now = self.now()
        async with self.store.transaction() as store:
            run = await _run(store, owner, run_id)
            if run.status != RunStatus.FAILED:
                raise ConflictError(f"Run {run_id} is {run.status}; only failed runs are retried.")
            task = await store.tasks.get(owner, run.task_id)
            if task is None or task.status == TaskStatus.CANCELLED:
                raise ConflictError(
                    f"The task of run {run_id} was cancelled; its runs stay as they are."
                )
            reason = f"retried by hand at {now:%Y-%m-%d %H:%M:%S}Z"
            await store.runs.requeue(run.id, now, reason)
            await store.announce_change()
        await self._changed()
        return replace(
            run, status=RunStatus.QUEUED, trigger=RunTrigger.RETRY, not_before=now, error=None,
            finished_at=None, lease_expires_at=None, worker_id=None, reason=reason,
        )  # fmt: skip

    async def recent_runs(
        self,
        owner: str,
        *,
        status: Sequence[str] | None = None,
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[RunView]:
        """The owner's runs across all tasks, newest occurrence first; filters combine."""
        _check_statuses(status, RunStatus, "run status")
        async with self.store.reading() as store:
            return await store.runs.recent(owner, statuses=status, since=since, limit=limit)

    async def run_attempts(self, owner: str, run_id: int) -> list[AttemptView]:
        """Every attempt of one of the owner's runs, first first."""
        async with self.store.reading() as store:
            run = await _run(store, owner, run_id)
            return await store.runs.attempts(run.id)

    async def overview(self, owner: str, *, since: datetime) -> Overview:
        """What ``agentcron status`` shows: the owner's tasks and runs, and who serves them."""
        now = self.now()
        async with self.store.reading() as store:
            tasks = await store.tasks.count_by_status(owner)
            runs = await store.runs.count_by_status(owner, since)
            next_task = await store.tasks.next_due_for(owner)
            oldest = await store.runs.oldest_waiting(owner, now)
            waiting_task = await store.tasks.get(owner, oldest.task_id) if oldest else None
            recorded = await store.workers.queue_depths()
        waiting = None
        if oldest is not None and waiting_task is not None:
            waiting = WaitingRun(oldest, waiting_task.title, now - oldest.not_before)
        live, stale = await self._heard_from()
        queues = None
        if recorded:
            measured = min(at for _, at in recorded.values())
            depths = {queue: depth for queue, (depth, _) in recorded.items()}
            queues = QueueDepths(depths, "recorded", measured, max(now - measured, timedelta()))
        return Overview(
            tasks, runs, next_task, since, live, waiting, stale, queues,
            distributed=bool(self.settings.broker_url),
        )  # fmt: skip

    async def events(
        self, owner: str, *, after: int | None = None, limit: int = 100
    ) -> list[EventView]:
        """The owner's events in order: those after event ``after``, else the latest."""
        limit = max(1, min(limit, _MAX_EVENTS))
        async with self.store.reading() as store:
            if after is None:
                return await store.events.last(owner, limit)
            position = await store.events.position_of(after)
            return await store.events.after(owner, position, limit)

    async def follow_events(
        self, owner: str, *, after: int | None = None, poll_seconds: float = 0.5
    ) -> AsyncIterator[list[EventView]]:
        """The owner's events as they happen, a batch per look (empty when nothing new):
        those after event ``after`` first, else only those to come. An ``after`` no longer
        kept starts from the oldest event kept (ids let a reader skip what it has)."""
        async with self.store.reading() as store:
            if after is None:
                position = await store.events.end()
            else:
                position = await store.events.position_of(after)
        while True:
            async with self.store.reading() as store:
                found = await store.events.after(owner, position, _MAX_EVENTS)
            if found:
                position = found[-1].position
            yield found
            if len(found) < _MAX_EVENTS:
                await asyncio.sleep(poll_seconds)

    async def metrics(self) -> StoreMetrics:
        """Totals across every person, for operators (``/metrics``): no owner's data."""
        now = self.now()
        async with self.store.reading() as store:
            return await store.metrics.totals(now)

    async def serving(self) -> list[WorkerView]:
        """The processes that serve this store now (their heartbeat is recent, and their
        process, when it ran on this machine, still exists)."""
        return (await self._heard_from())[0]

    async def _heard_from(self) -> tuple[list[WorkerView], list[WorkerView]]:
        """Workers with a recent heartbeat: those alive, and those whose process is gone."""
        since = self.now() - timedelta(seconds=3 * self.settings.heartbeat_seconds)
        async with self.store.reading() as store:
            workers = await store.workers.seen_since(since)
        stale = [worker for worker in workers if gone(worker.id)]
        return [worker for worker in workers if worker not in stale], stale

    # checks

    async def _confirm(
        self, requests: Sequence[tuple[int, str, dict[str, Any]]], refusals: _Refusals
    ) -> None:
        """The actions' checks that need I/O (``Action.confirm``), before any transaction,
        with one ``seen`` for the call: a batch asks each MCP server once. An unknown action
        is left to the checks that follow, which say so."""
        seen: dict[str, Any] = {}
        known = set(self.actions.names())
        for index, action_name, payload in requests:
            if action_name in known:
                with refusals.checking(index):
                    await self.actions.get(action_name).confirm(payload, seen)

    async def _confirm_change(self, owner: str, task_id: int, changes: TaskChanges) -> None:
        """``_confirm`` for a change of the task's payload or action (the task read first,
        for the half not given)."""
        async with self.store.reading() as store:
            task = await _task(store, owner, task_id)
        action = changes.action or task.action
        if changes.payload is not None or action != task.action:
            payload = task.payload if changes.payload is None else changes.payload
            await self._confirm([(0, action, payload)], _Refusals(1, batch=False))

    def _checked_payload(
        self, action_name: str, payload: dict[str, Any], *, follows: int | None
    ) -> dict[str, Any]:
        """The payload checked by its action, its size and its placeholders (those of a task
        that runs after another: ``follows``)."""
        placeholders.check(payload, follows=follows is not None)
        limit = self.settings.max_instructions_chars
        for key, subject in (
            ("message", "The message is"),
            ("instructions", "The instructions are"),
        ):
            text = payload.get(key)
            if isinstance(text, str) and len(text) > limit:
                raise InvalidInputError(
                    f"{subject} {plural(len(text), 'character')} long; at most {limit:,} "
                    f"{'is' if limit == 1 else 'are'} allowed."
                )
        size = len(json.dumps(payload, ensure_ascii=False).encode())
        if size > MAX_PAYLOAD_BYTES:
            raise InvalidInputError(
                f"The payload is {plural(size, 'byte')}; at most {MAX_PAYLOAD_BYTES:,} are allowed."
            )
        return self.actions.get(action_name).validate(payload)

    def _check_agent_interval(
        self, action: str, schedule: Schedule, now: datetime, memo: ScheduleMemo | None = None
    ) -> None:
        minimum = self.settings.min_agent_interval_seconds
        if action != "agent" or minimum <= 0:
            return
        upcoming = schedule.preview(4, now) if memo is None else memo.preview(schedule, 4, now)
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(upcoming)]
        if gaps and min(gaps) < minimum:
            raise LimitError(
                f"Agent tasks may run at most every {plural(minimum / 60, 'minute')}; "
                f"'{schedule.describe()}' runs {plural(min(gaps) / 60, 'minute')} apart."
            )

    def _check_live_limit(self, count: int, *, adding: int) -> None:
        limit = self.settings.max_active_tasks
        if count + adding > limit and adding > 1:
            raise LimitError(
                f"You have {count} active or paused tasks, and {adding} more would pass the "
                f"limit of {limit} (AGENTCRON_MAX_ACTIVE_TASKS); cancel some, or add fewer."
            )
        if count + adding > limit:
            raise LimitError(
                f"You have {plural(count, 'active or paused task')} and the limit is {limit}; "
                "cancel some first."
            )


async def _user(store: Repositories, owner: str) -> UserView:
    user = await store.users.get(owner)
    if user is None:
        raise _no_person(owner)
    return user


def _no_person(owner: str) -> NotFoundError:
    return NotFoundError(f"No person named '{owner}' is known to agentcron.")


async def _task(
    store: Repositories, owner: str, task_id: int, *, for_update: bool = False
) -> TaskView:
    task = await store.tasks.get(owner, task_id, for_update=for_update)
    if task is None:
        raise _no_task(task_id)
    return task


async def _run(store: Repositories, owner: str, run_id: int) -> RunView:
    run = await store.runs.get(owner, run_id)
    if run is None:
        raise NotFoundError(f"There is no run {run_id}; 'agentcron runs TASK' lists them.")
    return run


class _Refusals:
    """The requests of a call refused so far. One request alone is refused with its own
    error, at once; a batch is checked whole, then refused with a BatchError naming each."""

    def __init__(self, total: int, batch: bool) -> None:
        self.total = total
        self.batch = batch
        self.found: list[tuple[int, UserError]] = []
        self.refused: set[int] = set()

    @contextmanager
    def checking(self, index: int) -> Iterator[None]:
        """Run one request's check; a batch notes its refusal and goes on to the next."""
        try:
            yield
        except UserError as error:
            if not self.batch:
                raise
            if index not in self.refused:  # a request's first refusal is the one named
                self.refused.add(index)
                self.found.append((index, error))

    def raise_any(self) -> None:
        if self.found:
            raise BatchError(sorted(self.found, key=lambda found: found[0]), self.total)


def _check_same_in_batch(key: str, again: TaskFields, first: TaskFields, index: int) -> None:
    """A key given twice in one batch must come with the same request both times."""
    differ = [name for name in REQUEST_FIELDS if again[name] != first[name]]
    if differ:
        raise ConflictError(
            f"The idempotency key '{key}' was given to request #{index + 1} of this batch with "
            f"a different request ({_differ(differ)}); use a new key."
        )


def _differ(names: list[str]) -> str:
    return f"{', '.join(names)} {'differs' if len(names) == 1 else 'differ'}"


def _check_statuses(given: Sequence[str] | None, known: type[StrEnum], what: str) -> None:
    """Refuse a filter naming a status that does not exist, listing those that do."""
    unknown = set(given or ()) - {status.value for status in known}
    if unknown:
        raise InvalidInputError(
            f"Unknown {what} {', '.join(sorted(unknown))}; use "
            f"{', '.join(status.value for status in known)}."
        )


def _cannot_become(task: TaskView, target: TaskStatus) -> str:
    """Why ``task`` cannot move to ``target``, in words a person reads."""
    verbs = {TaskStatus.ACTIVE: "resumed", TaskStatus.PAUSED: "paused"}
    verb = verbs.get(target, str(target))
    return _ended(task, verb)


def _ended(task: TaskView, verb: str) -> str:
    """Why an ended task cannot be ``verb`` (changed, run...), in words a person reads."""
    return f"Task {task.id} was {task.status}; {task.status} tasks cannot be {verb}."


def _no_task(task_id: int) -> NotFoundError:
    return NotFoundError(f"There is no task {task_id}; 'agentcron ls' lists yours.")


def _check_bounds(task: TaskFields) -> None:
    starts, ends = task.get("starts_at"), task.get("ends_at")
    if starts and ends and ends <= starts:
        raise InvalidInputError("ends_at must be after starts_at.")


def first_occurrence(
    schedule: Schedule, task: TaskFields, now: datetime, memo: ScheduleMemo | None = None
) -> datetime:
    """The first occurrence after ``now`` within the task's bounds (``memo``: a batch's
    schedules, whose occurrences are computed once)."""
    after = now
    starts_at, ends_at = task.get("starts_at"), task.get("ends_at")
    if starts_at is not None and starts_at > now:
        after = starts_at - timedelta(microseconds=1)
    occurrence = schedule.next_after(after) if memo is None else memo.next_after(schedule, after)
    if occurrence is None or (ends_at is not None and occurrence > ends_at):
        raise InvalidInputError("The schedule has no occurrence within the task's bounds.")
    max_runs = task.get("max_runs")
    if max_runs is not None and task.get("run_count", 0) >= max_runs:
        raise InvalidInputError("The task has already run as often as max_runs allows.")
    return occurrence


__all__ = [
    "NewTask",
    "TaskChanges",
    "TaskOptions",
    "TaskService",
    "first_occurrence",
]
