"""Plain, read-only views of people, tasks and runs: what the store hands to the service and
the service to every front door. Each view's fields are its table's columns, so the store
builds one straight from a row."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from agentcron.processes import process_of
from agentcron.secrets import mask_value


@dataclass(frozen=True)
class TaskView:
    id: int
    owner_id: str
    title: str
    action: str
    payload: dict[str, Any]
    schedule: str
    schedule_kind: str
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
    backoff_max_seconds: float
    timeout_seconds: float
    notify: list[str]
    notify_policy: str
    urgent: bool
    idempotency_key: str | None
    created_at: datetime
    updated_at: datetime
    version: int
    follows_task_id: int | None = None
    """The task whose runs start this one (its schedule is 'after task N'), if any."""
    last_run: RunView | None = None
    """The task's latest run that is no longer only waiting (read with the task, not stored)."""

    @cached_property
    def description(self) -> str:
        """The schedule in words, with its zone: 'every weekday at 08:30 (Europe/Paris)'."""
        from agentcron.schedules import describe_normalized  # noqa: PLC0415 - only when described

        return describe_normalized(self.schedule, self.timezone)

    def to_dict(self) -> dict[str, Any]:
        """The task as front doors print it, secrets in its payload masked (URL passwords,
        Authorization headers...): the store keeps them, nothing shows them."""
        fields = self.__dict__
        shown = {name: fields[name] for name in _TASK_COLUMNS}
        for name in _TASK_INSTANTS:
            if (instant := shown[name]) is not None:
                shown[name] = instant.isoformat()
        shown["payload"] = mask_value(self.payload)
        shown["description"] = self.description
        shown["last_run"] = self.last_run.summary() if self.last_run is not None else None
        return shown


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
    lease_expires_at: datetime | None
    worker_id: str | None
    output: str | None
    result: dict[str, Any] | None
    error: str | None
    usage: dict[str, Any] | None
    dispatched_at: datetime | None = None
    """When it was last handed to the broker (the distributed shape), if it was."""
    followed_run_id: int | None = None
    """The run (of the task this one follows) whose end made this run, if one did."""

    @property
    def lateness_seconds(self) -> float | None:
        """How long after its occurrence the run started."""
        if self.started_at is None:
            return None
        return (self.started_at - self.scheduled_for).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self)) | {"lateness_seconds": self.lateness_seconds}

    def summary(self) -> dict[str, Any]:
        """What a task's listing says of its last run."""
        return _jsonable(
            {"id": self.id, "status": self.status, "finished_at": self.finished_at}
        ) | {"error": self.error}


@dataclass(frozen=True)
class AttemptView:
    """One attempt of a run: a retry, a recovery after a crash or a retry by hand adds one."""

    id: int
    run_id: int
    attempt: int
    worker_id: str | None
    started_at: datetime
    finished_at: datetime | None
    status: str
    error: str | None

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class WorkerView:
    """A process serving the store, as its last heartbeat left it."""

    id: str
    kind: str
    started_at: datetime
    seen_at: datetime
    loops: list[dict[str, Any]]
    details: dict[str, Any] | None = None
    """What kind of work it takes: a worker's queues and concurrency, for example."""

    def to_dict(self) -> dict[str, Any]:
        """Its fields, with the host and pid its id names (None for an id that names none)."""
        process = process_of(self.id)
        where = {"host": process.host, "pid": process.pid} if process else {}
        return _jsonable(asdict(self)) | {"host": None, "pid": None} | where


@dataclass(frozen=True)
class QueueDepths:
    """Messages waiting in each of the broker's queues: counted on the broker now
    (``source`` 'broker'), or as a scheduler's upkeep last recorded them ('recorded', the
    oldest count ``age`` old), or not known ('none': the broker did not answer and nothing
    was recorded). ``broker_error``: why the broker could not be asked."""

    depths: dict[str, int]
    source: str
    measured_at: datetime
    age: timedelta
    broker_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "depths": dict(self.depths),
            "measured_at": self.measured_at.isoformat(),
            "age_seconds": round(self.age.total_seconds(), 3),
            "broker_error": self.broker_error,
        }


