"""People in the SQL store."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from agentcron.store._rows import USERS, user_view
from agentcron.views import UserView


class SqlUsers:
    def __init__(self, session: AsyncSession, sqlite: bool) -> None:
        self._session = session
        self._sqlite = sqlite

    async def get(self, user_id: str) -> UserView | None:
        row = (await self._session.execute(select(USERS).where(USERS.c.id == user_id))).first()
        return user_view(row) if row is not None else None

    async def add_if_absent(self, user: UserView) -> None:
        insert = sqlite_insert(USERS) if self._sqlite else pg_insert(USERS)
        await self._session.execute(
            insert.values(**asdict(user)).on_conflict_do_nothing(index_elements=[USERS.c.id])
        )
