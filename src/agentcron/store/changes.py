"""Telling schedulers in other processes that tasks changed, through PostgreSQL itself:
``NOTIFY agentcron_wake`` on every change, ``LISTEN`` in every scheduler.

A notification reaches every listener of the database, whatever its schema, so each
carries the schema of the store that changed (``current_schema()``), and a listener
wakes only for its own: stores in other schemas of one database (other deployments,
test runs) do not wake it, each wake-up costing a few reads.

(On SQLite, processes share a machine: they wake each other with a datagram on a Unix
socket beside the store, which ``agentcron.engine.wakeup`` sends and receives.)
"""

from __future__ import annotations

from sqlalchemy import text

from agentcron.abc import Wakeup

CHANNEL = "agentcron_wake"
NOTIFY = text(f"SELECT pg_notify('{CHANNEL}', current_schema())")
"""Sent inside a transaction: delivered to every listener when it commits."""


async def listen(dsn: str, wakeup: Wakeup) -> None:
    """Wake on every ``NOTIFY agentcron_wake`` of this store's schema while one connection
    lasts; a lost connection raises the driver's error (the caller's supervisor reconnects,
    after a pause)."""
    import psycopg  # noqa: PLC0415 - only the distributed shape needs it

    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as connection:
        row = await (await connection.execute("SELECT current_schema()")).fetchone()
        schema = (row[0] if row else None) or ""
        await connection.execute(f"LISTEN {CHANNEL}")
        wakeup.wake()  # changes made while not listening are seen now
        async for notice in connection.notifies():
            if notice.payload == schema:
                wakeup.wake()
