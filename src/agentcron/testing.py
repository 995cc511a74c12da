"""Test doubles shipped with agentcron, so tests of agentcron and of its users share them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from agentcron.clock import ensure_utc
from agentcron.engine.recorder import Recorder
from agentcron.engine.runner import Outcome, Runner


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


class ManualExecutor:
    """An executor for tests: it keeps what the scheduler hands over until ``drain()``.

    ``drain()`` performs the runs with the real runner and writes their outcomes
    with the real recorder, so only the timing is under the test's control.
    """

    def __init__(self, runner: Runner, recorder: Recorder) -> None:
        self.runner = runner
        self.recorder = recorder
        self.submitted: list[int] = []

    @property
    def inflight(self) -> set[int]:
        return set(self.submitted)

    def submit(self, run_ids: Iterable[int]) -> None:
        self.submitted.extend(i for i in run_ids if i not in self.submitted)

    def submit_at(self, runs: Iterable[tuple[int, datetime]]) -> None:
        """Runs not due yet are left in the store; the scheduler's sweep hands them over later."""
        now = self.runner.clock.now()
        self.submit(run_id for run_id, start in runs if start <= now)

    async def drain(self) -> list[Outcome]:
        """Perform every run handed over so far; the outcomes, in order."""
        batch, self.submitted = self.submitted, []
        taken = await self.runner.take(batch)
        outcomes = [await self.runner.perform(run) for run in taken]
        await self.recorder.write(outcomes)
        return outcomes
