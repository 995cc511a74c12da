"""calendar feeds: each person's token for their upcoming runs as iCalendar (none until
asked for; a new one replaces it, and revoking clears it)

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as users:
        users.add_column(sa.Column("calendar_token", sa.String(length=64), nullable=True))
        users.create_unique_constraint("uq_users_calendar_token", ["calendar_token"])


def downgrade() -> None:
    with op.batch_alter_table("users") as users:
        users.drop_constraint("uq_users_calendar_token", type_="unique")
        users.drop_column("calendar_token")
