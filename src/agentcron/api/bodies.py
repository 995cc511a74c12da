"""What the API answers, as the OpenAPI schema publishes it, for clients to generate code
from and for the fuzzing test to hold every answer to.

The routes answer the views' own ``to_dict`` (the same dictionaries the CLI's ``--json``
prints), written out by ``as_json``, so these models describe the answers rather than build
them: FastAPI neither validates nor re-encodes each answer at run time (for a page of 50
tasks, either would cost more than reading the page). Each model forbids fields it does not
name, so the schema cannot fall behind a view without the tests that hold answers to it
failing.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from agentcron.api.errors import responses
from agentcron.domain import (
    DeliveryStatus,
    MisfirePolicy,
    NotifyPolicy,
    OverlapPolicy,
    RunStatus,
    RunTrigger,
    TaskStatus,
)
from agentcron.schedules import ScheduleKind


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LastRun(_Body):
    """What a task's listing says of its latest run that is no longer only waiting."""

    id: int
    status: RunStatus
    finished_at: str | None
    error: str | None


class Task(_Body):
    """A task, its payload's secrets masked. Instants are ISO 8601, in UTC."""

    id: int
    owner_id: str
    title: str
    action: str = Field(description="reminder, agent, http, shell, mcp_tool, or a plugin's action.")
    payload: dict[str, Any] = Field(description="The action's fields, secrets masked.")
    schedule: str = Field(description="The schedule's normal form (an RRULE, cron, ...).")
    schedule_kind: ScheduleKind
    timezone: str
    status: TaskStatus
    next_run_at: str | None
    starts_at: str | None
    ends_at: str | None
    max_runs: int | None
    run_count: int
    misfire_policy: MisfirePolicy
    misfire_grace_seconds: int
    overlap_policy: OverlapPolicy
    jitter_seconds: int
    max_attempts: int
    backoff_seconds: float
    backoff_max_seconds: float
    timeout_seconds: float
    notify: list[str] = Field(description="The channels told of its runs.")
    notify_policy: NotifyPolicy
    urgent: bool
    idempotency_key: str | None
    created_at: str
    updated_at: str
    version: int = Field(description="Its version, as the ETag gives it for If-Match.")
    follows_task_id: int | None = Field(
        description="The task whose runs start this one (schedule 'after task N'), if any."
    )
    description: str = Field(description="The schedule in words, with its zone.")
    last_run: LastRun | None


class TaskPage(_Body):
    """A page of tasks, soonest first."""

    tasks: list[Task]
    next_cursor: str | None = Field(description="For the next page (?cursor=); None: the end.")


class Run(_Body):
    """One occurrence of a task (or a run asked for by hand), and how it went."""

    id: int
    task_id: int
    scheduled_for: str
    trigger: RunTrigger
    status: RunStatus
    reason: str | None
    attempt: int
    not_before: str
    queued_at: str
    started_at: str | None
    finished_at: str | None
    lease_expires_at: str | None
    worker_id: str | None
    output: str | None
    result: dict[str, Any] | None = Field(
        description="What the action returned: for an agent, its trace, secrets masked."
    )
    error: str | None
    usage: dict[str, Any] | None = Field(description="An agent's tokens and cost.")
    dispatched_at: str | None
    followed_run_id: int | None = Field(
        description="The run whose end made this one (a task that follows another)."
    )
    lateness_seconds: float | None = Field(description="How long after its occurrence it started.")


class RunPage(_Body):
    """A page of runs, newest occurrence first."""

    runs: list[Run]
    next_cursor: str | None = Field(description="For the next page (?cursor=); None: the end.")


class Attempt(_Body):
    """One attempt of a run: a retry, a recovery after a crash or a retry by hand adds one."""

    id: int
    run_id: int
    attempt: int
    worker_id: str | None
    started_at: str
    finished_at: str | None
    status: RunStatus
    error: str | None


class Delivery(_Body):
    """One notification of a run on one channel."""

    id: int
    run_id: int
    channel_id: int | None
    channel: str
    owner_id: str
    status: DeliveryStatus
    attempts: int
    title: str
    body: str
    last_error: str | None
    next_attempt_at: str | None
    held_until: str | None = Field(description="Kept back by quiet hours until then.")
    sent_at: str | None
    created_at: str
    updated_at: str


class RunDetail(Run):
    """A run with each of its attempts and its notifications."""

    attempts: list[Attempt]
    deliveries: list[Delivery]


class SchedulePreview(_Body):
    """How agentcron reads a schedule's text, and its next occurrences."""

    kind: ScheduleKind
    normalized: str = Field(description="What a task stores as its schedule.")
    timezone: str
    description: str
    next: list[str] = Field(description="The next occurrences, ISO 8601 in the zone.")


class Spend(_Body):
    """This month's agent spend against the person's caps."""

    month: str = Field(description="'2026-12', in the person's zone.")
    tokens: int
    cost: float
    token_budget: int | None
    cost_budget: float | None
    tokens_left: int | None
    cost_left: float | None
    reached: bool
    resets_at: str


class Profile(_Body):
    """Who the key acts for, and how they are told."""

    id: str
    name: str
    timezone: str
    quiet_hours: str | None = Field(description="'22:00-07:00' in their zone; None: any time.")
    default_channels: list[str]
    channels: list[str]
    budget: Spend | None = Field(description="Present for a person with a budget or a spend.")
    admin: bool = Field(description="Whether the key is an admin's.")


class Channel(_Body):
    """One of the person's notification channels."""

    id: int
    name: str
    url: str = Field(description="Masked: the secret parts replaced.")
    default: bool
    created_at: str


class Channels(_Body):
    """The person's notification channels."""

    channels: list[Channel]


class Imported(_Body):
    """What an import made."""

    created: int = Field(description="Tasks made.")
    existed: int = Field(description="Lines whose idempotency key named a task already made.")


class CalendarFeed(_Body):
    """The address of the person's calendar feed (the token in it opens it: keep it)."""

    url: str


class Status(_Body):
    """The process's state: 'ok' (alive) or 'ready' (its store, and broker, answer)."""

    status: str


def answers(model: type[BaseModel], *refusals: int, status: int = 200) -> dict[str, Any]:
    """A route's decorator arguments: its success (``status``) described by ``model`` and
    not validated again at run time (see above), and the refusals it may answer beyond the
    common ones."""
    described = {status: {"model": model, "description": model.__doc__ or "Done."}}
    return {
        "status_code": status,
        "response_model": None,
        "responses": described | responses(*refusals),
    }


def as_json(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """``body`` as the answer, encoded once (orjson: a tenth of the time of ``json``)."""
    return Response(_encoded(body), status, headers, media_type="application/json")


def _encoded(body: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(body)
    except orjson.JSONEncodeError:  # an integer past 64 bits, which a payload may hold
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
