"""A run that fails for good because its worker vanished tells its owner, like any failure:
on SQLite when the next serve starts, on PostgreSQL when the run's lease runs out."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar

import pytest

from agentcron.bootstrap import Engine
from agentcron.config import Settings
from agentcron.store import SqlStore
from tests.support.local_http import serving


class Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []
    arrived: ClassVar[threading.Event] = threading.Event()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        Hook.received.append(json.loads(self.rfile.read(length)))
        Hook.arrived.set()
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[str]:
    Hook.received, Hook.arrived = [], threading.Event()
    with serving(Hook) as url:
        yield url.replace("http://", "json://") + "/hook"


async def test_a_run_lost_at_its_last_attempt_tells_its_owner_once(
    database_url: str, tmp_path: Path, hook: str
) -> None:
    settings = Settings(timezone="UTC", home=tmp_path, database_url=database_url)
    store = SqlStore(database_url)
    engine = Engine(settings, store=store)
    service = engine.service
    await store.migrate()
    await service.ensure_user(settings.user, timezone="Europe/Paris")
    await service.notifications.add_channel(settings.user, "hook", hook)
    task = await service.create(
        settings.user,
        {"title": "Water the plants", "when": "in 2 hours", "max_attempts": 1,
         "payload": {"message": "water them"}},
    )  # fmt: skip
    run = await service.trigger(settings.user, task.id)
    # a worker claims and starts it, then vanishes: its lease runs out a moment later
    async with store.transaction() as repositories:
        now = datetime.now(UTC)
        (claimed,) = await repositories.runs.claim(
            [run.id], now, timedelta(seconds=0.5), "vanished-worker"
        )
    assert claimed.attempt == 1
    await engine.start()
    try:
        arrived = await asyncio.to_thread(Hook.arrived.wait, 15)
        assert arrived, "the owner was not told of the lost run"
        await asyncio.sleep(0.5)  # a second message, if one were coming, would be here by now
        lost = await service.get_run(settings.user, run.id)
        deliveries = await service.notifications.of_runs(settings.user, [run.id])
    finally:
        await engine.stop(grace=1)
    assert len(Hook.received) == 1
    (told,) = Hook.received
    assert told["title"] == "Failed: Water the plants"
    assert f"(task {task.id}) could not be done" in told["message"]
    assert "the worker running it stopped" in told["message"]
    assert "Traceback" not in told["message"]
    assert lost.status == "failed"
    assert [(d.channel, d.status, d.attempts) for d in deliveries[run.id]] == [("hook", "sent", 1)]
