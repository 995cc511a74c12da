"""events: an append-only log of what happened to each person's tasks, runs and deliveries,
written by triggers in the transaction of the change itself

Triggers rather than the code that makes each change: every path that writes a task, a run
or a delivery (front doors, scheduler, workers, upkeep, a person's SQL) is covered, and an
event can neither be lost (it commits with its change) nor invented (it rolls back with it).

``tx`` (PostgreSQL) is the writing transaction's id: readers take events in (tx, id) order
and only from transactions older than every one still open, so an event whose transaction
commits late is never skipped by a reader that already went past its id. On SQLite one
writer at a time commits ids in order, and ``tx`` is 0.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)
ENDED = "('succeeded', 'failed', 'cancelled', 'skipped')"

# The kind of a task's change: its new status says it, else its version (an edit) does.
_TASK_KIND = """CASE
    WHEN NEW.status IS {differs} OLD.status AND NEW.status = 'paused' THEN 'task.paused'
    WHEN NEW.status IS {differs} OLD.status AND NEW.status = 'cancelled' THEN 'task.cancelled'
    WHEN NEW.status IS {differs} OLD.status AND NEW.status = 'completed' THEN 'task.completed'
    WHEN NEW.status IS {differs} OLD.status AND NEW.status = 'failed' THEN 'task.failed'
    WHEN NEW.status IS {differs} OLD.status AND OLD.status = 'paused' THEN 'task.resumed'
    ELSE 'task.changed' END"""
_TASK_CHANGED = "NEW.status IS {differs} OLD.status OR NEW.version IS {differs} OLD.version"
_RUN_RETRIED = (
    "NEW.status IS {differs} OLD.status AND (NEW.status = 'retrying' "
    "OR (OLD.status = 'failed' AND NEW.status = 'queued'))"
)
_RUN_ENDED = f"NEW.status IS {{differs}} OLD.status AND NEW.status IN {ENDED}"
_DELIVERY_DONE = "NEW.status IS {differs} OLD.status AND NEW.status IN ('sent', 'failed')"

_SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
_SQLITE_COLUMNS = "(owner_id, kind, task_id, run_id, at, tx, data)"


def _sqlite_triggers() -> list[str]:
    differs = "NOT"
    insert = f"INSERT INTO events {_SQLITE_COLUMNS}"
    run_owner = "(SELECT owner_id FROM tasks WHERE id = NEW.task_id)"
    run_data = "json_object('status', NEW.status, 'attempt', NEW.attempt)"
    return [
        f"""CREATE TRIGGER events_task_created AFTER INSERT ON tasks BEGIN
            {insert} VALUES (NEW.owner_id, 'task.created', NEW.id, NULL, {_SQLITE_NOW}, 0,
                json_object('status', NEW.status, 'title', NEW.title));
        END""",
        f"""CREATE TRIGGER events_task_changed AFTER UPDATE ON tasks
        WHEN {_TASK_CHANGED.format(differs=differs)} BEGIN
            {insert} VALUES (NEW.owner_id, {_TASK_KIND.format(differs=differs)}, NEW.id, NULL,
                {_SQLITE_NOW}, 0, json_object('status', NEW.status, 'title', NEW.title));
        END""",
        f"""CREATE TRIGGER events_run_ended_at_once AFTER INSERT ON runs
        WHEN NEW.status IN {ENDED} BEGIN
            {insert} VALUES ({run_owner}, 'run.finished', NEW.task_id, NEW.id, {_SQLITE_NOW},
                0, {run_data});
        END""",
        f"""CREATE TRIGGER events_run_changed AFTER UPDATE ON runs
        WHEN NEW.attempt > OLD.attempt OR NEW.status IS NOT OLD.status BEGIN
            {insert} SELECT {run_owner}, 'run.started', NEW.task_id, NEW.id, {_SQLITE_NOW}, 0,
                {run_data} WHERE NEW.attempt > OLD.attempt;
            {insert} SELECT {run_owner}, 'run.retried', NEW.task_id, NEW.id, {_SQLITE_NOW}, 0,
                {run_data} WHERE {_RUN_RETRIED.format(differs=differs)};
            {insert} SELECT {run_owner}, 'run.finished', NEW.task_id, NEW.id, {_SQLITE_NOW},
                0, {run_data} WHERE {_RUN_ENDED.format(differs=differs)};
        END""",
        f"""CREATE TRIGGER events_delivery_done AFTER UPDATE ON deliveries
        WHEN {_DELIVERY_DONE.format(differs=differs)} BEGIN
            {insert} SELECT NEW.owner_id, 'delivery.' || NEW.status, r.task_id, NEW.run_id,
                {_SQLITE_NOW}, 0, json_object('status', NEW.status, 'channel', NEW.channel)
            FROM runs r WHERE r.id = NEW.run_id;
        END""",
    ]


_PG_TX = "pg_current_xact_id()::text::bigint"
_PG_INSERT = "INSERT INTO events (owner_id, kind, task_id, run_id, at, tx, data) VALUES"


def _pg_function(name: str, body: str) -> str:
    """A trigger function, its search path the store's schema (as when it was made)."""
    return f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
    BEGIN
        {body}
        RETURN NULL;
    END $$"""


def _pg_statements() -> list[str]:
    differs = "DISTINCT FROM"
    run_data = "json_build_object('status', NEW.status, 'attempt', NEW.attempt)"
    task_data = "json_build_object('status', NEW.status, 'title', NEW.title)"
    run_event = (
        f"{_PG_INSERT} ((SELECT owner_id FROM tasks WHERE id = NEW.task_id), {{kind}}, "
        f"NEW.task_id, NEW.id, statement_timestamp(), {_PG_TX}, {run_data});"
    )
    return [
        _pg_function(
            "agentcron_task_events",
            f"""IF TG_OP = 'INSERT' THEN
            {_PG_INSERT} (NEW.owner_id, 'task.created', NEW.id, NULL, statement_timestamp(),
                {_PG_TX}, {task_data});
        ELSE
            {_PG_INSERT} (NEW.owner_id, {_TASK_KIND.format(differs=differs)}, NEW.id, NULL,
                statement_timestamp(), {_PG_TX}, {task_data});
        END IF;""",
        ),
        _pg_function(
            "agentcron_run_events",
            f"""IF TG_OP = 'INSERT' THEN
            {run_event.format(kind="'run.finished'")}
            RETURN NULL;
        END IF;
        IF NEW.attempt > OLD.attempt THEN
            {run_event.format(kind="'run.started'")}
        END IF;
        IF {_RUN_RETRIED.format(differs=differs)} THEN
            {run_event.format(kind="'run.retried'")}
        ELSIF {_RUN_ENDED.format(differs=differs)} THEN
            {run_event.format(kind="'run.finished'")}
        END IF;""",
        ),
        _pg_function(
            "agentcron_delivery_events",
            f"""{_PG_INSERT} (NEW.owner_id, 'delivery.' || NEW.status,
            (SELECT task_id FROM runs WHERE id = NEW.run_id), NEW.run_id,
            statement_timestamp(), {_PG_TX},
            json_build_object('status', NEW.status, 'channel', NEW.channel));""",
        ),
        """CREATE TRIGGER events_task_created AFTER INSERT ON tasks
        FOR EACH ROW EXECUTE FUNCTION agentcron_task_events()""",
        f"""CREATE TRIGGER events_task_changed AFTER UPDATE ON tasks FOR EACH ROW
        WHEN ({_TASK_CHANGED.format(differs=differs)})
        EXECUTE FUNCTION agentcron_task_events()""",
        f"""CREATE TRIGGER events_run_ended_at_once AFTER INSERT ON runs FOR EACH ROW
        WHEN (NEW.status IN {ENDED}) EXECUTE FUNCTION agentcron_run_events()""",
        """CREATE TRIGGER events_run_changed AFTER UPDATE ON runs FOR EACH ROW
        WHEN (NEW.attempt > OLD.attempt OR NEW.status IS DISTINCT FROM OLD.status)
        EXECUTE FUNCTION agentcron_run_events()""",
        f"""CREATE TRIGGER events_delivery_done AFTER UPDATE ON deliveries FOR EACH ROW
        WHEN ({_DELIVERY_DONE.format(differs=differs)})
        EXECUTE FUNCTION agentcron_delivery_events()""",
    ]


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=True),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("tx", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sqlite_autoincrement=True,  # ids never reused, even once the newest are purged
    )
    # SQLite orders every event by id alone (tx is 0): its (tx, id) index stays empty
    op.create_index("ix_events_tx_id", "events", ["tx", "id"], sqlite_where=sa.text("tx <> 0"))
    op.create_index("ix_events_owner_id_tx_id", "events", ["owner_id", "tx", "id"])
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _sqlite_triggers() if sqlite else _pg_statements():
        op.execute(statement)


def downgrade() -> None:
    for trigger, table in (
        ("events_task_created", "tasks"),
        ("events_task_changed", "tasks"),
        ("events_run_ended_at_once", "runs"),
        ("events_run_changed", "runs"),
        ("events_delivery_done", "deliveries"),
    ):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    if op.get_bind().dialect.name != "sqlite":
        for function in ("agentcron_task_events", "agentcron_run_events",
                         "agentcron_delivery_events"):  # fmt: skip
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    op.drop_index("ix_events_owner_id_tx_id", table_name="events")
    op.drop_index("ix_events_tx_id", table_name="events")
    op.drop_table("events")
