"""A private schema on a PostgreSQL server, for tests and benchmarks that need a store of
their own there: each works in a fresh schema of a shared database, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def private_schema(server: str, prefix: str = "agentcron") -> Iterator[str]:
    """A fresh schema on ``server`` (a database URL), as a URL that selects it (its
    ``search_path``); dropped, with everything in it, afterwards."""
    import psycopg  # noqa: PLC0415 - PostgreSQL only

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{server}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
