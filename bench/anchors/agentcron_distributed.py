"""agentcron's distributed shape as one more system of the anchors burst harness.

The system under test is the product as shipped: one ``agentcron scheduler`` and two
``agentcron worker`` processes (default settings: concurrency 64 each, every queue) on
the machine's PostgreSQL (a private schema per trial, in the ``test`` database) and
Redis (its own db, 3: the harness uses 0 to 2). Jobs are tasks created through
``TaskService.create_many`` from the harness process, 1,000 per call, as an API import
would; each task's action is the harness's sink (``agentcron_system.SinkAction``).

Run through ``bench/anchors/run.sh`` with
``SYSTEMS_AGENTCRON=agentcron_distributed:two_workers``.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import uuid
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psycopg
import redis
from agentcron_system import HERE, AgentcronSystem
from anchorbench.harness import terminate_tree  # type: ignore[import-not-found]

from agentcron.config import Settings

PG_SERVER = os.environ.get("ANCHORS_AGENTCRON_PG", "postgresql://postgres@127.0.0.1:5432/test")
BROKER = os.environ.get("ANCHORS_AGENTCRON_BROKER", "redis://127.0.0.1:6379/3")
_BATCH = 1000
LOG_DIR = Path(os.environ.get("ANCHORS_LOG_DIR", "/tmp/anchors-logs"))
"""Where the processes' logs go (kept after the trial, beside the harness's own)."""


class DistributedSystem(AgentcronSystem):
    """One scheduler and ``workers`` worker processes on a fresh schema per trial; tasks
    are created as ``agentcron-batch`` creates them (``AgentcronSystem.schedule``)."""

    def __init__(self, workers: int, concurrency: int | None = None) -> None:
        super().__init__(batch=True)
        self.workers = workers
        self.concurrency = concurrency
        self.name = f"agentcron-distributed-{workers}w" + (
            f"-c{concurrency}" if concurrency else ""
        )
        self.schema = f"anchors_{uuid.uuid4().hex[:10]}"
        self.url = f"{PG_SERVER}?options=-csearch_path%3D{self.schema}"
        self.procs: list[subprocess.Popen[bytes]] = []

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCRON_")}
        return env | {
            "AGENTCRON_HOME": str(self.home),
            "AGENTCRON_TIMEZONE": "UTC",
            "AGENTCRON_DATABASE_URL": self.url,
            "AGENTCRON_BROKER_URL": BROKER,
            "AGENTCRON_LOG_LEVEL": os.environ.get("ANCHORS_AGENTCRON_LOG_LEVEL", "WARNING"),
            "AGENTCRON_ACTIONS": json.dumps({"sink": "agentcron_system:SinkAction"}),
            "PYTHONPATH": os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")]),
        }

    def _settings(self) -> Settings:
        return Settings(
            timezone="UTC",
            home=self.home,
            database_url=self.url,
            max_active_tasks=1_000_000,
            actions={"sink": "agentcron_system:SinkAction"},
        )

    def start(self) -> list[int]:
        with psycopg.connect(PG_SERVER, autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA "{self.schema}"')
        redis.Redis.from_url(BROKER).flushdb()
        asyncio.run(self._prepare())
        worker = ["worker"] + (["--concurrency", str(self.concurrency)] if self.concurrency else [])
        commands = [["scheduler"]] + [worker for _ in range(self.workers)]
        for number, command in enumerate(commands):
            LOG_DIR.mkdir(parents=True, exist_ok=True)
            log = (LOG_DIR / f"{self.name}-{command[0]}-{number}.log").open("ab")
            self.procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "agentcron", *command],
                    env=self._env(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        return [proc.pid for proc in self.procs]

    def stop(self) -> None:
        for proc in self.procs:
            terminate_tree(proc)
        self.procs = []
        with psycopg.connect(PG_SERVER, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        redis.Redis.from_url(BROKER).flushdb()
        shutil.rmtree(self.home, ignore_errors=True)

    def describe(self) -> dict[str, Any]:
        return {
            "agentcron": version("agentcron"),
            "celery": version("celery"),
            "notes": (
                f"agentcron distributed: 1 scheduler + {self.workers} workers (concurrency "
                f"{self.concurrency or 'default, 64'} each, every queue), PostgreSQL store, "
                "Redis broker; jobs "
                "created through TaskService in batches of 1000 (create_many)"
            ),
        }


def two_workers() -> DistributedSystem:
    return DistributedSystem(workers=2)


def two_workers_c100() -> DistributedSystem:
    """As many runs in flight per worker as the harness's asyncio sink has connections."""
    return DistributedSystem(workers=2, concurrency=100)


def two_workers_c1000() -> DistributedSystem:
    """Many runs in flight per worker, as for LLM calls; the sink's 100 connections per
    process are shared among them (``agentcron_system.SinkAction``)."""
    return DistributedSystem(workers=2, concurrency=1000)
