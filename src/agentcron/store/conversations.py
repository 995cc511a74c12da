"""Conversations with the assistant in the SQL store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from agentcron.abc import StoredConversation
from agentcron.store._rows import CONVERSATIONS, Sql, upsert_into


class SqlConversations:
    def __init__(self, session: Sql, sqlite: bool) -> None:
        self._session = session
        self._sqlite = sqlite

    async def load(self, owner: str, name: str) -> StoredConversation | None:
        row = (
            await self._session.execute(
                select(CONVERSATIONS.c.messages, CONVERSATIONS.c.last_turn).where(
                    CONVERSATIONS.c.owner_id == owner, CONVERSATIONS.c.name == name
                )
            )
        ).first()
        if row is None:
            return None
        return StoredConversation(list(row.messages), row.last_turn)

    async def save(
        self,
        owner: str,
        name: str,
        messages: list[Any],
        last_turn: dict[str, Any],
        now: datetime,
    ) -> None:
        insert = upsert_into(CONVERSATIONS, self._sqlite)
        await self._session.execute(
            insert.values(
                owner_id=owner, name=name, messages=[], last_turn=None, created_at=now,
                updated_at=now,
            ).on_conflict_do_nothing(
                index_elements=[CONVERSATIONS.c.owner_id, CONVERSATIONS.c.name]
            )
        )  # fmt: skip
        await self._session.execute(
            update(CONVERSATIONS)
            .where(CONVERSATIONS.c.owner_id == owner, CONVERSATIONS.c.name == name)
            .values(messages=messages, last_turn=last_turn, updated_at=now)
        )
