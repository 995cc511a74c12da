"""Test doubles shipped with agentcron, so tests of agentcron and of its users share them.

- ``FakeClock``: time that moves only when told to.
- ``temporary_store()``: a migrated store on a fresh SQLite file, removed afterwards, for
  service and planning tests that run in milliseconds.
- ``ManualExecutor``: keeps what the scheduler hands over until the test says ``drain()``.
- ``agentcron.testing.model_server``: a scripted OpenAI-compatible model server on loopback.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from agentcron.abc import Supervisor
from agentcron.clock import ensure_utc
from agentcron.domain import ClaimedRun, Outcome
from agentcron.engine.recorder import Recorder
from agentcron.engine.runner import Runner
from agentcron.store import SqlStore, sqlite_url


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


@asynccontextmanager
async def temporary_store() -> AsyncIterator[SqlStore]:
    """A migrated store on a new SQLite file in a temporary folder, closed and removed after.

    Its clock is the one it is asked with (``database_clock`` plays no part on SQLite), so
    a ``FakeClock`` drives everything.
    """
    with tempfile.TemporaryDirectory(prefix="agentcron-test-") as folder:
        store = SqlStore(sqlite_url(Path(folder) / "agentcron.db"))
        try:
            await store.migrate()
            yield store
        finally:
            await store.close()


class ManualExecutor:
    """An executor for tests: it keeps what the scheduler hands over until ``drain()``.

    ``drain()`` starts the runs with the real runner (committing their starts, as a worker
    does), performs them and writes their outcomes with the real recorder, so only the
    timing is under the test's control.
    With ``claim=True`` the scheduler writes runs as claimed by this executor's worker,
    as it does for the in-process executor.
    """

    def __init__(self, runner: Runner, recorder: Recorder, *, claim: bool = False) -> None:
        self.runner = runner
        self.recorder = recorder
        self.claim = claim
        self.submitted: list[int] = []
        self.claimed: dict[int, tuple[ClaimedRun, datetime]] = {}

    @property
    def claim_for(self) -> str | None:
        return self.runner.worker_id if self.claim else None

    def start(self, supervisor: Supervisor) -> None:
        """Nothing runs in the background: ``drain()`` does the work."""

    def recheck(self) -> None:
        """Nothing is held between drains."""

    async def idle(self) -> None:
        """Nothing runs in the background: what is held here waits for ``drain()``."""

    async def close(self, grace: float) -> None:
        self.submitted.clear()
        self.claimed.clear()

    def submit(self, run_ids: Iterable[int]) -> None:
        known = set(self.submitted) | set(self.claimed)
        for run_id in run_ids:
            if run_id not in known:
                self.submitted.append(run_id)
                known.add(run_id)

    def submit_at(self, runs: Iterable[tuple[int, datetime]]) -> None:
        """Runs not due yet are left in the store; the scheduler's sweep hands them over later."""
        now = self.runner.clock.now()
        self.submit(run_id for run_id, start in runs if start <= now)

    def submit_claimed(self, runs: Iterable[tuple[ClaimedRun, datetime]]) -> None:
        for run, start in runs:
            self.claimed.setdefault(run.id, (run, start))

    async def drain(self, *, concurrently: bool = False) -> list[Outcome]:
        """Perform every run handed over so far and due (one after another, or all at once
        as a worker with free slots would); the outcomes, in order."""
        now = self.runner.clock.now()
        due = [run for run, start in self.claimed.values() if start <= now]
        for run in due:
            del self.claimed[run.id]
        due = await self.runner.with_payloads(due)
        _, attempts = await self.runner.begin([run.id for run in due])
        begun = [replace(run, attempt=attempts[run.id]) for run in due if run.id in attempts]
        batch, self.submitted = self.submitted, []
        _, claimed = await self.runner.claim(batch)
        runs = begun + claimed
        if concurrently:
            outcomes = list(await asyncio.gather(*(self.runner.perform(run) for run in runs)))
        else:
            outcomes = [await self.runner.perform(run) for run in runs]
        await self.recorder.write(outcomes)
        return outcomes
