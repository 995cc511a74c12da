"""Tasks that run after other tasks, through the service and the engine on a fake clock, on
SQLite and PostgreSQL: each step runs once per run it follows, in order, told what the step
before said; a step that cannot run says why with a skipped run; a cycle is refused, and
cancelling the head cancels the chain."""

from __future__ import annotations

import socket
from datetime import timedelta
from typing import Any

import pytest

from agentcron.errors import ConflictError, InvalidInputError, NotFoundError
from agentcron.service import TaskService
from agentcron.testing import FakeClock
from agentcron.views import RunView, TaskView
from tests.support.engine_rig import Rig


def reminder(title: str, when: str, message: str, **more: Any) -> dict[str, Any]:
    return {"title": title, "when": when, "action": "reminder", "payload": {"message": message},
            **more}  # fmt: skip


def dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # nothing listens there once the probe is closed


async def chain(service: TaskService) -> list[TaskView]:
    head = await service.create("ann", reminder("Fetch", "every day at 9am", "sales: 42"))
    middle = await service.create(
        "ann", reminder("Summarize", f"after task {head.id}", "summary of [{previous.output}]")
    )
    last = await service.create(
        "ann",
        reminder("Send", f"after task {middle.id}", "sending {previous.output} "
                 "(from run {previous.run_id}, due {previous.scheduled_for})"),
    )  # fmt: skip
    return [head, middle, last]


async def run_through(rig: Rig, clock: FakeClock, passes: int = 4) -> None:
    for _ in range(passes):
        await rig.tick()
        clock.advance(timedelta(seconds=1))


async def ran(rig: Rig, task: TaskView) -> list[RunView]:
    return await rig.runs(task.id)


async def test_each_step_runs_once_in_order_told_what_the_one_before_said(
    rig: Rig, service: TaskService, clock: FakeClock
) -> None:
    head, middle, last = await chain(service)
    assert middle.description == f"after each successful run of task {head.id}"
    assert (middle.schedule_kind, middle.next_run_at, middle.follows_task_id) == (
        "after", None, head.id
    )  # fmt: skip
    clock.set(head.next_run_at)  # type: ignore[arg-type]
    await run_through(rig, clock)
    [first], [second], [third] = [await ran(rig, t) for t in (head, middle, last)]
    assert [r.status for r in (first, second, third)] == ["succeeded"] * 3
    assert (second.followed_run_id, third.followed_run_id) == (first.id, second.id)
    assert (second.trigger, first.followed_run_id) == ("after", None)
    assert second.output == "summary of [sales: 42]"
    assert third.output == (
        f"sending summary of [sales: 42] (from run {second.id}, due "
        f"{second.scheduled_for.isoformat()})"
    )
    assert first.finished_at <= second.started_at <= third.started_at  # type: ignore[operator]
    # the next day: one more run of each, never a second for the same followed run
    clock.set(first.scheduled_for + timedelta(days=1))
    await run_through(rig, clock)
    assert [len(await ran(rig, t)) for t in (head, middle, last)] == [1 + 1] * 3
    for task in (middle, last):
        assert (await service.get("ann", task.id)).status == "active"  # a follower stays


async def test_a_failing_step_stops_the_chain_with_a_reason_and_a_retried_success_goes_on(
    rig: Rig, service: TaskService, clock: FakeClock
) -> None:
    head = await service.create("ann", reminder("Fetch", "every day at 9am", "sales: 42"))
    broken = await service.create(
        "ann",
        {"title": "Post", "when": f"after task {head.id}", "action": "http", "max_attempts": 1,
         "payload": {"url": f"http://127.0.0.1:{dead_port()}/hook", "body": "{previous.output}"}},
    )  # fmt: skip
    after_broken = await service.create(
        "ann", reminder("Confirm", f"after task {broken.id}", "posted {previous.output}")
    )
    on_failure = await service.create(
        "ann", reminder("Alarm", f"after task {broken.id} failed", "posting failed")
    )
    clock.set(head.next_run_at)  # type: ignore[arg-type]
    await run_through(rig, clock)
    [failed] = await ran(rig, broken)
    assert failed.status == "failed"
    assert "cannot connect" in (failed.error or "")
    [skipped] = await ran(rig, after_broken)
    assert (skipped.status, skipped.followed_run_id) == ("skipped", failed.id)
    assert skipped.reason == (
        f"run {failed.id} of task {broken.id} failed, and task {after_broken.id} runs only "
        "after its successful runs: the chain stops here"
    )
    [alarm] = await ran(rig, on_failure)
    assert (alarm.status, alarm.output) == ("succeeded", "posting failed")

    # the failed step fixed and retried by hand: its follower runs after all, once
    await service.update("ann", broken.id, {"payload": {"url": "http://127.0.0.1:9/x"}})
    await service.update("ann", broken.id, {"action": "reminder", "payload": {"message": "ok"}})
    await service.retry("ann", failed.id)
    await run_through(rig, clock)
    [again] = await ran(rig, after_broken)
    assert (again.id, again.status, again.output) == (skipped.id, "succeeded", "posted ok")
    assert len(await ran(rig, on_failure)) == 1  # its run came from the failure, once


