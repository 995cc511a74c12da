"""Monthly budgets: what a person's agent runs used this calendar month, in their zone.

A run's usage is counted in the month it finished. A cap is checked as an agent run
starts, so a run that starts under it may take the spend past it; the runs after it fail
fast, before any model request.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from agentcron.schedules import get_zone
from agentcron.views import Spend, UserView

if TYPE_CHECKING:
    from agentcron.abc import Repositories


def month_of(now: datetime, timezone: str) -> tuple[str, datetime, datetime]:
    """The calendar month ``now`` is in, in ``timezone``: its name, start and end (UTC)."""
    zone = get_zone(timezone)
    local = now.astimezone(zone)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    end = start.replace(year=year, month=month)
    return f"{start:%Y-%m}", start.astimezone(UTC), end.astimezone(UTC)


async def spend_of(store: Repositories, user: UserView, now: datetime) -> Spend:
    """The person's spend this month, with their caps (one read)."""
    month, start, end = month_of(now, user.timezone)
    tokens, cost = await store.runs.spent(user.id, start, end)
    return Spend(
        month=month,
        tokens=tokens,
        cost=cost,
        token_budget=user.monthly_token_budget,
        cost_budget=user.monthly_cost_budget,
        resets_at=end,
    )


def budget_failure(user: UserView, spend: Spend) -> str:
    """Why an agent run of a person over budget fails, and what lifts it."""
    resets = spend.resets_at.astimezone(get_zone(user.timezone))
    return (
        f"The monthly budget is reached ({spend.reached}, {spend.month}): agent tasks fail "
        f"until {resets:%d %B %Y %H:%M} ({user.timezone}) or until the budget is raised "
        f"('agentcron users set {user.id} --monthly-budget AMOUNT')."
    )
