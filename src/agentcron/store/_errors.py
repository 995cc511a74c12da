"""Driver errors turned into agentcron's: what went wrong with the store, and what to do."""

from __future__ import annotations

import sqlite3

from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from agentcron.errors import AgentCronError, ConfigurationError, StoreError

_WHERE = "set AGENTCRON_HOME or AGENTCRON_DATABASE_URL to another place"


def where(url: URL) -> str:
    """The store for people: the SQLite file, or the PostgreSQL server without password."""
    if url.get_backend_name() == "sqlite":
        return url.database or "memory"
    host = url.host or "localhost"
    return f"PostgreSQL at {host}:{url.port or 5432}/{url.database or ''}"


def translate(error: BaseException, url: URL) -> AgentCronError:
    """The agentcron error a driver's (or the file system's) error means, for this store."""
    store = where(url)
    text = str(error.orig if isinstance(error, DBAPIError) else error)
    lowered = text.lower()
    if url.get_backend_name() == "sqlite":
        return _sqlite(lowered, text, store)
    host = url.host or "localhost"
    if any(s in lowered for s in ("translate host name", "name or service not known",
                                  "nodename nor servname", "failed to resolve host")):  # fmt: skip
        return ConfigurationError(
            f"Unknown PostgreSQL host '{host}' in AGENTCRON_DATABASE_URL; check the name."
        )
    if "does not exist" in lowered and "database" in lowered:
        return ConfigurationError(
            f"{store}: the database does not exist; create it or fix AGENTCRON_DATABASE_URL."
        )
    if "authentication failed" in lowered or "no password supplied" in lowered:
        return ConfigurationError(f"{store} refused the login; fix AGENTCRON_DATABASE_URL.")
    if any(s in lowered for s in ("connection refused", "timeout", "timed out",
                                  "could not connect", "server closed", "connection is closed",
                                  "terminating connection", "connection failed")):  # fmt: skip
        return StoreError(f"Cannot reach {store} ({_first_line(text)}); is it running?")
    return StoreError(f"{store} failed: {_first_line(text)}.")


def _sqlite(lowered: str, text: str, store: str) -> AgentCronError:
    if "database is locked" in lowered or "database table is locked" in lowered:
        return StoreError(
            f"The store {store} is locked by another program past the busy timeout; "
            "retry once it is done."
        )
    if "disk is full" in lowered or "no space left" in lowered:
        return StoreError(f"The disk holding {store} is full; free some space and retry.")
    if "file is not a database" in lowered or "malformed" in lowered:
        return ConfigurationError(
            f"{store} is not a usable agentcron store ({_first_line(text)}); "
            f"move it away, or {_WHERE}."
        )
    if "readonly" in lowered or "read-only" in lowered or "permission denied" in lowered:
        return ConfigurationError(f"The store {store} cannot be written (read-only); {_WHERE}.")
    if "unable to open" in lowered or "not a directory" in lowered:
        return ConfigurationError(f"Cannot open the store {store}; {_WHERE}.")
    return StoreError(f"The store {store} failed: {_first_line(text)}.")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0].rstrip(".") if text.strip() else "unknown error"


STORE_ERRORS: tuple[type[BaseException], ...] = (SQLAlchemyError, sqlite3.Error, OSError)
"""What the store catches and translates: the driver's errors (wrapped by SQLAlchemy, or
sqlite3's own where the store calls the driver directly) and the file system's."""
