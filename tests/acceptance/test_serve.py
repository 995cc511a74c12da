"""``agentcron serve`` as a separate process: on time, crash-safe, and shared with the CLI."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agentcron.actions import ActionRegistry
from agentcron.bootstrap import build_service
from agentcron.clock import SystemClock
from agentcron.config import Settings
from agentcron.domain import RunStatus
from agentcron.service import TaskService
from agentcron.store import SqlStore
from agentcron.store.models import events, runs
from tests.acceptance.test_cli_schedule import agentcron
from tests.support.sql import sessions


class Serve:
    """One ``agentcron serve`` process with its own environment (``command``: how agentcron is
    started, by default this interpreter's module)."""

    def __init__(
        self, env: dict[str, str], log: Path, command: tuple[str, ...] | None = None
    ) -> None:
        self.log = log
        self.handle = log.open("ab")
        self.process = subprocess.Popen(
            [*(command or (sys.executable, "-m", "agentcron")), "serve"],
            env=env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while b"agentcron serving" not in log.read_bytes():
            assert self.process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "serve did not start"
            time.sleep(0.05)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.handle.close()

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(30)
        self.handle.close()
        return code


def environment(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCRON_")}
    return env | {"AGENTCRON_HOME": str(home), "AGENTCRON_TIMEZONE": "Europe/Paris", **extra}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


@pytest.mark.serial  # a lateness bound
def test_add_while_serve_runs_fires_on_time_without_restart(home: Path) -> None:
    serve = Serve(environment(home), home / "serve.log")
    try:
        added = agentcron(
            "add", "Stretch", "--when", "in 2 seconds", "--message", "stand up and stretch",
            "--json", env=environment(home),
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        time.sleep(3.5)
        runs = agentcron("runs", "1", "--json", env=environment(home))
        (run,) = json.loads(runs.stdout)
        assert run["status"] == "succeeded"
        assert run["output"] == "stand up and stretch"
        assert 0 <= run["lateness_seconds"] < 0.25
        assert "stand up and stretch" in (home / "serve.log").read_text()
    finally:
        assert serve.stop() == 0
    log = (home / "serve.log").read_text()
    assert "stopped." in log
    assert log.count("No model is configured for agent tasks. Set AGENTCRON_MODEL") == 1


def test_second_serve_on_the_same_store_is_refused(home: Path) -> None:
    serve = Serve(environment(home), home / "serve.log")
    try:
        second = subprocess.run(
            [sys.executable, "-m", "agentcron", "serve"],
            env=environment(home),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert second.returncode == 78  # the operator's setup: one serve per SQLite store
        assert "Another agentcron serve is already using" in second.stderr
    finally:
        serve.stop()


async def _create_burst(url: str, count: int, due: datetime, command: str) -> None:
    settings = Settings(timezone="Europe/Paris", shell_allow=["sleep"])
    store = SqlStore(url)
    await store.migrate()
    service = TaskService(store, SystemClock(), settings, ActionRegistry.load(settings))
    await service.ensure_user("local", timezone="Europe/Paris")
    requests = [
        {
            "title": f"burst {index}",
            "when": due.isoformat(),
            "action": "shell",
            "payload": {"command": command},
            "timeout_seconds": 30,
        }
        for index in range(count)
    ]
    service.settings.max_active_tasks = count + 10
    await service.create_many("local", requests)
    await store.close()


async def _run_counts(url: str) -> tuple[int, int, int]:
    """(runs, succeeded runs, distinct tasks with a run)."""
    store = SqlStore(url)
    async with sessions(store)() as session:
        total = await session.scalar(select(func.count()).select_from(runs))
        succeeded = await session.scalar(
            select(func.count()).select_from(runs).where(runs.c.status == RunStatus.SUCCEEDED)
        )
        tasks = await session.scalar(select(func.count(func.distinct(runs.c.task_id))))
    await store.close()
    return int(total or 0), int(succeeded or 0), int(tasks or 0)


def _wait_for(predicate: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_sigkill_in_the_middle_of_a_burst_loses_and_doubles_nothing(home: Path) -> None:
    url = f"sqlite:///{home / 'agentcron.db'}"
    count = 600
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
    asyncio.run(_create_burst(url, count, due, "sleep 0.2"))
    env = environment(home, AGENTCRON_SHELL_ALLOW="sleep", AGENTCRON_CONCURRENCY="32")
    first = Serve(env, home / "serve-1.log")
    _wait_for(lambda: asyncio.run(_run_counts(url))[1] >= 50, timeout=60)
    first.kill()
    total, succeeded, _ = asyncio.run(_run_counts(url))
    assert 0 < succeeded < count, "the kill should land in the middle of the burst"
    second = Serve(env, home / "serve-2.log")
    try:
        _wait_for(lambda: asyncio.run(_run_counts(url))[1] == count, timeout=120)
    finally:
        second.stop()
    total, succeeded, tasks = asyncio.run(_run_counts(url))
    assert (total, succeeded, tasks) == (count, count, count)


async def _create_reminders(url: str, count: int, due: datetime) -> None:
    settings = Settings(timezone="Europe/Paris", max_active_tasks=count + 10)
    store = SqlStore(url)
    await store.migrate()
    service = build_service(settings, store)  # wakes the schedulers
    await service.ensure_user("local", timezone="Europe/Paris")
    if count:
        await service.create_many(
            "local",
            [
                {"title": f"r{i}", "when": due.isoformat(), "payload": {"message": f"m{i}"}}
                for i in range(count)
            ],
        )
    await store.close()


async def _workers(url: str) -> dict[str, int]:
    store = SqlStore(url)
    async with sessions(store)() as session:
        rows = await session.execute(
            select(runs.c.worker_id, func.count()).group_by(runs.c.worker_id)
        )
        result = {str(worker): int(n) for worker, n in rows}
    await store.close()
    return result


@pytest.mark.serial  # both must get the CPU to claim
def test_two_schedulers_on_postgresql_make_exactly_one_run_per_occurrence(
    home: Path, pg_schema: str
) -> None:
    count = 2000
    asyncio.run(_create_reminders(pg_schema, 0, datetime.now(UTC)))  # schema only
    # Small batches so both schedulers claim at the same time and contend for rows.
    env = environment(
        home,
        AGENTCRON_DATABASE_URL=pg_schema,
        AGENTCRON_SCHEDULER_BATCH_SIZE="20",
        AGENTCRON_LOG_LEVEL="INFO",
    )
    first = Serve(env, home / "serve-1.log")
    second = Serve(env, home / "serve-2.log")
    try:
        due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
        asyncio.run(_create_reminders(pg_schema, count, due))  # both are asleep, waiting
        _wait_for(lambda: asyncio.run(_run_counts(pg_schema))[1] == count, timeout=90)
    finally:
        assert first.stop() == 0
        assert second.stop() == 0
    assert asyncio.run(_run_counts(pg_schema)) == (count, count, count)
    workers = asyncio.run(_workers(pg_schema))
    assert sum(workers.values()) == count
    assert len(workers) == 2, f"both schedulers should have claimed occurrences: {workers}"


@pytest.mark.serial  # a time bound
def test_after_a_sigkill_10000_pending_runs_all_start_within_5_s_of_the_restart(
    home: Path,
) -> None:
    """The runs a killed serve had written ahead (claimed by it, not started) are recovered
    at once by the next serve and drained at full speed, not 1,000 per safety-net sleep."""
    url = f"sqlite:///{home / 'agentcron.db'}"
    count = 10_000
    # Room to write 10,000 tasks and have a serve write their runs ahead, on a busy machine:
    # the first serve writes them 10 s ahead (not 2), so that it is killed well before their
    # instant however long its pass takes.
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=15)
    asyncio.run(_create_reminders(url, count, due))
    ahead = environment(home, AGENTCRON_SCHEDULER_LOOKAHEAD_SECONDS="10")
    first = Serve(ahead, home / "serve-1.log")
    _wait_for(lambda: asyncio.run(_run_counts(url))[0] == count, timeout=30)  # written ahead
    first.kill()
    assert datetime.now(UTC) < due, "the kill should come before the runs' instant"
    time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 0.5)
    restarted = datetime.now(UTC)
    second = Serve(environment(home), home / "serve-2.log")
    try:
        _wait_for(lambda: asyncio.run(_run_counts(url))[1] == count, timeout=60)
    finally:
        second.stop()
    total, succeeded, tasks = asyncio.run(_run_counts(url))
    assert (total, succeeded, tasks) == (count, count, count)
    last_start = asyncio.run(_last_start(url))
    assert (last_start - restarted).total_seconds() < 5


async def _last_start(url: str) -> datetime:
    store = SqlStore(url)
    async with sessions(store)() as session:
        last = await session.scalar(select(func.max(runs.c.started_at)))
    await store.close()
    assert last is not None
    return last if last.tzinfo else last.replace(tzinfo=UTC)


@pytest.mark.serial  # a time bound
def test_on_postgresql_a_run_of_a_killed_worker_is_taken_over_once_its_lease_ends(
    home: Path, pg_schema: str
) -> None:
    """The surviving scheduler wakes when the dead worker's lease runs out, not at its
    next safety-net look at the store: the run is retried within a lease and a moment."""
    lease = 3.0
    asyncio.run(_create_reminders(pg_schema, 0, datetime.now(UTC)))  # schema only
    env = environment(
        home,
        AGENTCRON_DATABASE_URL=pg_schema,
        AGENTCRON_LEASE_SECONDS=str(lease),
        AGENTCRON_SHELL_ALLOW="sleep",
    )
    first = Serve(env, home / "serve-1.log")
    asyncio.run(_create_burst(pg_schema, 1, datetime.now(UTC) + timedelta(seconds=3), "sleep 8"))
    _wait_for(lambda: asyncio.run(_running_worker(pg_schema)) is not None, timeout=20)
    second = Serve(env, home / "serve-2.log")  # started after: the run is the first's
    dead = asyncio.run(_running_worker(pg_schema))
    first.kill()
    killed = time.monotonic()
    try:
        _wait_for(lambda: asyncio.run(_running_worker(pg_schema)) not in (None, dead), 30)
        taken_over = time.monotonic() - killed
    finally:
        assert second.stop() == 0
    assert taken_over < lease + 2.0, f"taken over {taken_over:.1f} s after the kill"


async def _running_worker(url: str) -> str | None:
    store = SqlStore(url)
    async with sessions(store)() as session:
        worker = await session.scalar(
            select(runs.c.worker_id).where(runs.c.status == RunStatus.RUNNING)
        )
    await store.close()
    return str(worker) if worker is not None else None


def test_serve_forgets_runs_and_events_past_the_retention_but_keeps_the_rest(home: Path) -> None:
    """The embedded shape keeps its store from growing for ever: once serving, it deletes
    the finished runs and the events older than ``retention_days``, and nothing newer."""
    env = environment(home, AGENTCRON_RETENTION_DAYS="30", AGENTCRON_LOG_LEVEL="INFO")
    for task_id, title in ((1, "old"), (2, "recent")):
        made = agentcron("add", title, "--when", "every day at 9", "--message", title, env=env)
        assert made.returncode == 0, made.stderr
        assert agentcron("run", str(task_id), env=env).returncode == 0
    once = agentcron("serve", "--once", env=env)
    assert "2 runs done" in once.stdout, once.stdout + once.stderr
    url = f"sqlite:///{home / 'agentcron.db'}"
    asyncio.run(_age(url, task_id=1, days=31))
    assert asyncio.run(_history(url)) == ({1, 2}, {1, 2})
    serve = Serve(env, home / "serve.log")
    try:
        _wait_for(lambda: asyncio.run(_history(url))[0] == {2}, timeout=15)
    finally:
        assert serve.stop() == 0
    assert asyncio.run(_history(url)) == ({2}, {2})
    assert "purged 1 runs finished and" in (home / "serve.log").read_text()
    shown = agentcron("show", "1", env=env)  # the task itself stays, its history gone
    assert shown.returncode == 0, shown.stderr


async def _age(url: str, *, task_id: int, days: int) -> None:
    """Make the task's runs, and every event of it so far, ``days`` older."""
    store = SqlStore(url)
    shift = timedelta(days=days)
    async with sessions(store)() as session, session.begin():
        finished = await session.execute(
            select(runs.c.id, runs.c.finished_at).where(runs.c.task_id == task_id)
        )
        for run_id, at in finished.all():
            await session.execute(
                runs.update().where(runs.c.id == run_id).values(finished_at=at - shift)
            )
        happened = await session.execute(
            select(events.c.id, events.c.at).where(events.c.task_id == task_id)
        )
        for event_id, at in happened.all():
            await session.execute(
                events.update().where(events.c.id == event_id).values(at=at - shift)
            )
    await store.close()


async def _history(url: str) -> tuple[set[int], set[int]]:
    """The tasks that have runs, and those that have events."""
    store = SqlStore(url)
    async with sessions(store)() as session:
        with_runs = set(await session.scalars(select(runs.c.task_id).distinct()))
        with_events = set(await session.scalars(select(events.c.task_id).distinct()))
    await store.close()
    return with_runs, with_events
