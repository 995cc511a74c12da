"""Test doubles shipped with agentcron, so tests of agentcron and of its users share them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime, timedelta

from agentcron.clock import ensure_utc
from agentcron.engine.queries import TakenRun
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

    ``drain()`` performs the runs with the real runner and writes their starts and
    outcomes with the real recorder, so only the timing is under the test's control.
    With ``hold=True`` the scheduler writes runs as held by this executor's worker,
    as it does for the in-process executor.
    """

    def __init__(self, runner: Runner, recorder: Recorder, *, hold: bool = False) -> None:
        self.runner = runner
        self.recorder = recorder
        self.hold = hold
        self.submitted: list[int] = []
        self.held: dict[int, tuple[TakenRun, datetime]] = {}

    @property
    def reserve_for(self) -> str | None:
        return self.runner.worker_id if self.hold else None

    @property
    def inflight(self) -> set[int]:
        return set(self.submitted) | set(self.held)

    def submit(self, run_ids: Iterable[int]) -> None:
        known = self.inflight
        for run_id in run_ids:
            if run_id not in known:
                self.submitted.append(run_id)
                known.add(run_id)

    def submit_at(self, runs: Iterable[tuple[int, datetime]]) -> None:
        """Runs not due yet are left in the store; the scheduler's sweep hands them over later."""
        now = self.runner.clock.now()
        self.submit(run_id for run_id, start in runs if start <= now)

    def submit_held(self, runs: Iterable[tuple[TakenRun, datetime]]) -> None:
        for run, start in runs:
            self.held.setdefault(run.id, (run, start))

    async def drain(self, *, concurrently: bool = False) -> list[Outcome]:
        """Perform every run handed over so far and due (one after another, or all at once
        as a worker with free slots would); the outcomes, in order."""
        now = self.runner.clock.now()
        due = [run for run, start in self.held.values() if start <= now]
        for run in due:
            del self.held[run.id]
        batch, self.submitted = self.submitted, []
        runs = due + await self.runner.take(batch)
        if concurrently:
            outcomes = list(await asyncio.gather(*(self.runner.perform(run) for run in runs)))
        else:
            outcomes = [await self.runner.perform(run) for run in runs]
        await self.recorder.write(outcomes)
        return outcomes
