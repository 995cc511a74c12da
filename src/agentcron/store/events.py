"""Reading the events table, which only the triggers of migration 0008 write.

Events are read in (tx, id) order. On PostgreSQL a reader takes only events of transactions
older than every transaction of this database still open: a transaction that began first
but commits last cannot slip an event in behind a reader that has gone past it. On
SQLite writers take turns, so ids are committed in order and ``tx`` is 0.

The price on PostgreSQL: events wait for the oldest transaction open on the database to end,
so a session left idle in a transaction there holds every stream back until it ends
(those of other databases on the server do not, when the role may see them in
``pg_stat_activity``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, delete, literal_column, select, tuple_

from agentcron.store._rows import EVENTS, Sql
from agentcron.views import EventView

_SETTLED_SQL = """(SELECT coalesce(
    (SELECT min(x::text::bigint) FROM pg_snapshot_xip(pg_current_snapshot()) AS x
     WHERE NOT EXISTS (
        SELECT 1 FROM pg_stat_activity AS a
        WHERE a.backend_xid IS NOT NULL AND a.datname IS DISTINCT FROM current_database()
          AND a.backend_xid::text::bigint = x::text::bigint % 4294967296)),
    pg_snapshot_xmax(pg_current_snapshot())::text::bigint))"""
_SETTLED: ColumnElement[int] = literal_column(_SETTLED_SQL)
"""The oldest transaction that may still write events (one in progress in this statement's
snapshot, not known to belong to another database), else the snapshot's end: events of
older transactions are all committed or rolled back. One of another database, or one ended
since, counts when its database is not known: a wait, never a loss."""


class SqlEvents:
    def __init__(self, session: Sql, sqlite: bool) -> None:
        self._session = session
        self._sqlite = sqlite

    async def after(
        self, owner: str | None, position: tuple[int, int] | None, limit: int
    ) -> list[EventView]:
        query = select(EVENTS).order_by(EVENTS.c.tx, EVENTS.c.id).limit(limit)
        if owner is not None:
            query = query.where(EVENTS.c.owner_id == owner)
        if position is not None:
            query = query.where(tuple_(EVENTS.c.tx, EVENTS.c.id) > tuple_(*position))
        query = query.where(*self._settled())
        return [EventView(**row._mapping) for row in await self._session.execute(query)]

    async def last(self, owner: str, limit: int) -> list[EventView]:
        query = (
            select(EVENTS)
            .where(EVENTS.c.owner_id == owner, *self._settled())
            .order_by(EVENTS.c.tx.desc(), EVENTS.c.id.desc())
            .limit(limit)
        )
        rows = list(await self._session.execute(query))
        return [EventView(**row._mapping) for row in reversed(rows)]

    async def position_of(self, event_id: int) -> tuple[int, int] | None:
        row = (
            await self._session.execute(
                select(EVENTS.c.tx, EVENTS.c.id).where(EVENTS.c.id == event_id)
            )
        ).first()
        return (int(row.tx), int(row.id)) if row is not None else None

    async def end(self) -> tuple[int, int] | None:
        """The position of the latest settled event (every one after it is still to come)."""
        latest = [EVENTS.c.id.desc()] if self._sqlite else [EVENTS.c.tx.desc(), EVENTS.c.id.desc()]
        query = select(EVENTS.c.tx, EVENTS.c.id).where(*self._settled()).order_by(*latest).limit(1)
        row = (await self._session.execute(query)).first()
        return (int(row.tx), int(row.id)) if row is not None else None

    async def purge_before(self, before: datetime, limit: int) -> int:
        # oldest first by id (the key's order, no index on ``at``): events come in time order
        old = select(EVENTS.c.id).where(EVENTS.c.at < before).order_by(EVENTS.c.id).limit(limit)
        purged = await self._session.execute(
            delete(EVENTS).where(EVENTS.c.id.in_(old.scalar_subquery())).returning(EVENTS.c.id)
        )
        return len(purged.all())

    def _settled(self) -> list[ColumnElement[bool]]:
        return [] if self._sqlite else [EVENTS.c.tx < _SETTLED]
