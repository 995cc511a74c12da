"""``agentcron serve`` outlives its store's outages: a lock held past the busy timeout, a
full disk, PostgreSQL out of reach. Each loop says what failed, retries, and carries on;
a task added afterwards fires on time."""

from __future__ import annotations

import contextlib
import json
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.test_cli_schedule import agentcron
from tests.acceptance.test_serve import Serve, environment
from tests.support.disk import fill, small_disk

ON_TIME_SECONDS = 0.5


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def add(env: dict[str, str], title: str, when: str, *options: str) -> int:
    done = agentcron("add", title, "--when", when, *options, "--json", env=env)
    assert done.returncode == 0, done.stderr
    task_id: int = json.loads(done.stdout)["id"]
    return task_id


def fired(env: dict[str, str], task_id: int) -> dict[str, Any] | None:
    listed = agentcron("runs", str(task_id), "--json", env=env)
    if listed.returncode != 0:
        return None
    runs = [run for run in json.loads(listed.stdout) if run["status"] == "succeeded"]
    return runs[0] if runs else None


def loops(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    shown = agentcron("status", "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    (worker,) = json.loads(shown.stdout)["serving"]
    return {loop["name"]: loop for loop in worker["loops"]}


def then_a_new_task_fires_on_time(env: dict[str, str]) -> None:
    task_id = add(env, "after the outage", "in 3 seconds")
    run = wait_for(lambda: fired(env, task_id), 10, "the task added after the outage")
    assert 0 <= run["lateness_seconds"] < ON_TIME_SECONDS, run


@pytest.mark.serial  # timed outage, then on time
def test_a_store_locked_past_its_busy_timeout_is_waited_out(tmp_path: Path) -> None:
    env = environment(tmp_path, AGENTCRON_STORE_BUSY_TIMEOUT_SECONDS="0.3")
    serve = Serve(env, tmp_path / "serve.log")
    try:
        during = add(env, "due while locked", "in 4 seconds")  # beyond the 2 s written ahead
        holder = sqlite3.connect(tmp_path / "agentcron.db", isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        time.sleep(5.5)  # the task comes due; every write of serve fails meanwhile
        holder.execute("ROLLBACK")
        holder.close()
        wait_for(lambda: fired(env, during), 10, "the task due while the store was locked")
        then_a_new_task_fires_on_time(env)
        scheduler = loops(env)["scheduler"]
        assert scheduler["state"] == "running"
        assert scheduler["restarts"] >= 1
        assert "locked by another program" in scheduler["last_error"]
    finally:
        assert serve.stop() == 0
    log = (tmp_path / "serve.log").read_text()
    assert "scheduler failed: The store" in log
    assert "Traceback" not in log  # a store error is one line, not a stack


@pytest.fixture
def sixteen_mb(tmp_path: Path) -> Iterator[Path]:
    """A 16 MB file system of its own, for serve's store: the test fills it."""
    with small_disk(tmp_path / "disk", "16m") as folder:
        yield folder


@pytest.mark.serial  # timed outage, then on time
def test_a_full_disk_is_waited_out(sixteen_mb: Path, tmp_path: Path) -> None:
    env = environment(sixteen_mb)
    serve = Serve(env, tmp_path / "serve.log")
    try:
        # Once a checkpoint has copied it, SQLite writes its write-ahead log over from the
        # start, in space it holds already. A reader holding its snapshot keeps the log from
        # starting over, and ballast outgrows the log: every later write then needs space.
        reader = sqlite3.connect(sixteen_mb / "agentcron.db", isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM tasks").fetchone()
        ballast = json.dumps(
            {"title": "ballast", "when": "in 1 day", "payload": {"message": "b" * 4_000}}
        )
        imported = agentcron("import", "-", env=env, stdin=f"{ballast}\n" * 125)  # 500 KB
        assert imported.returncode == 0, imported.stderr
        # Due after the disk is surely full, even on a busy machine.
        during = add(env, "due while the disk is full", "in 7 seconds")
        filler = fill(sixteen_mb)
        time.sleep(8.5)
        assert fired(env, during) is None  # nothing could be written
        filler.unlink()
        reader.close()
        wait_for(lambda: fired(env, during), 10, "the task due while the disk was full")
        then_a_new_task_fires_on_time(env)
        assert loops(env)["scheduler"]["state"] == "running"
    finally:
        assert serve.stop() == 0
    assert "is full; free some space" in (tmp_path / "serve.log").read_text()


class Outage:
    """A loopback TCP proxy in front of PostgreSQL that can drop every connection and
    refuse new ones for a while: the server's outage as its clients see it."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.down = threading.Event()
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.down.is_set():
                client.close()
                continue
            server = socket.create_connection(self.upstream)
            with self.lock:
                self.sockets |= {client, server}
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, target), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_RDWR)
        source.close()  # each pipe closes the end it reads; the other pipe closes the other
        with self.lock:
            self.sockets.discard(source)

    def cut(self, seconds: float) -> None:
        self.down.set()
        with self.lock:  # the pipes then see their ends close, and close them
            for end in self.sockets:
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
        time.sleep(seconds)
        self.down.clear()

    def close(self) -> None:
        self.listener.close()
        self.cut(0)
        wait_for(lambda: not self.sockets, 5, "the proxy's connections to close")


@pytest.mark.serial  # timed outage, then on time
def test_a_postgresql_outage_is_waited_out(pg_schema: str, tmp_path: Path) -> None:
    proxy = Outage(("127.0.0.1", 5432))
    url = pg_schema.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    assert url != pg_schema
    env = environment(tmp_path, AGENTCRON_DATABASE_URL=url)
    serve = Serve(env, tmp_path / "serve.log")
    try:
        during = add(env, "due during the outage", "in 4 seconds")
        proxy.cut(6)
        wait_for(lambda: fired(env, during), 15, "the task due during the outage")
        then_a_new_task_fires_on_time(env)
        assert loops(env)["scheduler"]["state"] == "running"
    finally:
        assert serve.stop() == 0
        proxy.close()
    log = (tmp_path / "serve.log").read_text()
    assert "failed: " in log
    assert "trying again" in log


def test_a_store_that_can_no_longer_be_used_stops_serve_with_one_line(tmp_path: Path) -> None:
    """Not an outage to wait out: the file is no database any more. serve says so and exits
    non-zero, rather than stay up firing nothing."""
    env = environment(tmp_path, AGENTCRON_HEARTBEAT_SECONDS="0.5")
    serve = Serve(env, tmp_path / "serve.log")
    store = tmp_path / "agentcron.db"
    for path in (store, store.with_name("agentcron.db-wal"), store.with_name("agentcron.db-shm")):
        if path.exists():
            path.write_bytes(b"this is no longer a database\n" * 4096)
    code = serve.process.wait(30)
    serve.handle.close()
    assert code == 1
    log = (tmp_path / "serve.log").read_text()
    (last,) = [line for line in log.splitlines() if line.startswith("error: ")]
    assert last.startswith("error: agentcron serve stopped: the ")
    assert "not a" in last or "malformed" in last or "damaged" in last, last
    assert "Traceback" not in log
