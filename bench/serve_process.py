"""What every benchmark does with agentcron's processes: start them (``agentcron serve``, or
a scheduler and workers on a private PostgreSQL schema), read their memory and CPU time."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from agentcron.testing import postgres

PG_SERVER = os.environ.get("AGENTCRON_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
BROKER = os.environ.get("AGENTCRON_BENCH_BROKER", "redis://127.0.0.1:6379/9")
"""The distributed shape's broker: a Redis database of the benchmarks', flushed per trial."""
_READY = {"serve": b"agentcron serving", "scheduler": b"agentcron scheduler running"}
_WORKER_READY = b" ready."  # Celery's, at INFO: the worker consumes


def launch(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``agentcron COMMAND`` with ``env``, its output in ``log``."""
    with log.open("wb") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "agentcron", *command], env=env, stdout=handle, stderr=handle
        )


def wait_ready(process: subprocess.Popen[bytes], command: list[str], log: Path) -> None:
    """Once the line ``agentcron COMMAND`` prints when it serves is in ``log``."""
    marker = _READY.get(command[0], _WORKER_READY)
    while marker not in log.read_bytes():
        if process.poll() is not None:
            raise SystemExit(log.read_text())
        time.sleep(0.05)


def start_serve(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``agentcron serve`` with ``env``, its output in ``log``; returns once it serves."""
    serve = launch(["serve"], env, log)
    wait_ready(serve, ["serve"], log)
    return serve


@contextmanager
def private_schema(server: str = PG_SERVER) -> Iterator[str]:
    """A fresh schema on ``server``, as a URL that selects it; dropped afterwards."""
    with postgres.private_schema(server, prefix="agentcron_bench") as url:
        yield url


@contextmanager
def cluster(
    env: dict[str, str], workdir: Path, workers: int, concurrency: int | None = None
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """One ``agentcron scheduler`` and ``workers`` ``agentcron worker`` processes (``env``
    names the store and the broker, whose database is flushed first), once each is ready;
    the scheduler first. Stopped (SIGTERM, a warm shutdown) afterwards."""
    redis.Redis.from_url(env["AGENTCRON_BROKER_URL"]).flushdb()
    env = env | {"AGENTCRON_LOG_LEVEL": env.get("AGENTCRON_LOG_LEVEL", "INFO")}
    worker = ["worker"] + (["--concurrency", str(concurrency)] if concurrency else [])
    commands = {"scheduler": ["scheduler"]} | {
        f"worker-{n + 1}": [*worker, "--hostname", f"bench-{n + 1}@{uuid.uuid4().hex[:8]}"]
        for n in range(workers)
    }
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for name, command in commands.items():  # all starting at once; then each awaited
            processes.append(launch(command, env, workdir / f"{name}.log"))
        for process, (name, command) in zip(processes, commands.items(), strict=True):
            wait_ready(process, command, workdir / f"{name}.log")
        yield processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)


@contextmanager
def store_url(shape: str, workdir: Path) -> Iterator[str]:
    """The store of a trial: a SQLite file in ``workdir`` (embedded), or a private schema
    (distributed), dropped afterwards."""
    if shape == "embedded":
        yield f"sqlite:///{workdir / 'agentcron.db'}"
    else:
        with private_schema() as url:
            yield url


@contextmanager
def agentcron_processes(
    shape: str,
    env: dict[str, str],
    url: str,
    workdir: Path,
    *,
    workers: int = 1,
    concurrency: int | None = None,
) -> Iterator[dict[str, int]]:
    """agentcron's processes on the store at ``url``, by name: ``serve`` (embedded, home
    ``workdir``), or a ``scheduler`` and ``worker-1``... on the broker ``BROKER``."""
    if shape == "embedded":
        if concurrency:
            env = env | {"AGENTCRON_CONCURRENCY": str(concurrency)}
        serve = start_serve(env, workdir / "serve.log")
        try:
            yield {"serve": serve.pid}
        finally:
            serve.terminate()
            serve.wait(30)
        return
    env = env | {"AGENTCRON_DATABASE_URL": url, "AGENTCRON_BROKER_URL": BROKER}
    with cluster(env, workdir, workers, concurrency) as (scheduler, *others):
        yield {"scheduler": scheduler.pid} | {
            f"worker-{number + 1}": worker.pid for number, worker in enumerate(others)
        }


def memory_mb(pid: int, field: str = "VmHWM") -> float:
    """A memory figure of a process from /proc: VmHWM (peak RSS) or VmRSS (current)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def busy_cores() -> float:
    """CPU time the whole machine has spent busy so far (every process, every core), in
    seconds: over an interval, how many cores were in use."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]