@dataclass(frozen=True)
class UserView:
    """A person as agents and front doors see them."""

    id: str
    name: str
    timezone: str
    locale: str
    created_at: datetime
    quiet_hours: str | None = None
    """When not to be disturbed, in their zone ('22:00-07:00'); None: any time."""
    removed_at: datetime | None = None
    """When the person was removed (``users rm``); None: they are here."""
    monthly_token_budget: int | None = None
    """The most tokens their agent runs may use in a calendar month; None: no cap."""
    monthly_cost_budget: float | None = None
    """The most their agent runs may cost in a calendar month (the prices' currency)."""
    budget_notice_month: str | None = None
    """The month ('2026-12') they were told a cap was reached."""
    calendar_token: str | None = field(default=None, repr=False)
    """What the address of their calendar feed carries (a secret: never in a repr)."""

    @property
    def has_budget(self) -> bool:
        return self.monthly_token_budget is not None or self.monthly_cost_budget is not None


@dataclass(frozen=True)
class ApiKeyView:
    """An API key as it is listed: never its secret, which only its maker saw, once."""

    id: str
    user_id: str
    name: str
    admin: bool
    created_at: datetime
    revoked_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "user": self.user_id,
            "name": self.name,
            "admin": self.admin,
            "created_at": self.created_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


@dataclass(frozen=True)
class ChannelView:
    """One of a person's notification targets. ``url`` is the secret (never printed: not
    even in the view's repr); ``shown`` is its masked form."""

    id: int
    owner_id: str
    name: str
    url: str = field(repr=False)
    shown: str
    is_default: bool
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(
            {"id": self.id, "name": self.name, "url": self.shown, "default": self.is_default,
             "created_at": self.created_at}
        )  # fmt: skip


@dataclass(frozen=True)
class DeliveryView:
    """One notification of one run on one channel, and how sending it went."""

    id: int
    run_id: int
    channel_id: int | None
    channel: str
    owner_id: str
    status: str
    attempts: int
    title: str
    body: str
    last_error: str | None
    next_attempt_at: datetime | None
    held_until: datetime | None
    sent_at: datetime | None
    worker_id: str | None
    lease_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        shown = {
            k: v for k, v in asdict(self).items() if k not in ("worker_id", "lease_expires_at")
        }
        return _jsonable(shown)


@dataclass(frozen=True)
class Recipient:
    """A person as telling them needs: what writing finished runs' deliveries reads."""

    owner_id: str
    timezone: str
    """The owner's zone (messages say when, and quiet hours are kept, in it)."""
    quiet_hours: str | None
    channels: list[ChannelView]


@dataclass(frozen=True)
class Spend:
    """What a person's agent runs used in one calendar month of their zone, against their
    caps."""

    month: str
    """'2026-12'."""
    tokens: int
    cost: float
    token_budget: int | None
    cost_budget: float | None
    resets_at: datetime
    """When the month ends and the caps start over."""

    @property
    def tokens_left(self) -> int | None:
        return None if self.token_budget is None else max(self.token_budget - self.tokens, 0)

    @property
    def cost_left(self) -> float | None:
        if self.cost_budget is None:
            return None
        return round(max(self.cost_budget - self.cost, 0.0), 6)

    @property
    def reached(self) -> str | None:
        """Which cap is reached, in words, or None while both leave room."""
        if self.cost_budget is not None and self.cost >= self.cost_budget:
            return f"cost {self.cost:.2f} of a monthly budget of {self.cost_budget:.2f}"
        if self.token_budget is not None and self.tokens >= self.token_budget:
            return f"{self.tokens:,} tokens of a monthly budget of {self.token_budget:,}"
        return None

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(
            {"month": self.month, "tokens": self.tokens, "cost": round(self.cost, 6),
             "token_budget": self.token_budget, "cost_budget": self.cost_budget,
             "tokens_left": self.tokens_left, "cost_left": self.cost_left,
             "reached": self.reached is not None, "resets_at": self.resets_at}
        )  # fmt: skip


@dataclass(frozen=True)
class Profile:
    """A person as ``agentcron profile show`` shows them: who, where, how they are told."""

    user: UserView
    channels: list[ChannelView]
    spend: Spend | None = None
    """This month's agent spend, against the person's budget."""

    @property
    def default_channels(self) -> list[str]:
        return [channel.name for channel in self.channels if channel.is_default]

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(
            {"id": self.user.id, "name": self.user.name, "timezone": self.user.timezone,
             "quiet_hours": self.user.quiet_hours, "default_channels": self.default_channels,
             "channels": [channel.name for channel in self.channels],
             "budget": self.spend.to_dict() if self.spend is not None else None}
        )  # fmt: skip


