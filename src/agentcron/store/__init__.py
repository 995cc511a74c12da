"""The store: the source of truth, on SQLite (embedded) or PostgreSQL (distributed).

All of agentcron's SQL lives here, one module per aggregate (``users``, ``tasks``,
``runs``, ``conversations``), behind the contracts of ``agentcron.abc``; the tables are
in ``models``, the migrations in ``migrations/``.
"""

from agentcron.store._private import private_file, tighten_store
from agentcron.store.database import SqlStore, database_url, default_sqlite_path, sqlite_url

__all__ = [
    "SqlStore",
    "database_url",
    "default_sqlite_path",
    "private_file",
    "sqlite_url",
    "tighten_store",
]
