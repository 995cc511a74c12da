"""a person's tasks in the order lists show them (soonest first, then by id), so that a page
is read off an index instead of sorting all of the person's tasks at every page

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tasks_owner_id_next_run_at_id", "tasks", ["owner_id", "next_run_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_tasks_owner_id_next_run_at_id", table_name="tasks")
