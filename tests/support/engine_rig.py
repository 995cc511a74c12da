"""A rig for engine tests: the service, a scheduler and a manual executor on one store and
one fake clock."""

from __future__ import annotations

from dataclasses import replace

from agentcron.config import Settings
from agentcron.domain import ClaimedRun
from agentcron.engine.recorder import Recorder
from agentcron.engine.runner import Runner
from agentcron.engine.scheduler import Scheduler
from agentcron.service import TaskService
from agentcron.testing import FakeClock, ManualExecutor
from agentcron.views import RunView


class Rig:
    """A service, a scheduler and a manual executor sharing one store and one fake clock."""

    def __init__(
        self,
        service: TaskService,
        clock: FakeClock,
        settings: Settings,
        *,
        claim: bool,
        worker: str = "test-worker",
    ) -> None:
        store = service.store
        self.service, self.clock = service, clock
        runner = Runner(store, clock, settings, service.actions, worker)
        self.recorder = Recorder(store, clock, worker)
        self.executor = ManualExecutor(runner, self.recorder, claim=claim)
        self.scheduler = Scheduler(store, clock, settings, self.executor)

    async def start_handed_over(self) -> list[ClaimedRun]:
        """Start what the scheduler handed the executor and is due, as a worker does (each
        start committed first); the executor forgets them, so only the test finishes them."""
        now = self.clock.now()
        held = [run for run, start in self.executor.claimed.values() if start <= now]
        held = await self.executor.runner.with_payloads(held)
        for run in held:
            del self.executor.claimed[run.id]
        submitted, self.executor.submitted = self.executor.submitted, []
        runner = self.executor.runner
        _, attempts = await runner.begin([run.id for run in held])
        _, claimed = await runner.claim(submitted)
        begun = [replace(run, attempt=attempts[run.id]) for run in held if run.id in attempts]
        return begun + claimed

    async def tick(self) -> None:
        await self.scheduler.run_pass()
        await self.executor.drain()

    async def runs(self, task_id: int) -> list[RunView]:
        return sorted(
            await self.service.list_runs("ann", task_id), key=lambda r: (r.scheduled_for, r.id)
        )
