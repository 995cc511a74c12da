"""Private addresses stay out of reach of the http action and the agent's http_get unless the
operator allows them: a literal one is refused when the task is made, a name that resolves
to one when the run connects, and a redirect is never followed anywhere."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar

import pytest

from agentcron.abc import ActionContext
from agentcron.actions._addresses import literal_refusal, private_kind
from agentcron.actions._http_client import close_shared_client
from agentcron.actions.http import HttpAction
from agentcron.config import Settings
from agentcron.errors import ActionFailed, InvalidInputError
from agentcron.service import TaskService
from tests.support.local_http import serving

PRIVATE = [
    "127.0.0.1", "127.8.9.10", "::1", "169.254.169.254", "169.254.0.1", "fe80::1", "10.1.2.3",
    "172.16.0.1", "192.168.1.1", "100.64.0.1", "fc00::1", "fd12:3456::1", "::ffff:127.0.0.1",
    "::ffff:169.254.169.254", "0.0.0.0", "::", "224.0.0.1", "ff02::1",
]  # fmt: skip
PUBLIC = ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
STRICT = Settings()  # the default: private addresses refused


@pytest.fixture(autouse=True)
async def _close_the_client() -> AsyncIterator[None]:
    yield
    await close_shared_client()


def context(payload: dict[str, Any], settings: Settings) -> ActionContext:
    return ActionContext(
        run_id=1, task_id=1, task_title="t", owner_id="ann", timezone="UTC",
        scheduled_for=datetime(2026, 11, 22, tzinfo=UTC), attempt=1, payload=payload,
        settings=settings,
    )  # fmt: skip


@pytest.mark.parametrize("address", PRIVATE)
def test_every_private_form_is_named_private(address: str) -> None:
    assert private_kind(ipaddress.ip_address(address)) is not None
    host = f"[{address}]" if ":" in address else address
    assert literal_refusal(f"http://{host}:8080/x") is not None


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_not(address: str) -> None:
    assert private_kind(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:9/",
        "http://[::1]/",
        "http://10.0.0.7/hook",
        "http://localhost:8080/",
        "http://api.localhost/",
        "http://[::ffff:169.254.169.254]/",
    ],
)
def test_a_task_naming_a_private_address_is_refused_when_made(url: str) -> None:
    with pytest.raises(InvalidInputError, match="does not call private addresses") as refused:
        HttpAction(STRICT).validate({"url": url})
    assert "AGENTCRON_HTTP_ALLOW_PRIVATE" in refused.value.message
    assert HttpAction(Settings(http_allow_private=True)).validate({"url": url})["url"]


async def test_the_refusal_holds_through_the_service(service: TaskService) -> None:
    strict = TaskService(
        service.store, service.clock, STRICT, service.actions.__class__.load(STRICT)
    )
    with pytest.raises(InvalidInputError, match=r"169\.254\.169\.254 is a link-local address"):
        await strict.create(
            "ann",
            {"title": "t", "when": "in 1 hour", "action": "http",
             "payload": {"url": "http://169.254.169.254/latest/meta-data/"}},
        )  # fmt: skip
    assert await strict.list_tasks("ann") == []


class Counting(BaseHTTPRequestHandler):
    """Counts requests; ``/away`` redirects to ``Counting.target``."""

    hits: ClassVar[list[str]] = []
    target: ClassVar[str] = ""

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        Counting.hits.append(self.path)
        if self.path == "/away":
            self.send_response(302)
            self.send_header("Location", Counting.target)
        else:
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Counting.hits = []
    with serving(Counting) as url:
        yield url


async def test_a_name_resolving_to_a_private_address_is_refused_when_the_run_connects(
    server: str,
) -> None:
    # A name, resolved when the run connects: here localhost, past the check at creation
    # (which knows that name) as a task made before the rule, or a rebinding name, would be.
    port = server.rsplit(":", 1)[1]
    payload = {"url": f"http://localhost:{port}/hook"}
    action = HttpAction(STRICT)
    with pytest.raises(
        ActionFailed, match=r"localhost is 127\.0\.0\.1, a loopback address"
    ) as failed:
        await action.run(context(payload, STRICT))
    assert failed.value.retryable is False  # the same every time: not retried
    assert Counting.hits == []  # never reached
    allowed = Settings(http_allow_private=True)
    result = await HttpAction(allowed).run(context(payload, allowed))
    assert (result.result["status"], Counting.hits) == (200, ["/hook"])


async def test_a_redirect_to_another_local_port_is_not_followed(server: str) -> None:
    with serving(Counting) as elsewhere:
        Counting.target = f"{elsewhere}/inside"
        allowed = Settings(http_allow_private=True)
        action = HttpAction(allowed)
        result = await action.run(context(action.validate({"url": f"{server}/away"}), allowed))
    assert result.result["status"] == 302
    assert Counting.hits == ["/away"]  # the redirect's target was never called
