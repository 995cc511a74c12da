"""chains: a task may follow another (its runs made when the other's end), and a run records
the run it followed, once per followed run

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # plain ALTERs and indexes: on SQLite, a batch would rebuild the tables, which the
    # events triggers on them refuse
    op.add_column("tasks", sa.Column("follows_task_id", ID, nullable=True))
    op.create_index("ix_tasks_follows_task_id", "tasks", ["follows_task_id"])
    op.add_column("runs", sa.Column("followed_run_id", ID, nullable=True))
    op.create_index(
        "ux_runs_task_id_followed_run_id", "runs", ["task_id", "followed_run_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index("ux_runs_task_id_followed_run_id", table_name="runs")
    op.drop_index("ix_tasks_follows_task_id", table_name="tasks")
    with op.batch_alter_table("runs") as runs:
        runs.drop_column("followed_run_id")
    with op.batch_alter_table("tasks") as tasks:
        tasks.drop_column("follows_task_id")