@dataclass(frozen=True)
class PayloadField:
    """One field of an action's payload, as a person reads it."""

    name: str
    kind: str
    """Its form in words: 'string', 'URL', 'one of GET, POST', 'list of strings'..."""
    required: bool
    default: Any
    description: str


@dataclass(frozen=True)
class ActionSource:
    """Where an action comes from: an ``agentcron.actions`` entry point of an installed
    distribution (agentcron's own built-in actions among them), or the ``actions`` setting
    (``kind`` 'entry_point' or 'configured'). Read from metadata: an action that cannot be
    imported still has one, so that a person can tell which package to fix."""

    kind: str
    target: str
    """The class, as ``package.module:ClassName``."""
    distribution: str | None = None
    """The distribution whose entry point names it (None: configured, or not known)."""
    version: str | None = None
    built_in: bool = False
    """Whether agentcron itself provides it."""
    configured_in: str | None = None
    """Where the ``actions`` setting naming it was given (``AGENTCRON_ACTIONS``, an
    agentcron.toml file), when known."""

    @property
    def description(self) -> str:
        """In words: 'agentcron 0.1.0 (built in), entry point agentcron.actions.http:HttpAction',
        'configured: acme.actions:Backup, in AGENTCRON_ACTIONS'."""
        if self.kind == "configured":
            where = f", in {self.configured_in}" if self.configured_in else ""
            return f"configured: {self.target}{where}"
        made = f"{self.distribution} {self.version}" if self.distribution else "unknown"
        return f"{made}{' (built in)' if self.built_in else ''}, entry point {self.target}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"description": self.description}


@dataclass(frozen=True)
class ActionView:
    """An action as ``agentcron actions ls`` shows it: what it does, its payload's fields
    and a payload that works, the payload's whole JSON schema, and where it comes from."""

    name: str
    """What a task's ``--action`` names it."""
    summary: str
    fields: list[PayloadField]
    example: dict[str, Any]
    payload_schema: dict[str, Any]
    """The payload model's JSON schema, of which ``fields`` says the top level in words."""
    source: ActionSource

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"source": self.source.to_dict()}


@dataclass(frozen=True)
class Briefing:
    """What an agent acting on a task is told: whom it acts for, the task, its latest outputs."""

    owner: UserView
    task: TaskView
    recent: list[RunView]
    """The task's latest succeeded runs that said something, newest first."""
    spend: Spend | None = None
    """The owner's spend this month, when they have a budget."""


_TASK_COLUMNS: tuple[str, ...] = tuple(
    name for name in TaskView.__dataclass_fields__ if name != "last_run"
)
_TASK_INSTANTS: tuple[str, ...] = tuple(
    name
    for name in _TASK_COLUMNS
    if str(TaskView.__dataclass_fields__[name].type).startswith("datetime")
)
"""What ``TaskView.to_dict`` writes in ISO 8601 (a page of 50 tasks is 50 of these)."""


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}


@dataclass(frozen=True)
class Histogram:
    """Observations by upper bound: ``counts[i]`` of them were at most ``bounds[i]`` seconds
    (cumulative, as Prometheus has them), ``count`` in all, summing to ``total``."""

    bounds: tuple[float, ...]
    counts: tuple[int, ...]
    count: int
    total: float


@dataclass(frozen=True)
class StoreMetrics:
    """What the store holds, for ``/metrics``: every process's work, counted once."""

    runs: dict[str, int]
    deliveries: dict[str, int]
    lateness: Histogram
    duration: Histogram
    input_tokens: int
    output_tokens: int
    cost: float
    waiting: int
    queues: dict[str, int]


@dataclass(frozen=True)
class EventView:
    """One thing that happened to a person's task, run or delivery.

    ``kind``: task.created, task.changed, task.paused, task.resumed, task.cancelled,
    task.completed, task.failed; run.started, run.retried, run.finished; delivery.sent,
    delivery.failed. ``position`` orders events (a later one has a greater position)."""

    id: int
    owner_id: str
    kind: str
    task_id: int | None
    run_id: int | None
    at: datetime
    tx: int
    data: dict[str, Any] | None

    @property
    def position(self) -> tuple[int, int]:
        return (self.tx, self.id)

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(
            {"id": self.id, "kind": self.kind, "task_id": self.task_id, "run_id": self.run_id,
             "at": self.at, **(self.data or {})}
        )  # fmt: skip
