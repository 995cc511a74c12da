"""Test doubles shipped with agentcron, so tests of agentcron and of its users share them."""

from __future__ import annotations

from datetime import datetime, timedelta

from agentcron.clock import ensure_utc


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self._now = ensure_utc(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by ``delta`` and return the new instant."""
        if delta < timedelta(0):
            raise ValueError("a clock never goes backwards")
        self._now += delta
        return self._now

    def set(self, instant: datetime) -> None:
        """Jump to ``instant`` (forward only)."""
        self.advance(ensure_utc(instant) - self._now)
