"""People in the SQL store."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from agentcron.store._rows import USERS, Sql, user_view
from agentcron.views import UserView

_GET = select(USERS).where(USERS.c.id == bindparam("user_id"))


class SqlUsers:
    def __init__(self, session: Sql, sqlite: bool) -> None:
        self._session = session
        self._sqlite = sqlite

    async def get(self, user_id: str) -> UserView | None:
        row = (await self._session.execute(_GET, {"user_id": user_id})).first()
        return user_view(row) if row is not None else None

    async def add_if_absent(self, user: UserView) -> None:
        insert = sqlite_insert(USERS) if self._sqlite else pg_insert(USERS)
        await self._session.execute(
            insert.values(**asdict(user)).on_conflict_do_nothing(index_elements=[USERS.c.id])
        )
