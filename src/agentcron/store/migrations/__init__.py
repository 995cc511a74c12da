"""Alembic migrations: one history for SQLite and PostgreSQL."""

HEAD = "0012"
"""The newest revision. A store already at it is not migrated again, so alembic is
imported only when there is something to do (a test checks this matches alembic's head)."""
