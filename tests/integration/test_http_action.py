"""The http action against a real local HTTP receiver."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar

import pytest

from agentcron.actions import ActionContext, ActionFailed
from agentcron.actions._http_client import close_shared_client, shared_client
from agentcron.actions.http import HttpAction
from agentcron.bootstrap import Engine
from agentcron.config import Settings
from agentcron.errors import InvalidInputError
from agentcron.service import TaskService
from agentcron.store import SqlStore
from agentcron.store.tasks import HELD_PAYLOAD_BYTES
from tests.support.engine_rig import Rig
from tests.support.local_http import free_port, serving

LOOPBACK = Settings(http_allow_private=True)
"""The receivers here listen on loopback, which tasks may not call by default."""


class Receiver(BaseHTTPRequestHandler):
    """Answers by path, keeps connections open (HTTP/1.1) and records every request."""

    protocol_version = "HTTP/1.1"
    received: ClassVar[list[dict[str, Any]]] = []
    STATUS: ClassVar[dict[str, int]] = {"/ok": 200, "/busy": 429, "/boom": 503, "/nope": 404}

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        path = self.path.partition("?")[0]
        headers = dict(self.headers)
        port = self.client_address[1]
        Receiver.received.append(
            {"path": path, "body": body.decode(), "headers": headers, "port": port}
        )
        if path == "/slow":
            time.sleep(1.5)
        if path == "/flaky":  # fails the first attempt of each run, by its key
            keys = [r["headers"].get("Idempotency-Key") for r in Receiver.received]
            status = 503 if keys.count(headers.get("Idempotency-Key")) == 1 else 200
        else:
            status = Receiver.STATUS.get(path, 200)
        content = b"x" * 5000 if path == "/ok" else b"no" if status >= 400 else b"done"
        self.send_response(status)
        if status == 429:
            self.send_header("Retry-After", "7")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.received = []
    with serving(Receiver) as url:
        yield url


@pytest.fixture(autouse=True)
async def _close_the_client() -> AsyncIterator[None]:
    """The shared client belongs to the test's event loop: close it before the loop ends."""
    yield
    await close_shared_client()


def context(payload: dict[str, Any], *, run_id: int = 1, attempt: int = 1) -> ActionContext:
    return ActionContext(
        run_id=run_id, task_id=1, task_title="t", owner_id="ann", timezone="UTC",
        scheduled_for=datetime(2026, 11, 22, tzinfo=UTC), attempt=attempt, payload=payload,
        settings=LOOPBACK,
    )  # fmt: skip


async def test_posts_json_and_records_status_and_a_bounded_body(receiver: str) -> None:
    action = HttpAction(LOOPBACK)
    payload = action.validate({"url": f"{receiver}/ok", "json": {"hello": "world"}})
    result = await action.run(context(payload))
    assert result.result["status"] == 200
    assert len(result.result["body"]) == 4096
    assert result.result["truncated"] is True
    (request,) = Receiver.received
    assert json.loads(request["body"]) == {"hello": "world"}


async def test_server_errors_are_retryable_and_429_keeps_retry_after(receiver: str) -> None:
    action = HttpAction(LOOPBACK)
    with pytest.raises(ActionFailed) as failed:
        await action.run(context(action.validate({"url": f"{receiver}/boom"})))
    assert failed.value.retryable
    with pytest.raises(ActionFailed) as busy:
        await action.run(context(action.validate({"url": f"{receiver}/busy"})))
    assert busy.value.retry_after == 7
    with pytest.raises(ActionFailed) as missing:
        await action.run(context(action.validate({"url": f"{receiver}/nope"})))
    assert not missing.value.retryable


async def test_connection_errors_are_retryable() -> None:
    action = HttpAction(LOOPBACK)
    with pytest.raises(ActionFailed) as failed:
        await action.run(context(action.validate({"url": "http://127.0.0.1:9/"})))
    assert failed.value.retryable


def test_bad_payloads_are_refused() -> None:
    action = HttpAction(LOOPBACK)
    with pytest.raises(InvalidInputError, match="url"):
        action.validate({"url": "not a url"})
    with pytest.raises(InvalidInputError, match="method"):
        action.validate({"url": "http://127.0.0.1/", "method": "BREW"})


# One client per process


async def test_runs_share_one_client_and_its_open_connection(receiver: str) -> None:
    action = HttpAction(LOOPBACK)
    payload = action.validate({"url": f"{receiver}/ok"})
    for run_id in (1, 2, 3):
        await action.run(context(payload, run_id=run_id))
    ports = {request["port"] for request in Receiver.received}
    assert len(Receiver.received) == 3
    assert len(ports) == 1  # one connection, kept open between runs


