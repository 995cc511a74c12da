"""A rig for the distributed shape: real ``agentcron scheduler`` and ``agentcron worker``
processes on a private PostgreSQL schema and a Redis database of their own.

Each process is started in a session of its own (``start_new_session``), so a test can
SIGKILL its whole process group, and nothing else; its output goes to a file in the test's
folder, whose tail is shown when a wait times out. Tasks are created in this process with
``TaskService.create_many`` (a chain with ``create_chain``) on the same schema (its
transaction's NOTIFY wakes the schedulers), and the test watches the runs in the database.

The processes' connections carry an ``application_name`` of their own, so a test can find
(and end) exactly those backends on a server other programs share.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import redis

from agentcron.bootstrap import build_service
from agentcron.config import Settings
from agentcron.store import SqlStore
from tests.support.local_http import serving

BROKER_URL = os.environ.get("AGENTCRON_TEST_BROKER", "redis://127.0.0.1:6379/11")
"""A Redis database the distributed tests own: flushed at the start of each."""
OWNER = "local"
FAST_SETTINGS = {
    "AGENTCRON_LEASE_SECONDS": "3",
    "AGENTCRON_HTTP_ALLOW_PRIVATE": "true",  # the receivers are on loopback
    "AGENTCRON_REDISPATCH_AFTER_SECONDS": "2",
    "AGENTCRON_MAINTENANCE_SECONDS": "0.5",
    "AGENTCRON_HEARTBEAT_SECONDS": "1",
    "AGENTCRON_TIMEZONE": "UTC",
    "AGENTCRON_LOG_LEVEL": "INFO",
    "AGENTCRON_RETENTION_DAYS": "0",
}
"""Short leases and a quick upkeep, so that losses are noticed within seconds."""
_READY = {"scheduler": b"agentcron scheduler running", "worker": b" ready."}
_LOG_TAIL_CHARS = 6000
T = TypeVar("T")


def agentcron_command() -> list[str]:
    """The checkout's ``agentcron`` (its launcher in .venv), else this interpreter's module."""
    launcher = Path(sys.executable).with_name("agentcron")
    return [str(launcher)] if launcher.exists() else [sys.executable, "-m", "agentcron"]


@dataclass
class Process:
    """One ``agentcron scheduler`` or ``agentcron worker``, leader of its own session."""

    name: str
    kind: str
    args: tuple[str, ...]
    log: Path
    popen: subprocess.Popen[bytes]

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group: no goodbye, no lease given back."""
        if self.alive:
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(10)

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM (a warm shutdown), then SIGKILL if it outlasts ``timeout``; the exit code."""
        if self.alive:
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"{self.name} did not stop within {timeout:.0f} s") from None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class Cluster:
    """Schedulers and workers on one schema and one broker database, started on demand."""

    home: Path
    database_url: str
    """The schema's URL for this process (no application_name: not ended with the others)."""
    broker_url: str = BROKER_URL
    settings: dict[str, str] = field(default_factory=dict)
    processes: list[Process] = field(default_factory=list)
    tag: str = field(default_factory=lambda: f"agentcron-test-{uuid.uuid4().hex[:10]}")
    """The processes' ``application_name`` on PostgreSQL."""

    @property
    def processes_url(self) -> str:
        """The schema's URL as the processes use it: tagged with their application_name."""
        joiner = "&" if "?" in self.database_url else "?"
        return f"{self.database_url}{joiner}application_name={self.tag}"

    def env(self, **extra: str) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCRON_")}
        return base | {
            "AGENTCRON_HOME": str(self.home),
            "AGENTCRON_DATABASE_URL": self.processes_url,
            "AGENTCRON_BROKER_URL": self.broker_url,
            "COLUMNS": "200",
            **FAST_SETTINGS,
            **self.settings,
            **extra,
        }

    # processes

    def _start(self, name: str, kind: str, args: Sequence[str], *, wait: bool) -> Process:
        count = sum(1 for p in self.processes if p.name == name)
        log = self.home / f"{name}{f'.{count + 1}' if count else ''}.log"
        handle = log.open("ab")
        popen = subprocess.Popen(
            [*agentcron_command(), kind, *args],
            env=self.env(),
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        handle.close()  # the child has its own copy
        process = Process(name, kind, tuple(args), log, popen)
        self.processes.append(process)
        return self.ready(process) if wait else process

    def scheduler(self, name: str = "scheduler", *, wait: bool = True) -> Process:
        return self._start(name, "scheduler", (), wait=wait)

    def worker(
        self,
        name: str = "worker",
        *,
        queues: str | None = None,
        concurrency: int | None = None,
        wait: bool = True,
    ) -> Process:
        args = ["--hostname", f"{name}@{self.tag}"]
        if queues is not None:
            args += ["--queues", queues]
        if concurrency is not None:
            args += ["--concurrency", str(concurrency)]
        return self._start(name, "worker", args, wait=wait)

    def start(self, schedulers: int = 1, workers: int = 1, **worker_options: Any) -> list[Process]:
        """``schedulers`` schedulers and ``workers`` workers, started together; once all
        are ready."""
        started = [self.scheduler(f"scheduler-{i + 1}", wait=False) for i in range(schedulers)]
        started += [
            self.worker(f"worker-{i + 1}", wait=False, **worker_options) for i in range(workers)
        ]
        for process in started:
            self.ready(process)
        return started

    def ready(self, process: Process) -> Process:
        """Once ``process`` says it is ready (a worker: once Celery consumes)."""
        self.wait_for(
            lambda: _READY[process.kind] in process.log.read_bytes() or not process.alive,
            60,
            f"{process.name} to start",
        )
        assert process.alive, (
            f"{process.name} exited at start:\n{process.output()[-_LOG_TAIL_CHARS:]}"
        )
        return process

    def restart(self, process: Process, *, wait: bool = True) -> Process:
        """The same command again, under the same name (its log: NAME.2.log, ...)."""
        if process.alive:
            process.stop()
        return self._start(process.name, process.kind, process.args, wait=wait)

    def live(self) -> list[Process]:
        return [p for p in self.processes if p.alive]

    def close(self) -> None:
        """Stop every process still running (SIGTERM, then SIGKILL), each by its group."""
        for process in self.live():
            os.killpg(process.popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in self.processes:
            try:
                process.popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()

    def logs(self) -> str:
        """The tail of every process's output, for a failure's message."""
        return "\n".join(
            f"--- {p.log.name} ({'running' if p.alive else f'exit {p.popen.returncode}'})\n"
            f"{p.output()[-_LOG_TAIL_CHARS:]}"
            for p in self.processes
        )

    def wait_for(self, check: Callable[[], T], timeout: float, what: str) -> T:
        """The first truthy ``check()``, polled; on timeout, fails with the processes' logs."""
        deadline = time.monotonic() + timeout
        while True:
            result = check()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}\n{self.logs()}")
            time.sleep(0.1)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """An ``agentcron`` command on the same store, as a person runs it."""
        return subprocess.run(
            [*agentcron_command(), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    # tasks

    def create(self, requests: Sequence[dict[str, Any]], **settings: Any) -> list[int]:
        """Tasks of ``local`` in one transaction; their ids, in order."""
        return asyncio.run(self._create(requests, settings))

    def create_chain(self, steps: Sequence[dict[str, Any]], **settings: Any) -> list[int]:
        """A chain of ``local``'s (``TaskService.create_chain``: the first step on its own
        ``when``, each later one after the one before); its tasks' ids, head first."""
        return asyncio.run(self._create(steps, settings, chain=True))

    async def _create(
        self, requests: Sequence[dict[str, Any]], settings: dict[str, Any], *, chain: bool = False
    ) -> list[int]:
        chosen = Settings(
            timezone="UTC",
            max_active_tasks=len(requests) + 10_000,
            min_agent_interval_seconds=0,
            http_allow_private=True,  # the receivers are on loopback
            **settings,
        )
        store = SqlStore(self.database_url)
        try:
            await store.migrate()
            service = build_service(chosen, store)
            await service.ensure_user(OWNER, timezone="UTC")
            made = service.create_chain if chain else service.create_many
            created = await made(OWNER, list(requests))
        finally:
            await store.close()
        return [task.id for task in created]

    def migrate(self) -> None:
        """The schema's tables, before any process starts (they would make them too)."""
        self.create([])

    # the database

    @contextmanager
    def sql(self) -> Iterator[psycopg.Connection[Any]]:
        with psycopg.connect(self.database_url, autocommit=True) as connection:
            yield connection

    def query(self, statement: str, *params: Any) -> list[tuple[Any, ...]]:
        with self.sql() as connection:
            return list(connection.execute(statement, params).fetchall())

    def scalar(self, statement: str, *params: Any) -> Any:
        (row,) = self.query(statement, *params)
        return row[0]

    def statuses(self) -> dict[str, int]:
        """Runs by status."""
        return dict(self.query("SELECT status, count(*) FROM runs GROUP BY status"))

    def finished(self, count: int) -> bool:
        """Whether ``count`` runs ended (succeeded, failed, cancelled or skipped) and none
        waits or runs."""
        found = self.statuses()
        waiting = sum(found.get(s, 0) for s in ("queued", "retrying", "running"))
        return waiting == 0 and sum(found.values()) >= count

    def wait_finished(self, count: int, timeout: float) -> dict[str, int]:
        try:
            self.wait_for(lambda: self.finished(count), timeout, f"{count} runs to finish")
        except AssertionError as error:
            raise AssertionError(f"runs by status: {self.statuses()}; {error}") from None
        return self.statuses()

    def backends(self) -> list[int]:
        """The PostgreSQL backends of this cluster's processes."""
        rows = self.query(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND pid <> "
            "pg_backend_pid()",
            self.tag,
        )
        return [int(pid) for (pid,) in rows]

    def terminate_backends(self) -> int:
        """End every connection of this cluster's processes (and only theirs); how many."""
        rows = self.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = %s AND pid <> pg_backend_pid()",
            self.tag,
        )
        return sum(1 for (ended,) in rows if ended)

    # the broker

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.broker_url)

    def flush_broker(self) -> None:
        """Empty this cluster's broker database (never another one)."""
        with self.redis() as client:
            client.flushdb()

    def flush_all(self) -> str:
        """FLUSHALL, as a broker restarted empty would be, when no other program is connected
        to this Redis; while one is (on another database), only this cluster's database is
        emptied, which this cluster's processes cannot tell apart. The command used."""
        with self.redis() as client:
            ours = int(client.connection_pool.connection_kwargs.get("db", 0))
            others = [c for c in client.client_list() if int(c.get("db", 0)) != ours]
            if others:
                client.flushdb()
                return "FLUSHDB"
            client.flushall()
            return "FLUSHALL"


class Receiver:
    """A local HTTP endpoint that counts the requests to each path; it answers 200 after
    ``delay`` seconds to paths that start with ``delayed`` (with ``first_only``, only to a
    path's first request), so that runs calling it are still running a while."""

    def __init__(self, *, delay: float = 0.0, delayed: str = "/", first_only: bool = False) -> None:
        self.delay = delay
        self.delayed = delayed
        self.first_only = first_only
        self.url = ""
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    @contextmanager
    def running(self) -> Iterator[str]:
        with serving(self._handler()) as base:
            self.url = base
            yield base

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def total(self) -> int:
        return sum(self.counts().values())

    def _arrived(self, path: str) -> int:
        with self._lock:
            self._counts[path] = self._counts.get(path, 0) + 1
            return self._counts[path]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                nth = receiver._arrived(self.path)
                if (
                    receiver.delay
                    and self.path.startswith(receiver.delayed)
                    and (nth == 1 or not receiver.first_only)
                ):
                    time.sleep(receiver.delay)
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the caller died while this one waited

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the tests read the counts."""

        return Handler


@contextmanager
def cluster(home: Path, database_url: str, **settings: str) -> Iterator[Cluster]:
    """A cluster on a flushed broker database and a migrated schema, stopped afterwards."""
    rig = Cluster(home, database_url, settings=settings)
    rig.flush_broker()
    rig.migrate()
    try:
        yield rig
    finally:
        rig.close()
