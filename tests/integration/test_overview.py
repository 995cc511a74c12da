"""What ``agentcron status`` reads, on SQLite and on PostgreSQL: the owner's next due task,
the run waiting longest past its start, and nothing of another owner's."""

from __future__ import annotations

from datetime import timedelta

from agentcron.service import TaskService
from agentcron.testing import FakeClock

REMINDER = {"action": "reminder", "payload": {"message": "hello"}}


async def test_the_next_due_task_and_the_oldest_waiting_run(
    service: TaskService, clock: FakeClock
) -> None:
    empty = await service.overview("ann", since=clock.now() - timedelta(days=1))
    assert (empty.next_task, empty.waiting, empty.runs) == (None, None, {})
    later = await service.create("ann", {"title": "Later", "when": "in 2 hours", **REMINDER})
    sooner = await service.create("ann", {"title": "Sooner", "when": "in 1 hour", **REMINDER})
    await service.create("bob", {"title": "Bob's", "when": "in 5 minutes", **REMINDER})
    first = await service.trigger("ann", later.id)
    clock.advance(timedelta(minutes=1))
    await service.trigger("ann", sooner.id)
    clock.advance(timedelta(minutes=1))

    overview = await service.overview("ann", since=clock.now() - timedelta(days=1))

    assert overview.next_task is not None
    assert (overview.next_task.id, overview.next_task.title) == (sooner.id, "Sooner")
    assert overview.waiting is not None
    assert (overview.waiting.run.id, overview.waiting.title) == (first.id, "Later")
    assert overview.waiting.waited == timedelta(minutes=2)
    assert overview.runs == {"queued": 2}
    shown = overview.to_dict()
    assert shown["next_task"]["id"] == sooner.id
    assert shown["oldest_waiting"]["waiting_seconds"] == 120.0


async def test_a_paused_task_is_not_due_next(service: TaskService, clock: FakeClock) -> None:
    task = await service.create("ann", {"title": "Soon", "when": "in 1 hour", **REMINDER})
    await service.pause("ann", task.id)
    overview = await service.overview("ann", since=clock.now() - timedelta(days=1))
    assert overview.next_task is None
    assert overview.waiting is None
