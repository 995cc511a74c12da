"""A person's notification channels in the SQL store."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from agentcron.errors import DuplicateError
from agentcron.store._rows import CHANNELS, Sql, channel_view
from agentcron.views import ChannelView


class SqlChannels:
    def __init__(self, session: Sql, sqlite: bool) -> None:
        self._session = session
        self._sqlite = sqlite

    async def add(self, channel: dict[str, object]) -> ChannelView:
        try:
            row = (
                await self._session.execute(insert(CHANNELS).values(**channel).returning(CHANNELS))
            ).one()
        except IntegrityError:
            raise DuplicateError(f"A channel named '{channel['name']}' exists already.") from None
        return channel_view(row)

    async def of_owner(self, owner: str) -> list[ChannelView]:
        query = select(CHANNELS).where(CHANNELS.c.owner_id == owner).order_by(CHANNELS.c.name)
        return [channel_view(row) for row in await self._session.execute(query)]

    async def of_owners(self, owners: Sequence[str]) -> dict[str, list[ChannelView]]:
        found: dict[str, list[ChannelView]] = {owner: [] for owner in owners}
        query = select(CHANNELS).where(CHANNELS.c.owner_id.in_(owners)).order_by(CHANNELS.c.name)
        for row in await self._session.execute(query):
            found[row.owner_id].append(channel_view(row))
        return found

    async def get(self, owner: str, name: str) -> ChannelView | None:
        query = select(CHANNELS).where(CHANNELS.c.owner_id == owner, CHANNELS.c.name == name)
        row = (await self._session.execute(query)).first()
        return channel_view(row) if row is not None else None

    async def remove(self, owner: str, name: str) -> None:
        await self._session.execute(
            delete(CHANNELS).where(CHANNELS.c.owner_id == owner, CHANNELS.c.name == name)
        )

    async def set_default(self, owner: str, name: str, is_default: bool) -> None:
        await self._session.execute(
            update(CHANNELS)
            .where(CHANNELS.c.owner_id == owner, CHANNELS.c.name == name)
            .values(is_default=is_default)
        )
