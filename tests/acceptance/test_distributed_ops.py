"""An operator looking at the distributed shape: ``agentcron status`` and ``agentcron doctor``
against a real ``agentcron scheduler`` and real ``agentcron worker`` processes on a private
PostgreSQL schema and the tests' own Redis database, with passwords in both URLs that no
output shows."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agentcron.config import Settings
from agentcron.distributed.broker import Broker
from agentcron.distributed.queues import QUEUES
from tests.acceptance.test_cli_doctor import SECRET, doctor
from tests.acceptance.test_cli_status import ok
from tests.acceptance.test_serve import environment
from tests.support.distributed import (
    BROKER,
    DEAD_BROKER,
    Process,
    scheduler,
    with_password,
    worker,
)
from tests.support.sql import private_schema

# One module-wide cluster on Redis database 13, the broker's queue depths read as they are:
# the whole file in one process, under `pytest -n`.
pytestmark = pytest.mark.xdist_group("distributed-ops")


@dataclass
class Shape:
    env: dict[str, str]
    home: Path
    scheduler: Process
    worker: Process
    node: str


def wait_for_nodes(*nodes: str) -> None:
    """Until every node answers Celery's broadcast (a worker logs that it serves a little
    before Celery takes messages)."""
    broker = Broker(Settings(broker_url=BROKER))
    deadline = time.monotonic() + 60
    try:
        while not set(nodes) <= {node.name for node in broker.nodes(timeout=1.0)}:
            assert time.monotonic() < deadline, f"{nodes} did not answer"
    finally:
        broker.close()


@pytest.fixture(scope="module")
def shape(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shape]:
    home = tmp_path_factory.mktemp("distributed")
    with private_schema() as url:
        env = environment(
            home,
            AGENTCRON_DATABASE_URL=with_password(url, SECRET),
            AGENTCRON_BROKER_URL=with_password(BROKER, SECRET),
            AGENTCRON_HEARTBEAT_SECONDS="1",
            AGENTCRON_MAINTENANCE_SECONDS="1",
            COLUMNS="200",
        )
        node = f"agent-notify-{uuid.uuid4().hex[:8]}@test"
        started: list[Process] = []
        try:
            started.append(scheduler(env, home / "scheduler.log"))
            options = ("--queues", "agent,notify", "--concurrency", "8")
            started.append(worker(env, home / "worker.log", node, *options))
            wait_for_nodes(node)
            yield Shape(env, home, started[0], started[1], node)
        finally:
            for process in reversed(started):
                process.stop()


def status(env: dict[str, str]) -> tuple[dict[str, Any], str]:
    overview: dict[str, Any] = json.loads(ok(env, "status", "--json"))
    text = ok(env, "status")
    assert SECRET not in json.dumps(overview) + text
    return overview, text


def test_status_lists_the_schedulers_and_workers_and_the_queues_on_the_broker(
    shape: Shape,
) -> None:
    overview, text = status(shape.env)
    assert overview["shape"] == "distributed"
    by_pid = {process["pid"]: process for process in overview["serving"]}
    assert by_pid[shape.scheduler.pid]["kind"] == "scheduler"
    seen = by_pid[shape.worker.pid]
    assert seen["kind"] == "worker"
    assert seen["host"] == socket.gethostname()
    assert seen["details"] == {"queues": ["agent", "notify"], "concurrency": 8, "node": shape.node}
    queues = overview["queues"]
    assert (queues["source"], queues["broker_error"]) == ("broker", None)
    assert set(queues["depths"]) == set(QUEUES)
    assert all(isinstance(depth, int) and depth >= 0 for depth in queues["depths"].values())

    host = socket.gethostname()
    assert f"scheduler: running, pid {shape.scheduler.pid} on {host}, since " in text
    (line,) = [
        row for row in text.splitlines() if f"worker: running, pid {shape.worker.pid}" in row
    ]
    assert line.endswith(f"; queues agent, notify; concurrency 8; node {shape.node}")
    assert "queues (counted on the broker now): agent " in text
    assert "none running" not in text


def test_status_falls_back_on_the_depths_a_scheduler_recorded_when_the_broker_is_down(
    shape: Shape,
) -> None:
    down = shape.env | {"AGENTCRON_BROKER_URL": with_password(DEAD_BROKER, SECRET)}
    deadline = time.monotonic() + 30
    while (queues := status(down)[0]["queues"])["source"] != "recorded":
        assert time.monotonic() < deadline, queues  # the upkeep records them every second
        time.sleep(0.5)
    assert set(queues["depths"]) == set(QUEUES)
    assert "could not count the queues" in queues["broker_error"]
    assert 0 <= queues["age_seconds"] < 30
    text = status(down)[1]
    assert "queues (as a scheduler counted them " in text
    assert "the broker did not answer: could not count the queues" in text


def test_doctor_names_the_queues_no_worker_serves_until_one_does(shape: Shape) -> None:
    code, text, checks = doctor(shape.env)
    assert code == 1
    assert checks["broker"]["status"] == "ok"
    assert checks["broker"]["detail"] == "redis://:****@127.0.0.1:6379/13 answers"
    assert checks["workers"]["status"] == "ok"
    assert f"{shape.node} (agent, notify)" in checks["workers"]["detail"]
    assert checks["schedulers"]["status"] == "ok"
    assert f"pid {shape.scheduler.pid} on {socket.gethostname()}" in checks["schedulers"]["detail"]
    assert checks["queues"] == {
        "check": "queues",
        "status": "fail",
        "detail": "no live worker serves default, maintenance: runs sent there wait until one "
        "does; start one with 'agentcron worker --queues default,maintenance'",
    }
    assert "FAIL queues: no live worker serves default, maintenance" in text

    node = f"default-maintenance-{uuid.uuid4().hex[:8]}@test"
    options = ("--queues", "default,maintenance", "--concurrency", "2")
    second = worker(shape.env, shape.home / "second.log", node, *options)
    try:
        wait_for_nodes(node)
        code, text, checks = doctor(shape.env)
        assert code == 0, text
        assert checks["queues"]["status"] == "ok"
        assert checks["queues"]["detail"].startswith("every queue has a live worker: agent (")
        assert f"{node} (default, maintenance)" in checks["workers"]["detail"]
        assert checks["model"]["status"] == "warn"  # warned of, and not failing the exit status
    finally:
        second.stop()
