"""What a person cancels, pauses or moves never fires, up to the last instant, with
``agentcron serve`` running: runs written ahead or held in its memory are withdrawn.

The changes are made through the service in this process, on the same store as serve
(as any front door makes them: its change signal reaches serve), so that they land at
chosen instants before the occurrence, closer than a command's start-up allows.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agentcron.bootstrap import build_service
from agentcron.config import Settings
from agentcron.service import TaskService
from agentcron.store import SqlStore
from agentcron.views import TaskView
from tests.acceptance.test_serve import Serve, environment

# Changes made tenths of a second before the instant: alone, after the others (`make test`).
pytestmark = pytest.mark.serial

BEFORE_SECONDS = {"1.5 s": 1.5, "0.2 s": 0.2, "the last tick": 0.05}


@pytest.fixture
def store_url(database_url: str) -> str:
    """The store serve and the test share: SQLite in the test's folder, or PostgreSQL."""
    return database_url


def serve_on(url: str, home: Path) -> Serve:
    extra = {} if url.startswith("sqlite") else {"AGENTCRON_DATABASE_URL": url}
    return Serve(environment(home, **extra), home / "serve.log")


async def open_service(url: str) -> TaskService:
    store = SqlStore(url)
    await store.migrate()
    settings = Settings(timezone="Europe/Paris", max_active_tasks=500)
    service = build_service(settings, store)
    await service.ensure_user("local", timezone="Europe/Paris")
    return service


async def sleep_until(instant: datetime) -> None:
    await asyncio.sleep(max(0.0, (instant - datetime.now(UTC)).total_seconds()))


