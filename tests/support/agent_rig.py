"""A rig for agent tests: the real scheduler, runner and recorder on a fake clock,
with the model answered by ``ScriptedModelServer``."""

from __future__ import annotations

from typing import Any

from agentcron.abc import Notices
from agentcron.engine.recorder import Recorder
from agentcron.engine.runner import Runner
from agentcron.engine.scheduler import Scheduler
from agentcron.service import TaskService
from agentcron.testing import FakeClock, ManualExecutor
from agentcron.testing.model_server import ToolCall, ToolCalls
from agentcron.views import RunView, TaskView


def report(message: str, *, notify: bool = True, complete: bool = False) -> ToolCalls:
    """The model's final answer: pydantic-ai asks for the report through ``final_result``."""
    arguments = {"message": message, "notify": notify, "complete": complete}
    return ToolCalls([ToolCall("final_result", arguments)], input_tokens=120, output_tokens=30)


class AgentRig:
    """Scheduler, runner (with the service, as serve has it) and recorder, on a fake clock;
    with ``notices`` (a ``Deliverer``), the recorder writes the runs' deliveries too."""

    def __init__(
        self, service: TaskService, clock: FakeClock, *, notices: Notices | None = None
    ) -> None:
        self.service, self.clock = service, clock
        store = service.store
        runner = Runner(store, clock, service.settings, service.actions, "w", tasks=service)
        self.outcomes: list[Any] = []

        async def collect(outcomes: list[Any]) -> None:
            self.outcomes += outcomes

        recorder = Recorder(store, clock, "w", on_recorded=collect, notices=notices)
        self.executor = ManualExecutor(runner, recorder)
        self.scheduler = Scheduler(store, clock, service.settings, self.executor)

    async def tick(self, *, concurrently: bool = False) -> None:
        await self.scheduler.run_pass()
        await self.executor.drain(concurrently=concurrently)

    async def agent_task(self, instructions: str, when: str, **options: Any) -> TaskView:
        request = {"title": "watch", "when": when, "action": "agent", **options}
        return await self.service.create(
            "ann", request | {"payload": {"instructions": instructions}}
        )

    async def runs(self, task_id: int) -> list[RunView]:
        return sorted(await self.service.list_runs("ann", task_id), key=lambda r: r.id)

    async def retry_now(self, task_id: int) -> RunView:
        """Move the clock to the retry of the task's one run and perform it; that run after."""
        (run,) = await self.runs(task_id)
        self.clock.set(run.not_before)
        await self.tick()  # the retry is handed to the executor
        await self.tick()  # and performed
        (run,) = await self.runs(task_id)
        return run

    async def until_next(self, task_id: int) -> None:
        task = await self.service.get("ann", task_id)
        assert task.next_run_at is not None
        self.clock.set(task.next_run_at)
        await self.tick()