async def test_a_paused_step_stops_the_chain_there_visibly(
    rig: Rig, service: TaskService, clock: FakeClock
) -> None:
    head, middle, last = await chain(service)
    await service.pause("ann", middle.id)
    clock.set(head.next_run_at)  # type: ignore[arg-type]
    await run_through(rig, clock)
    [held] = await ran(rig, middle)
    assert (held.status, held.reason) == (
        "skipped", f"task {middle.id} is paused: the chain stops here until it is resumed"
    )  # fmt: skip
    assert await ran(rig, last) == []


async def test_cancelling_the_head_cancels_the_chain(
    rig: Rig, service: TaskService, clock: FakeClock
) -> None:
    head, middle, last = await chain(service)
    other = await service.create("ann", reminder("Other", "every day at 9am", "x"))
    beside = await service.create("ann", reminder("Beside", f"after task {other.id}", "y"))
    await service.cancel("ann", head.id)
    assert [(await service.get("ann", t.id)).status for t in (head, middle, last)] == [
        "cancelled"
    ] * 3
    assert (await service.get("ann", beside.id)).status == "active"
    with pytest.raises(ConflictError, match=f"Task {head.id} was cancelled: it will not run"):
        await service.create("ann", reminder("Late", f"after task {head.id}", "z"))
    clock.set(other.next_run_at)  # type: ignore[arg-type]
    await run_through(rig, clock)
    assert [len(await ran(rig, t)) for t in (head, middle, last)] == [0, 0, 0]
    assert [r.status for r in await ran(rig, beside)] == ["succeeded"]


async def test_cycles_unknown_tasks_and_misused_placeholders_are_refused(
    service: TaskService,
) -> None:
    head = await service.create("ann", reminder("A", "every day at 9am", "a"))
    second = await service.create("ann", reminder("B", f"after task {head.id}", "b"))
    third = await service.create("ann", reminder("C", f"after task {second.id}", "c"))
    with pytest.raises(InvalidInputError, match="a cycle"):
        await service.update("ann", head.id, {"when": f"after task {third.id}"})
    with pytest.raises(InvalidInputError, match="cannot follow itself"):
        await service.update("ann", second.id, {"when": f"after task {second.id}"})
    assert (await service.get("ann", head.id)).schedule_kind == "rrule"  # nothing written
    with pytest.raises(NotFoundError, match="There is no task 999999 to run after"):
        await service.create("ann", reminder("D", "after task 999999", "d"))
    bobs = await service.create("bob", reminder("Bob's", "every day at 9am", "b"))
    with pytest.raises(NotFoundError, match=f"no task {bobs.id} to run after"):
        await service.create("ann", reminder("E", f"after task {bobs.id}", "e"))
    with pytest.raises(InvalidInputError, match=r"Unknown placeholder \{previous\.outptu\}"):
        await service.create("ann", reminder("F", f"after task {head.id}", "{previous.outptu}"))
    with pytest.raises(InvalidInputError, match="runs on a clock"):
        await service.create("ann", reminder("G", "every day at 9am", "{previous.output}"))
    changes = {"when": "every day at 10am", "payload": {"message": "{previous.output}"}}
    with pytest.raises(InvalidInputError, match="runs on a clock"):  # turned back to a clock
        await service.update("ann", third.id, changes)
    literal = await service.create("ann", reminder("H", "every day", 'JSON: {"a": 1} {name}'))
    assert literal.payload["message"] == 'JSON: {"a": 1} {name}'  # other braces stay as they are
    # a follower turned back into a clocked task, and into a follower again
    back = await service.update("ann", third.id, {"when": "every day at 10am"})
    assert (back.schedule_kind, back.follows_task_id) == ("rrule", None)
    assert back.next_run_at is not None
    again = await service.update("ann", third.id, {"when": f"after task {head.id} finished"})
    assert (again.follows_task_id, again.next_run_at) == (head.id, None)
    assert again.description == f"after each run of task {head.id}, whatever its outcome"
    with pytest.raises(ConflictError):
        await service.delete("ann", head.id)  # live: cancel first, as for any task
