"""The tables: users, tasks, runs (with their attempts), channels and deliveries, workers and
conversations, as
SQLAlchemy Core tables (no ORM: it costs most of a command's start-up and the store never
needed it). Alembic migrations under
``migrations/`` create them; only ``agentcron.store`` (and tests that look at rows) use them.

Task columns have no Python-side default: every value comes from the service, whose task
defaults live in ``agentcron.domain.TASK_DEFAULTS``. A run starts queued, at attempt 0.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from agentcron.domain import RunStatus, RunTrigger
from agentcron.store._types import UTCDateTime

ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite only auto-increments INTEGER keys
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: Final = MetaData(naming_convention=NAMING)


def _required(name: str, kind: object, *args: object, **options: object) -> Column[object]:
    return Column(name, kind, *args, nullable=False, **options)  # type: ignore[arg-type]


def _optional(name: str, kind: object) -> Column[object]:
    return Column(name, kind, nullable=True)  # type: ignore[arg-type]


users: Final = Table(
    "users",
    metadata,
    _required("id", String(64), primary_key=True),
    _required("name", String(200)),
    _required("timezone", String(64)),
    _required("locale", String(35)),
    _required("created_at", UTCDateTime()),
    _optional("quiet_hours", String(11)),
    _optional("removed_at", UTCDateTime()),
    _optional("monthly_token_budget", BigInteger),
    _optional("monthly_cost_budget", Double),
    _optional("budget_notice_month", String(7)),
    _optional("calendar_token", String(64)),
    UniqueConstraint("calendar_token"),
)
"""People. One removed keeps their row (and their tasks' history, per the retention): their
tasks are cancelled and their keys revoked; ``users add`` brings them back."""

api_keys: Final = Table(
    "api_keys",
    metadata,
    _required("id", String(16), primary_key=True),
    _required("user_id", String(64), ForeignKey("users.id")),
    _required("name", String(200)),
    _required("secret_hash", String(64)),
    _required("admin", Boolean),
    _required("created_at", UTCDateTime()),
    _optional("revoked_at", UTCDateTime()),
    Index("ix_api_keys_user_id", "user_id"),
)
"""Keys for the HTTP API: ``id`` is the key's public part, ``secret_hash`` the SHA-256 of its
secret part (the key itself is shown once, when made, and never stored)."""

web_sessions: Final = Table(
    "web_sessions",
    metadata,
    _required("id", String(16), primary_key=True),
    _required("key_id", String(16), ForeignKey("api_keys.id")),
    _required("secret_hash", String(64)),
    _required("created_at", UTCDateTime()),
    _required("expires_at", UTCDateTime()),
    Index("ix_web_sessions_key_id", "key_id"),
)
"""The web page's sign-ins: each opened with a key, and as live as it is (revoking the key
signs out every session it opened)."""

tasks: Final = Table(
    "tasks",
    metadata,
    _required("id", ID, primary_key=True, autoincrement=True),
    _required("owner_id", String(64), ForeignKey("users.id")),
    _required("title", String(200)),
    _required("action", String(64)),
    _required("payload", JSON),
    _required("schedule", Text),
    _required("schedule_kind", String(16)),
    _required("timezone", String(64)),
    _required("status", String(16)),
    _optional("next_run_at", UTCDateTime()),
    _optional("starts_at", UTCDateTime()),
    _optional("ends_at", UTCDateTime()),
    _optional("max_runs", Integer),
    _required("run_count", Integer),
    _required("misfire_policy", String(16)),
    _required("misfire_grace_seconds", Integer),
    _required("overlap_policy", String(16)),
    _required("jitter_seconds", Integer),
    _required("max_attempts", Integer),
    _required("backoff_seconds", Double),
    _required("backoff_max_seconds", Double),
    _required("timeout_seconds", Double),
    _required("notify", JSON),
    _required("notify_policy", String(16)),
    _required("urgent", Boolean, server_default=text("false")),
    _optional("idempotency_key", String(200)),
    _required("created_at", UTCDateTime()),
    _required("updated_at", UTCDateTime()),
    _required("version", Integer),
    _optional("follows_task_id", ID),
    UniqueConstraint("owner_id", "idempotency_key"),
    Index(
        "ix_tasks_due",
        "next_run_at",
        sqlite_where=text("status = 'active'"),
        postgresql_where=text("status = 'active'"),
    ),
    Index("ix_tasks_owner_id_status", "owner_id", "status"),
    Index("ix_tasks_owner_id_next_run_at_id", "owner_id", "next_run_at", "id"),  # lists' order
    Index("ix_tasks_follows_task_id", "follows_task_id"),
)
"""``follows_task_id``: the task whose runs start this one (its schedule 'after task N'),
kept beside the schedule so that recording a run finds its followers by index."""

_OUTBOX = "status IN ('queued', 'retrying') AND dispatched_at IS NULL"

runs: Final = Table(
    "runs",
    metadata,
    _required("id", ID, primary_key=True, autoincrement=True),
    _required("task_id", ID, ForeignKey("tasks.id", ondelete="CASCADE")),
    _required("scheduled_for", UTCDateTime()),
    _required("trigger", String(16), default=RunTrigger.SCHEDULE),
    _required("status", String(16), default=RunStatus.QUEUED),
    _optional("reason", Text),
    _required("attempt", Integer, default=0),
    _required("not_before", UTCDateTime()),
    _required("queued_at", UTCDateTime()),
    _optional("started_at", UTCDateTime()),
    _optional("finished_at", UTCDateTime()),
    _optional("lease_expires_at", UTCDateTime()),
    _optional("worker_id", String(128)),
    _optional("output", Text),
    _optional("result", JSON),
    _optional("error", Text),
    _optional("usage", JSON),
    _optional("dispatched_at", UTCDateTime()),
    _optional("followed_run_id", ID),
    UniqueConstraint("task_id", "scheduled_for"),
    Index("ux_runs_task_id_followed_run_id", "task_id", "followed_run_id", unique=True),
    Index("ix_runs_status_not_before", "status", "not_before"),
    Index("ix_runs_task_id_status", "task_id", "status"),
    Index(
        "ix_runs_outbox",
        "not_before",
        postgresql_where=text(_OUTBOX),
        sqlite_where=text(_OUTBOX),
    ),
)
"""``dispatched_at``: when the run was last handed to the broker (the distributed shape);
unset while it waits to be, so that the outbox index holds only the runs still to hand over.
``followed_run_id``: for a run of a task that follows another, the run it followed (one run
of a follower per followed run, at most: the unique pair). Not a foreign key: history is
purged oldest first, and a follower's run outlives the run it followed."""