async def test_a_closed_client_is_replaced_by_a_new_one(receiver: str) -> None:
    action = HttpAction(LOOPBACK)
    payload = action.validate({"url": f"{receiver}/ok"})
    await action.run(context(payload))
    first = shared_client()
    await close_shared_client()
    assert first.is_closed
    await action.run(context(payload, run_id=2))
    assert shared_client() is not first
    assert Receiver.received[0]["port"] != Receiver.received[1]["port"]


async def test_serve_closes_the_shared_client_when_it_stops(receiver: str, tmp_path: Path) -> None:
    settings = Settings(timezone="UTC", home=tmp_path, http_allow_private=True)
    engine = Engine(settings, store=SqlStore(f"sqlite:///{tmp_path / 'agentcron.db'}"))
    await engine.start()
    action = engine.service.actions.get("http")
    await action.run(context(action.validate({"url": f"{receiver}/ok"})))
    client = shared_client()
    assert not client.is_closed
    await engine.stop(grace=1)
    assert client.is_closed


@pytest.mark.serial  # an elapsed time bounded
async def test_the_task_timeout_still_bounds_a_run_on_the_shared_client(
    rig: Rig, receiver: str
) -> None:
    slow = await rig.service.create(
        "ann",
        {"title": "slow", "when": "in 1 minute", "action": "http", "max_attempts": 1,
         "timeout_seconds": 0.3, "payload": {"url": f"{receiver}/slow"}},
    )  # fmt: skip
    quick = await rig.service.create(
        "ann",
        {"title": "quick", "when": "in 2 minutes", "action": "http",
         "payload": {"url": f"{receiver}/ok"}},
    )  # fmt: skip
    rig.clock.advance(timedelta(minutes=1))
    started = time.monotonic()
    await rig.tick()
    assert time.monotonic() - started < 1.2  # the receiver takes 1.5 s
    (timed_out,) = await rig.runs(slow.id)
    assert timed_out.status == "failed"
    assert "timed out after 0.3 s" in (timed_out.error or "")
    rig.clock.advance(timedelta(minutes=1))
    await rig.tick()
    (after,) = await rig.runs(quick.id)
    assert after.status == "succeeded"  # the cancelled request left the client usable


# Idempotency-Key


async def test_the_idempotency_key_is_stable_for_a_run_and_differs_between_runs(
    receiver: str,
) -> None:
    action = HttpAction(LOOPBACK)
    payload = action.validate({"url": f"{receiver}/ok"})
    await action.run(context(payload, run_id=7, attempt=1))
    await action.run(context(payload, run_id=7, attempt=2))
    await action.run(context(payload, run_id=8, attempt=1))
    keys = [request["headers"].get("Idempotency-Key") for request in Receiver.received]
    assert keys[0]
    assert keys[0] == keys[1]
    assert keys[2]
    assert keys[2] != keys[0]


async def test_a_task_s_own_idempotency_key_wins(receiver: str) -> None:
    action = HttpAction(LOOPBACK)
    payload = action.validate({"url": f"{receiver}/ok", "headers": {"idempotency-key": "mine"}})
    await action.run(context(payload))
    (request,) = Receiver.received
    sent = {name.lower(): value for name, value in request["headers"].items()}
    assert sent["idempotency-key"] == "mine"
    assert list(map(str.lower, request["headers"])).count("idempotency-key") == 1


async def test_a_retried_run_sends_the_same_key_on_every_attempt(rig: Rig, receiver: str) -> None:
    def flaky(title: str) -> dict[str, Any]:
        return {"title": title, "when": "in 1 minute", "action": "http", "max_attempts": 3,
                "backoff_seconds": 5, "payload": {"url": f"{receiver}/flaky"}}  # fmt: skip

    first = await rig.service.create("ann", flaky("first"))
    second = await rig.service.create("ann", flaky("second"))
    rig.clock.advance(timedelta(minutes=1))
    await rig.tick()
    runs = [(await rig.runs(task.id))[0] for task in (first, second)]
    assert [r.status for r in runs] == ["retrying", "retrying"]
    rig.clock.set(max(r.not_before for r in runs))
    await rig.tick()
    await rig.tick()
    runs = [(await rig.runs(task.id))[0] for task in (first, second)]
    assert [(r.status, r.attempt) for r in runs] == [("succeeded", 2), ("succeeded", 2)]
    keys = [request["headers"]["Idempotency-Key"] for request in Receiver.received]
    assert len(keys) == 4
    assert len(set(keys)) == 2  # one per run, the same on both of its attempts
    by_run = {key: keys.count(key) for key in keys}
    assert sorted(by_run.values()) == [2, 2]


# Secrets in URLs


