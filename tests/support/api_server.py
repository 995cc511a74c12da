"""``agentcron api`` served by uvicorn in a subprocess, and people of a test's own with keys,
for the tests that drive the HTTP API over real HTTP."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel

from agentcron.api import bodies
from agentcron.api.schema import schema
from agentcron.bootstrap import build_service, open_store
from agentcron.config import Settings
from tests.support.local_http import free_port

_SCHEMA = schema()
_PATHS = [
    (re.compile("^" + re.sub(r"\\{\w+\\}", "[^/]+", re.escape(path)) + "$"), operations)
    for path, operations in _SCHEMA["paths"].items()
]


def declared_body(method: str, path: str, status: int) -> type[BaseModel] | None:
    """The model the published schema names for this answer of this route, if any."""
    for template, operations in _PATHS:
        if template.match(path.partition("?")[0]) and method.lower() in operations:
            answer = operations[method.lower()]["responses"].get(str(status), {})
            named = answer.get("content", {}).get("application/json", {}).get("schema", {})
            model = getattr(bodies, named.get("$ref", "").rpartition("/")[2], None)
            return model if isinstance(model, type) and issubclass(model, BaseModel) else None
    return None


def check_declared(response: httpx.Response) -> None:
    """Hold a success to the schema: the body must be what its route declares, exactly (no
    field missing, none unnamed, every type and value as published)."""
    request = response.request
    model = declared_body(request.method, request.url.path, response.status_code)
    if model is not None and response.is_success:
        model.model_validate_json(response.content, strict=True)


class Server:
    """``agentcron api`` on a free loopback port, for one module's tests."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        environment = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCRON_")}
        self.handle = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "agentcron", "api", "--port", str(port)],
            env=environment | env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            assert self.process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{self.url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the API did not start"
            time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(15)
        self.handle.close()


@contextmanager
def api_serving(env: dict[str, str], log: Path) -> Iterator[Server]:
    """``agentcron api`` for the ``with`` block; it stopped without a traceback after."""
    served = Server(env, log)
    try:
        yield served
    finally:
        served.stop()
    assert "Traceback" not in log.read_text()


@contextmanager
def serve_with_http(env: dict[str, str], log: Path) -> Iterator[str]:
    """``agentcron serve --http`` (the API inside the process that fires tasks) on a free
    port for the ``with`` block: its base URL. It stopped cleanly, without a traceback."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCRON_")}
    with log.open("wb") as handle:
        serve = subprocess.Popen(
            [sys.executable, "-m", "agentcron", "serve", "--http", f"127.0.0.1:{port}"],
            env=environment | env, stdout=handle, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while b"agentcron serving" not in log.read_bytes():
            assert serve.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "serve did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        serve.terminate()
        assert serve.wait(30) == 0, log.read_text()
    assert "Traceback" not in log.read_text()


class Api:
    """The server, seen by people of a test's own (ann, bob and an admin, each a fresh id,
    with keys made as ``agentcron keys create`` makes them)."""

    def __init__(self, env: dict[str, str], url: str, log: Path) -> None:
        self.env, self.url, self.log = env, url, log
        suffix = uuid.uuid4().hex[:8]
        self.people = {who: f"{who}-{suffix}" for who in ("ann", "bob", "root")}
        self.keys = asyncio.run(self._keys())

    def settings(self) -> Settings:
        """The server's settings, for a test that reaches its store directly."""
        return Settings(
            database_url=self.env.get("AGENTCRON_DATABASE_URL"),
            home=Path(self.env["AGENTCRON_HOME"]),
        )

    async def _keys(self) -> dict[str, str]:
        settings = self.settings()
        store = open_store(settings)
        people = build_service(settings, store).people
        try:
            for person in self.people.values():
                await people.add_user(person, timezone="Europe/Paris")
            made = {who: (await people.create_key(self.people[who]))[1] for who in ("ann", "bob")}
            made["admin"] = (await people.create_key(self.people["root"], admin=True))[1]
        finally:
            await store.close()
        return made

    def call(
        self, method: str, path: str, who: str | None = "ann", **options: Any
    ) -> httpx.Response:
        headers = dict(options.pop("headers", {}))
        if who is not None:
            headers["Authorization"] = f"Bearer {self.keys.get(who, who)}"
        answer = httpx.request(method, f"{self.url}{path}", headers=headers, timeout=10, **options)
        check_declared(answer)
        return answer