run_attempts: Final = Table(
    "run_attempts",
    metadata,
    _required("id", ID, primary_key=True, autoincrement=True),
    _required("run_id", ID, ForeignKey("runs.id", ondelete="CASCADE")),
    _required("attempt", Integer),
    _optional("worker_id", String(128)),
    _required("started_at", UTCDateTime()),
    _optional("finished_at", UTCDateTime()),
    _required("status", String(16)),
    _optional("error", Text),
    UniqueConstraint("run_id", "attempt"),
)
"""Every attempt of a run, as it started and ended: a retry adds one, none overwrites another."""

channels: Final = Table(
    "channels",
    metadata,
    _required("id", ID, primary_key=True, autoincrement=True),
    _required("owner_id", String(64), ForeignKey("users.id", ondelete="CASCADE")),
    _required("name", String(64)),
    _required("url", Text),
    _required("shown", Text),
    _required("is_default", Boolean),
    _required("created_at", UTCDateTime()),
    UniqueConstraint("owner_id", "name"),
)
"""A person's named notification targets: ``url`` (an Apprise URL or an ``email:``/``sms:``
shorthand) is secret, ``shown`` is its masked form, the only one front doors print."""

deliveries: Final = Table(
    "deliveries",
    metadata,
    _required("id", ID, primary_key=True, autoincrement=True),
    _required("run_id", ID, ForeignKey("runs.id", ondelete="CASCADE")),
    _optional("channel_id", ID),
    _required("channel", String(64)),
    _required("owner_id", String(64)),
    _required("status", String(16)),
    _required("attempts", Integer),
    _required("title", Text),
    _required("body", Text),
    _optional("last_error", Text),
    _optional("next_attempt_at", UTCDateTime()),
    _optional("held_until", UTCDateTime()),
    _optional("sent_at", UTCDateTime()),
    _optional("worker_id", String(128)),
    _optional("lease_expires_at", UTCDateTime()),
    _required("created_at", UTCDateTime()),
    _required("updated_at", UTCDateTime()),
    UniqueConstraint("run_id", "channel_id"),
    Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    Index("ix_deliveries_owner_id_created_at", "owner_id", "created_at"),
)
"""One notification of one run on one channel (its message as written when the run
finished): a retried run finds it and sends nothing twice. ``channel`` keeps the channel's
name when the channel is removed (``channel_id`` then names nothing)."""

queue_depths: Final = Table(
    "queue_depths",
    metadata,
    Column("queue", String(64), primary_key=True),
    _required("depth", Integer),
    _required("measured_at", UTCDateTime()),
)
"""Messages waiting in each broker queue, as a scheduler last counted them."""

workers: Final = Table(
    "workers",
    metadata,
    _required("id", String(128), primary_key=True),
    _required("kind", String(16)),
    _required("started_at", UTCDateTime()),
    _required("seen_at", UTCDateTime()),
    _required("loops", JSON),
    _optional("details", JSON),
)
"""The processes serving the store, each seen at its last heartbeat, with its loops' states."""

conversations: Final = Table(
    "conversations",
    metadata,
    _required("id", ID, primary_key=True, autoincrement=True),
    _required("owner_id", String(64), ForeignKey("users.id")),
    _required("name", String(100)),
    _required("messages", JSON),
    _optional("last_turn", JSON),  # the latest message and its turn key, to spot a replay
    _required("created_at", UTCDateTime()),
    _required("updated_at", UTCDateTime()),
    UniqueConstraint("owner_id", "name"),
)
"""A person's chats with the assistant: their recent messages, in pydantic-ai's JSON form."""

events: Final = Table(
    "events",
    metadata,
    _required("id", ID, primary_key=True, autoincrement=True),
    _required("owner_id", String(64)),
    _required("kind", String(32)),
    _optional("task_id", BigInteger),
    _optional("run_id", BigInteger),
    _required("at", UTCDateTime()),
    _required("tx", BigInteger),
    _optional("data", JSON),
    Index("ix_events_tx_id", "tx", "id", sqlite_where=text("tx <> 0")),  # empty on SQLite
    Index("ix_events_owner_id_tx_id", "owner_id", "tx", "id"),
    sqlite_autoincrement=True,
)
"""What happened to a person's tasks, runs and deliveries, in order: written only by the
triggers of migration 0008, in the transaction of the change (``agentcron.store.events``)."""
