"""Alembic environment: migrations run on a connection handed over by agentcron."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from agentcron.store.models import metadata

target_metadata = metadata
config = context.config
connection = config.attributes.get("connection")

if connection is None:  # the alembic command line, e.g. to write a new revision
    url = config.get_main_option("sqlalchemy.url") or "sqlite:///agentcron-dev.db"
    with create_engine(url).connect() as fresh:
        context.configure(connection=fresh, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