async def test_a_password_and_a_token_in_the_url_are_masked_in_output_errors_and_logs(
    receiver: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    action = HttpAction(LOOPBACK)
    host = receiver.removeprefix("http://")
    secret_url = f"http://bob:hunter2pw@{host}/ok?token=t0ken5ecret&page=2"
    result = await action.run(context(action.validate({"url": secret_url})))
    assert result.output == f"POST http://bob:****@{host}/ok?token=****&page=2 -> 200"
    assert Receiver.received[0]["headers"]["Authorization"].startswith("Basic ")  # still sent
    messages = []
    for path in ("boom", "nope"):
        url = f"http://bob:hunter2pw@{host}/{path}?api_key=t0ken5ecret"
        with pytest.raises(ActionFailed) as failed:
            await action.run(context(action.validate({"url": url})))
        messages.append(failed.value.message)
    closed = f"http://bob:hunter2pw@127.0.0.1:{free_port()}/?sig=t0ken5ecret"
    with pytest.raises(ActionFailed) as unreachable:
        await action.run(context(action.validate({"url": closed})))
    messages.append(unreachable.value.message)
    assert "POST http://bob:****@" in messages[0]
    assert "httpx" in caplog.text  # httpx logged the requests, with their URLs
    for text in (result.output, *messages, caplog.text):
        assert "hunter2pw" not in text
        assert "t0ken5ecret" not in text


# Refused at creation


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://127.0.0.1/file",
        "gopher://127.0.0.1:70/_x",
        "data:text/plain,hello",
        "javascript:alert(1)",
        "ws://127.0.0.1/socket",
        "dict://127.0.0.1:11211/stat",
        "ldap://127.0.0.1/",
        "mailto:ann@example.org",
    ],
)
def test_other_schemes_than_http_are_refused(url: str) -> None:
    with pytest.raises(InvalidInputError, match=r"url: URL scheme should be 'http' or 'https'"):
        HttpAction(LOOPBACK).validate({"url": url})


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        ({"X-Ok": "a\r\nX-Injected: 1"}, "the value of header 'X-Ok' contains a line break"),
        ({"X-Ok": "a\nb"}, "the value of header 'X-Ok' contains a line break"),
        ({"X-Ok": "a\rb"}, "the value of header 'X-Ok' contains a line break"),
        ({"X-A\r\nX-B": "1"}, "the header name 'X-A\\r\\nX-B' contains a line break"),
        ({"X-A\n": "1"}, "the header name 'X-A\\n' contains a line break"),
        ({"X A": "1"}, "'X A' is not a header name"),
        ({"X-Ok": "caf\u00e9"}, "the value of header 'X-Ok' has a control or non-ASCII"),
        ({"X-Ok": "a\x00b"}, "the value of header 'X-Ok' has a control or non-ASCII"),
    ],
)
async def test_headers_that_are_not_one_line_are_refused_at_creation(
    service: TaskService, headers: dict[str, str], problem: str
) -> None:
    request = {"title": "hook", "when": "in 1 hour", "action": "http",
               "payload": {"url": "http://127.0.0.1:9/", "headers": headers}}  # fmt: skip
    with pytest.raises(InvalidInputError) as refused:
        await service.create("ann", request)
    assert problem in refused.value.message
    assert refused.value.message.startswith("Invalid http payload (headers: ")
    assert "X-Injected: 1" not in refused.value.message  # the value is never echoed
    assert await service.list_tasks("ann") == []


def test_ordinary_headers_are_kept() -> None:
    payload = HttpAction(LOOPBACK).validate(
        {"url": "http://127.0.0.1/", "headers": {"Authorization": "Bearer a.b-c", "X-T": "a\tb"}}
    )
    assert payload["headers"] == {"Authorization": "Bearer a.b-c", "X-T": "a\tb"}


# payloads too large to hold with a due batch


async def test_a_large_payload_is_read_when_its_run_starts_not_with_its_due_batch(
    rig: Rig, receiver: str
) -> None:
    body = {"blob": "x" * (HELD_PAYLOAD_BYTES * 2)}
    task = await rig.service.create(
        "ann",
        {"title": "large", "when": "in 1 minute", "action": "http",
         "payload": {"url": f"{receiver}/ok", "json": body}},
    )  # fmt: skip
    small = await rig.service.create(
        "ann",
        {"title": "small", "when": "in 1 minute", "action": "http",
         "payload": {"url": f"{receiver}/ok", "json": {"blob": "y"}}},
    )  # fmt: skip
    rig.clock.advance(timedelta(minutes=1))
    async with rig.service.store.transaction() as store:
        due, withheld = await store.tasks.lock_due(rig.clock.now(), 10)
    assert withheld == {task.id}
    assert {t.id: t.payload for t in due}[task.id] == {}
    assert {t.id: t.payload for t in due}[small.id]["json"] == {"blob": "y"}
    await rig.tick()
    assert [r.status for r in await rig.runs(task.id)] == ["succeeded"]
    sent = [json.loads(request["body"]) for request in Receiver.received]
    assert body in sent  # the whole payload reached the receiver