async def within(seconds: float, check: Callable[[], Awaitable[bool]]) -> bool:
    """Whether ``check`` holds within ``seconds``: looked at until it does, not once after."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not (held := await check()) and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    return held


async def one_off(service: TaskService, title: str, due: datetime) -> TaskView:
    request = {"title": title, "when": due.isoformat(), "payload": {"message": title}}
    return await service.create("local", request)


async def fired(service: TaskService, task_id: int) -> bool:
    runs = await service.list_runs("local", task_id)
    return any(run.status == "succeeded" for run in runs)


@pytest.mark.parametrize("before", BEFORE_SECONDS.values(), ids=BEFORE_SECONDS.keys())
def test_cancel_pause_and_a_new_schedule_hold_up_to_the_instant(
    store_url: str, tmp_path: Path, before: float
) -> None:
    """Each change lands ``before`` its own task's instant, after serve wrote the run ahead
    and holds it; none of the three fires, and a task left alone does."""
    serve = serve_on(store_url, tmp_path)

    late: set[str] = set()

    async def change_at(instant: datetime, change: Awaitable[TaskView]) -> None:
        await sleep_until(instant - timedelta(seconds=before))
        title = (await change).title
        if datetime.now(UTC) >= instant:  # this machine stalled the test: nothing to judge
            late.add(title)

    async def scenario() -> None:
        service = await open_service(store_url)
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
        due = [start + timedelta(milliseconds=300 * index) for index in range(4)]
        cancelled = await one_off(service, "cancelled", due[0])
        paused = await one_off(service, "paused", due[1])
        moved = await one_off(service, "moved", due[2])
        control = await one_off(service, "control", due[3])
        later = due[2] + timedelta(hours=1)
        await asyncio.gather(
            change_at(due[0], service.cancel("local", cancelled.id)),
            change_at(due[1], service.pause("local", paused.id)),
            change_at(due[2], service.update("local", moved.id, {"when": later.isoformat()})),
        )
        await sleep_until(due[3] + timedelta(seconds=1.5))
        assert await fired(service, control.id)  # the instants came, and serve fired
        assert len(late) < 3, "every change landed after its instant: the machine is too busy"
        for task in (cancelled, paused, moved):
            if task.title not in late:
                assert not await fired(service, task.id), task.title
        assert (await service.get("local", cancelled.id)).status == "cancelled"
        after_pause = await service.get("local", paused.id)
        assert after_pause.status == "paused"
        if "paused" not in late:
            assert after_pause.next_run_at == due[1]
        after_move = await service.get("local", moved.id)
        assert after_move.status == "active"
        assert after_move.next_run_at == later
        if "paused" not in late:
            resumed = await service.resume("local", paused.id)  # within its grace: fires now
            assert resumed.status == "active"
            assert await within(1.5, lambda: fired(service, paused.id))
        await service.store.close()

    try:
        asyncio.run(scenario())
    finally:
        assert serve.stop() == 0
    log = (tmp_path / "serve.log").read_text()
    assert "control (task" in log
    assert "cancelled (task" not in log or "cancelled" in late
    assert "moved (task" not in log or "moved" in late


def test_cancel_racing_the_instant_either_stops_it_or_says_it_fired(
    store_url: str, tmp_path: Path
) -> None:
    """Many one-offs, each cancelled within 40 ms either side of its instant: every one
    either did not fire (and is cancelled) or fired, and cancel said so."""
    serve = serve_on(store_url, tmp_path)
    rng = random.Random(7)
    outcomes: dict[str, int] = {"held": 0, "said it fired": 0}

    async def race(service: TaskService, task: TaskView) -> None:
        assert task.next_run_at is not None
        await sleep_until(task.next_run_at + timedelta(seconds=rng.uniform(-0.04, 0.04)))
        answer = await service.cancel("local", task.id)
        await asyncio.sleep(1.5)
        did_fire = await fired(service, task.id)
        if answer.status == "cancelled":
            assert not did_fire, f"task {task.id} was cancelled, and fired anyway"
            outcomes["held"] += 1
        else:
            assert answer.status == "completed", answer.status
            assert answer.last_run is not None
            assert answer.last_run.status == "succeeded"
            assert did_fire
            outcomes["said it fired"] += 1

    async def scenario() -> None:
        service = await open_service(store_url)
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
        tasks = [
            await one_off(service, f"race {index}", start + timedelta(milliseconds=150 * index))
            for index in range(40)
        ]
        await asyncio.gather(*(race(service, task) for task in tasks))
        await service.store.close()

    try:
        asyncio.run(scenario())
    finally:
        assert serve.stop() == 0
    assert sum(outcomes.values()) == 40
    assert outcomes["held"] > 0  # both outcomes happen, or the race was not raced


def test_cancel_stops_a_run_under_way(store_url: str, tmp_path: Path) -> None:
    extra = {"AGENTCRON_SHELL_ALLOW": "sleep", "AGENTCRON_LOG_LEVEL": "INFO"}
    if not store_url.startswith("sqlite"):
        extra["AGENTCRON_DATABASE_URL"] = store_url
    serve = Serve(environment(tmp_path, **extra), tmp_path / "serve.log")

    async def scenario() -> None:
        service = await open_service(store_url)
        service.settings.shell_allow = ["sleep"]
        due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
        task = await service.create(
            "local",
            {"title": "long", "when": due.isoformat(), "action": "shell",
             "payload": {"command": "sleep 30"}, "timeout_seconds": 60},
        )  # fmt: skip
        await sleep_until(due + timedelta(seconds=1))
        (running,) = await service.list_runs("local", task.id)
        assert running.status == "running"
        answer = await service.cancel("local", task.id)
        assert answer.status == "cancelled"
        assert answer.last_run is not None
        assert answer.last_run.id == running.id
        await asyncio.sleep(1.0)  # serve rechecks when woken by the change
        (stopped,) = await service.list_runs("local", task.id)
        assert (stopped.status, stopped.output) == ("cancelled", None)
        (attempt,) = await service.run_attempts("local", stopped.id)
        assert attempt.status == "cancelled"
        await service.store.close()

    try:
        asyncio.run(scenario())
    finally:
        assert serve.stop() == 0
    assert "was cancelled or taken over; stopping it" in (tmp_path / "serve.log").read_text()
