"""agentcron as one more system of the anchors burst harness (``../shared/anchors-bench``).

The system under test is the product as shipped: ``agentcron serve`` in its own
process, embedded (SQLite file, in-process worker), default settings. Jobs are
tasks created through ``TaskService`` from the harness process, as the CLI or
the API would; each task's action is ``sink``, a configured action
(``AGENTCRON_ACTIONS``) whose body is the harness's ``sink.arecord``, so the
start instant is taken by the same code as for every other system.

Configurations (``--system agentcron_system:<factory>``):

- ``one_by_one``: one ``TaskService.create`` call (one transaction) per job;
- ``batch``: ``TaskService.create_many`` with 1,000 jobs per call.

Run through ``bench/anchors/run.sh``, which puts this directory and the harness
on ``PYTHONPATH`` and uses agentcron's own virtual environment.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, ClassVar

from anchorbench import sink  # type: ignore[import-not-found]
from anchorbench.harness import System, terminate_tree  # type: ignore[import-not-found]
from pydantic import BaseModel

from agentcron.actions import Action, ActionContext, ActionResult
from agentcron.bootstrap import build_service
from agentcron.config import Settings
from agentcron.store import SqlStore

HERE = Path(__file__).resolve().parent
_BATCH = 1000


class SinkPayload(BaseModel):
    run_id: str
    job_id: str
    due: float


_SINK_CONNECTIONS = 100
"""The harness's asyncio sink opens at most this many Redis connections per process (the
client's pool refuses more): a worker with more runs in flight waits for one, and the
wait counts as lateness, since the sink takes the start instant once it has one."""


class SinkAction(Action):
    """The harness's job body: record the start in the shared Redis sink, first thing."""

    name: ClassVar[str] = "sink"
    payload_model = SinkPayload
    _connections: ClassVar[asyncio.Semaphore | None] = None

    async def run(self, context: ActionContext) -> ActionResult:
        payload = context.payload
        if SinkAction._connections is None:
            SinkAction._connections = asyncio.Semaphore(_SINK_CONNECTIONS)
        async with SinkAction._connections:
            await sink.arecord(payload["run_id"], payload["job_id"], payload["due"])
        return ActionResult(output=payload["job_id"])


class AgentcronSystem(System):  # type: ignore[misc]
    """``agentcron serve`` on a fresh SQLite store per trial."""

    def __init__(self, batch: bool) -> None:
        self.batch = batch
        self.name = "agentcron-batch" if batch else "agentcron"
        self.home = Path(tempfile.mkdtemp(prefix="anchors-agentcron-"))
        self.url = f"sqlite:///{self.home / 'agentcron.db'}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> list[int]:
        asyncio.run(self._prepare())
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCRON_")}
        env |= {
            "AGENTCRON_HOME": str(self.home),
            "AGENTCRON_TIMEZONE": "UTC",
            "AGENTCRON_ACTIONS": json.dumps({"sink": "agentcron_system:SinkAction"}),
            "PYTHONPATH": os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")]),
        }
        log = (self.home / "serve.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agentcron", "serve"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return [self.proc.pid]

    async def _prepare(self) -> None:
        store = SqlStore(self.url)
        await store.migrate()
        service = build_service(self._settings(), store)
        await service.ensure_user("local", timezone="UTC")
        await store.close()

    def _settings(self) -> Settings:
        return Settings(
            timezone="UTC",
            home=self.home,
            max_active_tasks=1_000_000,
            actions={"sink": "agentcron_system:SinkAction"},
        )

    def schedule(self, run_id: str, jobs: Iterable[tuple[str, float]]) -> None:
        asyncio.run(self._schedule(run_id, jobs))

    async def _schedule(self, run_id: str, jobs: Iterable[tuple[str, float]]) -> None:
        store = SqlStore(self.url)
        service = build_service(self._settings(), store)
        try:
            iterator = iter(jobs)
            size = _BATCH if self.batch else 1
            while chunk := list(itertools.islice(iterator, size)):
                requests = [self._request(run_id, job_id, due) for job_id, due in chunk]
                if self.batch:
                    await service.create_many("local", requests)
                else:
                    await service.create("local", requests[0])
        finally:
            await store.close()

    @staticmethod
    def _request(run_id: str, job_id: str, due: float) -> dict[str, Any]:
        # The warm-up job is due "now", which is past by the time it is created:
        # it is given a second ahead (the harness does not measure it).
        at = datetime.fromtimestamp(max(due, time.time() + 1.0), UTC)
        return {
            "title": f"{run_id} {job_id}",
            "when": at.isoformat(),
            "action": "sink",
            "payload": {"run_id": run_id, "job_id": job_id, "due": due},
        }

    def stop(self) -> None:
        if self.proc is not None:
            terminate_tree(self.proc)
        shutil.rmtree(self.home, ignore_errors=True)

    def describe(self) -> dict[str, Any]:
        return {
            "agentcron": version("agentcron"),
            "sqlalchemy": version("sqlalchemy"),
            "notes": (
                "agentcron serve, embedded: SQLite file (WAL, synchronous=NORMAL), in-process "
                "worker, default concurrency 64; jobs created through TaskService "
                + ("in batches of 1000 (create_many)" if self.batch else "one call per job")
            ),
        }


def one_by_one() -> AgentcronSystem:
    return AgentcronSystem(batch=False)


def batch() -> AgentcronSystem:
    return AgentcronSystem(batch=True)
