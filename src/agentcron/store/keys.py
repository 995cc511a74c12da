"""API keys in the SQL store (their secrets hashed: ``agentcron.keys``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, bindparam, delete, insert, select, update

from agentcron.store import models
from agentcron.store._rows import USERS, Sql
from agentcron.views import ApiKeyView

KEYS = models.api_keys
SESSIONS = models.web_sessions
_LISTED = [c for c in KEYS.c if c.name != "secret_hash"]
_WITH_PERSON = (
    select(*KEYS.c, USERS.c.removed_at.label("person_removed_at"))
    .join(USERS, USERS.c.id == KEYS.c.user_id)
    .where(KEYS.c.id == bindparam("key_id"))
)
"""Built once: building a statement and its cache key costs more than running this one."""
_SESSION_WITH_KEY = (
    select(
        *KEYS.c,
        USERS.c.removed_at.label("person_removed_at"),
        SESSIONS.c.secret_hash.label("session_hash"),
        SESSIONS.c.expires_at.label("session_expires_at"),
    )
    .join(KEYS, KEYS.c.id == SESSIONS.c.key_id)
    .join(USERS, USERS.c.id == KEYS.c.user_id)
    .where(SESSIONS.c.id == bindparam("session_id"))
)


def _view(row: Row[Any]) -> ApiKeyView:
    return ApiKeyView(**{c.name: row._mapping[c.name] for c in _LISTED})


class SqlKeys:
    def __init__(self, session: Sql, sqlite: bool) -> None:
        self._session = session
        self._sqlite = sqlite

    async def add(self, key: ApiKeyView, secret_hash: str) -> None:
        values = {c.name: getattr(key, c.name) for c in _LISTED}
        await self._session.execute(insert(KEYS).values(**values, secret_hash=secret_hash))

    async def get(self, key_id: str) -> tuple[ApiKeyView, str] | None:
        row = (await self._session.execute(select(KEYS).where(KEYS.c.id == key_id))).first()
        return (_view(row), row.secret_hash) if row is not None else None

    async def get_with_person(self, key_id: str) -> tuple[ApiKeyView, str, bool] | None:
        row = (await self._session.execute(_WITH_PERSON, {"key_id": key_id})).first()
        if row is None:
            return None
        return _view(row), row.secret_hash, row.person_removed_at is None

    async def listed(self, user_id: str | None) -> list[ApiKeyView]:
        query = select(*_LISTED).order_by(KEYS.c.created_at, KEYS.c.id)
        if user_id is not None:
            query = query.where(KEYS.c.user_id == user_id)
        return [_view(row) for row in await self._session.execute(query)]

    async def revoke(self, key_id: str, now: datetime) -> bool:
        return await self._revoke(KEYS.c.id == key_id, now) == 1

    async def revoke_of_user(self, user_id: str, now: datetime) -> int:
        return await self._revoke(KEYS.c.user_id == user_id, now)

    async def _revoke(self, which: ColumnElement[bool], now: datetime) -> int:
        revoked = await self._session.execute(
            update(KEYS)
            .where(which, KEYS.c.revoked_at.is_(None))
            .values(revoked_at=now)
            .returning(KEYS.c.id)
        )
        return len(revoked.all())

    async def add_session(
        self, session_id: str, key_id: str, secret_hash: str, now: datetime, expires_at: datetime
    ) -> None:
        """A new web session of the key; the key's sessions that expired go (a key is
        signed in with a few times a week: this is their only upkeep)."""
        await self._session.execute(
            delete(SESSIONS).where(SESSIONS.c.key_id == key_id, SESSIONS.c.expires_at <= now)
        )
        await self._session.execute(
            insert(SESSIONS).values(
                id=session_id,
                key_id=key_id,
                secret_hash=secret_hash,
                created_at=now,
                expires_at=expires_at,
            )
        )

    async def get_session(self, session_id: str) -> tuple[ApiKeyView, str, datetime, bool] | None:
        row = (await self._session.execute(_SESSION_WITH_KEY, {"session_id": session_id})).first()
        if row is None:
            return None
        present = row.person_removed_at is None
        return _view(row), row.session_hash, row.session_expires_at, present

    async def remove_session(self, session_id: str) -> None:
        await self._session.execute(delete(SESSIONS).where(SESSIONS.c.id == session_id))
