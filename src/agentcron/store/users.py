"""People in the SQL store."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy import bindparam, func, or_, select, update

from agentcron.domain import LIVE_TASK_STATUSES
from agentcron.store._rows import TASKS, USERS, Sql, upsert_into, user_view
from agentcron.views import UserView

_GET = select(USERS).where(USERS.c.id == bindparam("user_id"))
_BY_CALENDAR = select(USERS).where(USERS.c.calendar_token == bindparam("token"))
_LIVE_TASKS = (
    select(func.count())
    .select_from(TASKS)
    .where(
        TASKS.c.owner_id == USERS.c.id,
        # not IN: an IN of bound values is re-rendered at every execution
        or_(*(TASKS.c.status == status for status in LIVE_TASK_STATUSES)),
    )
    .scalar_subquery()
)
_GET_COUNTING_LIVE = select(USERS, _LIVE_TASKS.label("live_tasks")).where(
    USERS.c.id == bindparam("user_id")
)


class SqlUsers:
    def __init__(self, session: Sql, sqlite: bool) -> None:
        self._session = session
        self._sqlite = sqlite

    async def get(self, user_id: str) -> UserView | None:
        row = (await self._session.execute(_GET, {"user_id": user_id})).first()
        return user_view(row) if row is not None else None

    async def get_counting_live(self, user_id: str) -> tuple[UserView, int] | None:
        row = (await self._session.execute(_GET_COUNTING_LIVE, {"user_id": user_id})).first()
        if row is None:
            return None
        values = dict(row._mapping)
        live = int(values.pop("live_tasks"))
        return UserView(**values), live

    async def add_if_absent(self, user: UserView) -> None:
        insert = upsert_into(USERS, self._sqlite)
        await self._session.execute(
            insert.values(**asdict(user)).on_conflict_do_nothing(index_elements=[USERS.c.id])
        )

    async def set_quiet_hours(self, user_id: str, quiet_hours: str | None) -> None:
        await self._session.execute(
            update(USERS).where(USERS.c.id == user_id).values(quiet_hours=quiet_hours)
        )

    async def set_timezone(self, user_id: str, timezone: str) -> None:
        await self._session.execute(
            update(USERS).where(USERS.c.id == user_id).values(timezone=timezone)
        )

    async def present(self) -> list[UserView]:
        query = select(USERS).where(USERS.c.removed_at.is_(None)).order_by(USERS.c.id)
        return [user_view(row) for row in await self._session.execute(query)]

    async def restore(self, user_id: str, name: str, timezone: str) -> None:
        await self._session.execute(
            update(USERS)
            .where(USERS.c.id == user_id)
            .values(name=name, timezone=timezone, removed_at=None)
        )

    async def mark_removed(self, user_id: str, now: datetime) -> None:
        await self._session.execute(
            update(USERS).where(USERS.c.id == user_id).values(removed_at=now)
        )

    async def set_budget(self, user_id: str, tokens: int | None, cost: float | None) -> None:
        await self._session.execute(
            update(USERS)
            .where(USERS.c.id == user_id)
            .values(monthly_token_budget=tokens, monthly_cost_budget=cost)
        )

    async def note_budget_notice(self, user_id: str, month: str) -> bool:
        told = await self._session.execute(
            update(USERS)
            .where(
                USERS.c.id == user_id,
                or_(USERS.c.budget_notice_month.is_(None), USERS.c.budget_notice_month != month),
            )
            .values(budget_notice_month=month)
        )
        return bool(told.rowcount)

    async def set_calendar_token(self, user_id: str, token: str | None) -> None:
        await self._session.execute(
            update(USERS).where(USERS.c.id == user_id).values(calendar_token=token)
        )

    async def by_calendar_token(self, token: str) -> UserView | None:
        row = (await self._session.execute(_BY_CALENDAR, {"token": token})).first()
        return user_view(row) if row is not None else None
