"""agentcron's words as values: the states of tasks and runs, their policies, the defaults
of a new task, and the work a worker claims.

Light on purpose (no SQLAlchemy, no pydantic): the contracts, the planning and the
front doors all speak these words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final


class TaskStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


LIVE_TASK_STATUSES: Final = (TaskStatus.ACTIVE, TaskStatus.PAUSED)
"""Tasks that may still fire: what the per-person limit counts."""
ENDED_TASK_STATUSES: Final = (TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED)
"""Tasks that will not fire again on their schedule: they no longer change."""


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


ACTIVE_RUN_STATUSES: Final = (RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.RETRYING)
CLAIMABLE_RUN_STATUSES: Final = (RunStatus.QUEUED, RunStatus.RETRYING)
"""Runs waiting for a worker: a worker may claim them once due and unclaimed."""


class MisfirePolicy(StrEnum):
    RUN_ONCE = "run_once"
    SKIP = "skip"
    RUN_ALL = "run_all"


class OverlapPolicy(StrEnum):
    SKIP = "skip"
    QUEUE = "queue"
    ALLOW = "allow"


class RunTrigger(StrEnum):
    SCHEDULE = "schedule"
    MANUAL = "manual"
    RETRY = "retry"
    AFTER = "after"
    """Made when a run of the task it follows ended."""


class NotifyPolicy(StrEnum):
    """When a task's runs tell its person: every run, when the agent says so, on failure
    only, or never. A run that fails for good is told under every policy but ``never``."""

    ALWAYS = "always"
    AGENT = "agent"
    FAILURE = "failure"
    NEVER = "never"


class DeliveryStatus(StrEnum):
    """One notification of one run on one channel.

    ``sending`` is written before the send; a process that dies meanwhile leaves it
    ``unknown`` (it may or may not have gone out, so it is never sent again on its own).
    """

    PENDING = "pending"
    HELD = "held"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"


SENDABLE_DELIVERY_STATUSES: Final = (DeliveryStatus.PENDING, DeliveryStatus.HELD)
"""Deliveries waiting for their time to be sent (a retry's, or the end of quiet hours)."""


ASKED_FOR_TRIGGERS: Final = (RunTrigger.MANUAL, RunTrigger.RETRY)
"""Runs a person asked for by hand: they start whatever the task's status, but cancelled."""


@dataclass(frozen=True)
class TaskDefaults:
    """How a task runs when its creator says nothing more: the one place these live.

    An action may change some for its own tasks (``Action.defaults``: agents skip an
    occurrence while the previous run is still going and get a longer timeout).
    """

    misfire_policy: str = MisfirePolicy.RUN_ONCE
    misfire_grace_seconds: int = 60
    overlap_policy: str = OverlapPolicy.ALLOW
    jitter_seconds: int = 0
    max_attempts: int = 3
    backoff_seconds: float = 10.0
    backoff_max_seconds: float = 600.0
    timeout_seconds: float = 30.0
    notify_policy: str = NotifyPolicy.ALWAYS
    urgent: bool = False

    def fields(self) -> dict[str, Any]:
        return dict(self.__dict__)


TASK_DEFAULTS: Final = TaskDefaults()


@dataclass(frozen=True)
class ClaimedRun:
    """A run a worker claimed under a lease, with what its action needs.

    ``attempt`` is the attempt about to be made (the store counts attempts started).
    """

    id: int
    task_id: int
    scheduled_for: datetime
    attempt: int
    owner_id: str
    title: str
    action: str
    payload: dict[str, Any]
    timezone: str
    timeout_seconds: float
    max_attempts: int
    backoff_seconds: float
    backoff_max_seconds: float
    overlap_policy: str
    payload_loaded: bool = True
    """False while a large payload is left in the store: it is read as the run starts."""
    notify_policy: str = NotifyPolicy.ALWAYS
    notify: tuple[str, ...] = ()
    urgent: bool = False
    """How its task tells its owner (read with the task, so recording the run reads no task)."""
    followed_run_id: int | None = None
    """The run whose end made this one (its task follows another), read as it starts."""


@dataclass(frozen=True)
class PreviousRun:
    """The run a follower's run follows: what its action may use (``{previous.output}``, an
    agent's briefing)."""

    run_id: int
    task_id: int
    status: str
    scheduled_for: datetime
    finished_at: datetime | None
    output: str | None


@dataclass(frozen=True)
class Outcome:
    """What one attempt of one run amounted to."""

    run: ClaimedRun
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None
    not_before: datetime
    output: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    usage: dict[str, Any] | None = None
    complete_task: bool = False
    notify: bool = True


GAVE_UP_ON_LOST_WORKER: Final = "the worker running it stopped; no attempts left"
"""The error of a run failed because its worker vanished at its last attempt."""


@dataclass(frozen=True)
class WrittenRun:
    """A run the scheduler just wrote: enough to hand it to an executor."""

    id: int
    task_id: int
    scheduled_for: datetime
    status: str
    not_before: datetime
    worker_id: str | None


@dataclass(frozen=True)
class DeliveryJob:
    """A delivery a worker is about to send: its attempt is written already."""

    id: int
    run_id: int
    owner_id: str
    channel: str
    url: str
    title: str
    body: str
    attempt: int


@dataclass(frozen=True)
class DeliveryResult:
    """How one attempt of one delivery went: sent, or the transport's error."""

    job: DeliveryJob
    sent: bool
    error: str | None = None
