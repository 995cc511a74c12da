"""Deliveries in the SQL store: one row per run and channel, written with the run's outcome
(so a retried run finds its row and sends nothing twice), claimed before each send."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update

from agentcron.domain import SENDABLE_DELIVERY_STATUSES, DeliveryJob, DeliveryStatus
from agentcron.store._rows import (
    CHANNELS,
    DELIVERIES,
    USERS,
    Sql,
    delivery_view,
    storable_id,
    upsert_into,
)
from agentcron.store.channels import SqlChannels
from agentcron.views import DeliveryView, Recipient

_RENEW_CHUNK = 5000
LOST_ERROR = (
    "the process sending it stopped during the send: it may or may not have arrived, so it "
    "is not sent again on its own ('agentcron deliveries retry ID' sends it again)"
)
_RECORD = (
    update(DELIVERIES)
    .where(
        DELIVERIES.c.id == bindparam("delivery_id"),
        DELIVERIES.c.status == DeliveryStatus.SENDING,
        DELIVERIES.c.worker_id == bindparam("worker"),
    )
    .values(
        status=bindparam("status"),
        last_error=bindparam("error"),
        next_attempt_at=bindparam("retry_at"),
        sent_at=bindparam("sent_at"),
        updated_at=bindparam("now"),
        worker_id=None,
        lease_expires_at=None,
    )
)


def _add_statement(sqlite: bool) -> Any:
    """INSERT of many deliveries (executemany, in a thread on SQLite), skipping a run and
    channel that has one already, returning what was inserted."""
    return (
        upsert_into(DELIVERIES, sqlite)
        .on_conflict_do_nothing(index_elements=[DELIVERIES.c.run_id, DELIVERIES.c.channel_id])
        .returning(DELIVERIES.c.id, DELIVERIES.c.run_id, DELIVERIES.c.channel_id)
    )


class SqlDeliveries:
    def __init__(self, session: Sql, sqlite: bool) -> None:
        self._session = session
        self._sqlite = sqlite

    async def recipients(self, owners: Sequence[str]) -> dict[str, Recipient]:
        if not owners:
            return {}
        channels = await SqlChannels(self._session, self._sqlite).of_owners(owners)
        if not any(channels.values()):
            return {}  # nobody to tell: the zone and quiet hours do not matter
        query = select(USERS.c.id, USERS.c.timezone, USERS.c.quiet_hours).where(
            USERS.c.id.in_(owners)
        )
        return {
            row.id: Recipient(row.id, row.timezone, row.quiet_hours, channels[row.id])
            for row in await self._session.execute(query)
        }

    async def add_many(self, deliveries: Sequence[dict[str, Any]]) -> dict[tuple[int, int], int]:
        if not deliveries:
            return {}
        inserted = await self._session.execute(_add_statement(self._sqlite), list(deliveries))
        return {(row.run_id, row.channel_id): row.id for row in inserted}

    async def jobs(self, delivery_ids: Sequence[int]) -> list[DeliveryJob]:
        """The deliveries being sent (status ``sending``), with their channels' URLs; one whose
        channel was removed meanwhile comes with an empty URL."""
        if not delivery_ids:
            return []
        query = (
            select(DELIVERIES, func.coalesce(CHANNELS.c.url, "").label("url"))
            .outerjoin(CHANNELS, CHANNELS.c.id == DELIVERIES.c.channel_id)
            .where(DELIVERIES.c.id.in_(delivery_ids))
            .order_by(DELIVERIES.c.id)
        )
        return [
            DeliveryJob(
                row.id, row.run_id, row.owner_id, row.channel, row.url, row.title, row.body,
                row.attempts,
            )
            for row in await self._session.execute(query)
        ]  # fmt: skip

    async def claim_due(
        self, now: datetime, limit: int, worker_id: str, lease: timedelta
    ) -> list[DeliveryJob]:
        due = (
            select(DELIVERIES.c.id)
            .where(
                DELIVERIES.c.status.in_(SENDABLE_DELIVERY_STATUSES),
                DELIVERIES.c.next_attempt_at <= now,
            )
            .order_by(DELIVERIES.c.next_attempt_at)
            .limit(limit)
        )
        if not self._sqlite:
            due = due.with_for_update(skip_locked=True)
        ids = [row[0] for row in await self._session.execute(due)]
        if not ids:
            return []
        await self._session.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.id.in_(ids))
            .values(
                status=DeliveryStatus.SENDING, attempts=DELIVERIES.c.attempts + 1,
                worker_id=worker_id, lease_expires_at=now + lease, updated_at=now,
            )
        )  # fmt: skip
        return await self.jobs(ids)

    async def record(
        self, results: Sequence[dict[str, Any]], worker_id: str, now: datetime
    ) -> None:
        if results:
            rows = [result | {"worker": worker_id, "now": now} for result in results]
            await self._session.execute(_RECORD, rows)

    async def renew_leases(
        self, delivery_ids: Sequence[int], now: datetime, lease: timedelta, worker_id: str
    ) -> None:
        for start in range(0, len(delivery_ids), _RENEW_CHUNK):
            await self._session.execute(
                update(DELIVERIES)
                .where(
                    DELIVERIES.c.id.in_(delivery_ids[start : start + _RENEW_CHUNK]),
                    DELIVERIES.c.status == DeliveryStatus.SENDING,
                    DELIVERIES.c.worker_id == worker_id,
                )
                .values(lease_expires_at=now + lease)
            )

    async def lose_stale(self, now: datetime, *, every_sending: bool = False) -> int:
        stale = DELIVERIES.c.status == DeliveryStatus.SENDING
        if not every_sending:
            stale = stale & (DELIVERIES.c.lease_expires_at < now)
        result = await self._session.execute(
            update(DELIVERIES)
            .where(stale)
            .values(
                status=DeliveryStatus.UNKNOWN, last_error=LOST_ERROR, worker_id=None,
                lease_expires_at=None, next_attempt_at=None, updated_at=now,
            )
        )  # fmt: skip
        return int(getattr(result, "rowcount", 0) or 0)

    async def next_due(self) -> datetime | None:
        value: datetime | None = await self._session.scalar(
            select(func.min(DELIVERIES.c.next_attempt_at)).where(
                DELIVERIES.c.status.in_(SENDABLE_DELIVERY_STATUSES)
            )
        )
        return value

    async def next_lease_expiry(self) -> datetime | None:
        value: datetime | None = await self._session.scalar(
            select(func.min(DELIVERIES.c.lease_expires_at)).where(
                DELIVERIES.c.status == DeliveryStatus.SENDING
            )
        )
        return value

    async def for_runs(self, run_ids: Sequence[int]) -> dict[int, list[DeliveryView]]:
        found: dict[int, list[DeliveryView]] = {run_id: [] for run_id in run_ids}
        if not run_ids:
            return found
        query = (
            select(DELIVERIES)
            .where(DELIVERIES.c.run_id.in_(run_ids))
            .order_by(DELIVERIES.c.run_id, DELIVERIES.c.channel)
        )
        for row in await self._session.execute(query):
            found[row.run_id].append(delivery_view(row))
        return found

    async def recent(
        self, owner: str, *, statuses: Sequence[str] | None, limit: int
    ) -> list[DeliveryView]:
        query = select(DELIVERIES).where(DELIVERIES.c.owner_id == owner)
        if statuses:
            query = query.where(or_(*(DELIVERIES.c.status == status for status in statuses)))
        query = query.order_by(DELIVERIES.c.created_at.desc(), DELIVERIES.c.id.desc()).limit(limit)
        return [delivery_view(row) for row in await self._session.execute(query)]

    async def get(self, owner: str, delivery_id: int) -> DeliveryView | None:
        if not storable_id(delivery_id):
            return None
        query = select(DELIVERIES).where(
            DELIVERIES.c.id == delivery_id, DELIVERIES.c.owner_id == owner
        )
        row = (await self._session.execute(query)).first()
        return delivery_view(row) if row is not None else None

    async def send_again(self, delivery_id: int, now: datetime) -> None:
        await self._session.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.id == delivery_id)
            .values(
                status=DeliveryStatus.PENDING, next_attempt_at=now, held_until=None,
                updated_at=now,
            )
        )  # fmt: skip
