"""the distributed shape: runs handed to the broker, workers' details, queue depths, runs
by task and status

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)
WAITING = "status IN ('queued', 'retrying') AND dispatched_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("runs") as runs:
        runs.add_column(sa.Column("dispatched_at", WHEN, nullable=True))
    op.create_index(
        "ix_runs_outbox",
        "runs",
        ["not_before"],
        postgresql_where=sa.text(WAITING),
        sqlite_where=sa.text(WAITING),
    )
    # "Does this task have a run still going?", asked for every recorded run: answered from
    # one index even before the planner has statistics (a fresh store's first burst).
    op.create_index("ix_runs_task_id_status", "runs", ["task_id", "status"])
    with op.batch_alter_table("workers") as workers:
        workers.add_column(sa.Column("details", sa.JSON(), nullable=True))
    op.create_table(
        "queue_depths",
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("measured_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("queue", name=op.f("pk_queue_depths")),
    )


def downgrade() -> None:
    op.drop_table("queue_depths")
    with op.batch_alter_table("workers") as workers:
        workers.drop_column("details")
    op.drop_index("ix_runs_task_id_status", table_name="runs")
    op.drop_index("ix_runs_outbox", table_name="runs")
    with op.batch_alter_table("runs") as runs:
        runs.drop_column("dispatched_at")
