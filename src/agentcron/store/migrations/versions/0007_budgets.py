"""monthly budgets: a cap per person on agent tokens and on cost, and the month they were
last told it was reached

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as users:
        users.add_column(sa.Column("monthly_token_budget", sa.BigInteger(), nullable=True))
        users.add_column(sa.Column("monthly_cost_budget", sa.Double(), nullable=True))
        users.add_column(sa.Column("budget_notice_month", sa.String(length=7), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as users:
        users.drop_column("budget_notice_month")
        users.drop_column("monthly_cost_budget")
        users.drop_column("monthly_token_budget")
