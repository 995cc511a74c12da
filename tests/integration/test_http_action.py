"""The http action against a real local HTTP receiver."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar

import pytest

from agentcron.actions import ActionContext, ActionFailed
from agentcron.actions.http import HttpAction
from agentcron.config import Settings
from agentcron.errors import InvalidInputError
from tests.support.local_http import serving


class Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        Receiver.received.append(
            {"path": self.path, "body": body.decode(), "headers": dict(self.headers)}
        )
        status = {"/ok": 200, "/busy": 429, "/boom": 503, "/nope": 404}[self.path]
        self.send_response(status)
        if status == 429:
            self.send_header("Retry-After", "7")
        self.end_headers()
        self.wfile.write(b"x" * 5000 if self.path == "/ok" else b"no")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.received = []
    with serving(Receiver) as url:
        yield url


def context(payload: dict[str, Any]) -> ActionContext:
    return ActionContext(
        run_id=1, task_id=1, task_title="t", owner_id="ann", timezone="UTC",
        scheduled_for=datetime(2026, 11, 22, tzinfo=UTC), attempt=1, payload=payload,
        settings=Settings(),
    )  # fmt: skip


async def test_posts_json_and_records_status_and_a_bounded_body(receiver: str) -> None:
    action = HttpAction(Settings())
    payload = action.validate({"url": f"{receiver}/ok", "json": {"hello": "world"}})
    result = await action.run(context(payload))
    assert result.result["status"] == 200
    assert len(result.result["body"]) == 4096
    assert result.result["truncated"] is True
    (request,) = Receiver.received
    assert json.loads(request["body"]) == {"hello": "world"}


async def test_server_errors_are_retryable_and_429_keeps_retry_after(receiver: str) -> None:
    action = HttpAction(Settings())
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
    action = HttpAction(Settings())
    with pytest.raises(ActionFailed) as failed:
        await action.run(context(action.validate({"url": "http://127.0.0.1:9/"})))
    assert failed.value.retryable


def test_bad_payloads_are_refused() -> None:
    action = HttpAction(Settings())
    with pytest.raises(InvalidInputError, match="url"):
        action.validate({"url": "not a url"})
    with pytest.raises(InvalidInputError, match="method"):
        action.validate({"url": "http://127.0.0.1/", "method": "BREW"})
