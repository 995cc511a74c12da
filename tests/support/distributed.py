"""The distributed shape for acceptance tests: a private PostgreSQL schema, a Redis database of
the tests' own, and real ``agentcron scheduler`` / ``agentcron worker`` processes, each in a
process group of its own (``start_new_session``), so that stopping one ends it and whatever
it started, and nothing else."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REDIS_DB = 13
"""The Redis database the tests' brokers use (the others are left alone)."""
BROKER = f"redis://127.0.0.1:6379/{REDIS_DB}"
DEAD_BROKER = f"redis://127.0.0.1:6390/{REDIS_DB}"
"""A port where no Redis listens: a broker that is down."""


def with_password(url: str, password: str) -> str:
    """``url`` with ``password`` in its userinfo (the test servers do not ask for one)."""
    scheme, _, rest = url.partition("://")
    user, at, host = rest.rpartition("@")
    return f"{scheme}://{user}:{password}@{host}" if at else f"{scheme}://:{password}@{rest}"


class Process:
    """One ``agentcron`` process (``scheduler`` or ``worker ...``), started and waited for
    until its log says it runs."""

    def __init__(self, env: dict[str, str], log: Path, *args: str, ready: str) -> None:
        self.log = log
        self.handle = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "agentcron", *args],
            env=env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while ready not in log.read_text(errors="replace"):
            assert self.process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, f"agentcron {args[0]} did not start"
            time.sleep(0.1)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        """SIGTERM to its process group, SIGKILL if it lingers."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.handle.close()


def worker(env: dict[str, str], log: Path, node: str, *options: str) -> Process:
    return Process(env, log, "worker", "--hostname", node, *options, ready=f"worker {node}")


def scheduler(env: dict[str, str], log: Path) -> Process:
    return Process(env, log, "scheduler", ready="agentcron scheduler running")
