"""The system clock; nothing in agentcron asks the machine for the time any other way.

The ``Clock`` contract is in ``agentcron.abc``; ``agentcron.testing.FakeClock`` is the
one tests move by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    """The machine's real-time clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def ensure_utc(instant: datetime) -> datetime:
    """Return ``instant`` in UTC; naive datetimes are refused because they hide a zone guess."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got naive {instant.isoformat()}")
    return instant.astimezone(UTC)
