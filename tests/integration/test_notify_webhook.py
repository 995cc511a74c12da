"""JSON webhooks end to end: a fired reminder reaches a real HTTP receiver as Apprise's JSON
document, and agentcron's pooled sender sends exactly what Apprise itself sends."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import apprise
import pytest

from agentcron.abc import Message
from agentcron.config import Settings
from agentcron.notify.notifier import AppriseNotifier
from agentcron.testing import FakeClock
from tests.support.notify_rig import NotifyRig, eventually
from tests.support.webhooks import Request, WebhookReceiver

RELEVANT_HEADERS = ("user-agent", "content-type", "authorization", "x-header", "x-team")


async def test_a_fired_reminder_reaches_the_webhook_as_apprises_json_document(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    hook = WebhookReceiver()
    with hook.running():
        async with NotifyRig.running(database_url, tmp_path, clock) as rig:
            await rig.channel("hook", hook.json_url("/agentcron/in"))
            task = await rig.task("Water the plants", payload={"message": "The **ferns** first."})
            run = await rig.fire(task)
            (request,) = await eventually(hook.received)
            (delivery,) = await rig.settled(run.id)
    assert (request.method, request.path, request.query) == ("POST", "/agentcron/in", {})
    assert request.headers["content-type"] == "application/json"
    assert request.body == {
        "version": "1.0",
        "title": "Water the plants",
        "message": "The **ferns** first.\n\n_Sun 22 Nov 2026, 11:01 (Europe/Paris)_",
        "type": "info",
        "attachments": [],
    }
    assert (delivery.status, delivery.attempts, delivery.title) == ("sent", 1, "Water the plants")
    assert delivery.body == request.body["message"]


def _apprise_sends(url: str, title: str, body: str) -> bool:
    sender = apprise.Apprise()
    assert sender.add(url), url
    return bool(sender.notify(title=title, body=body, body_format="markdown"))


async def _agentcron_sends(url: str, message: Message) -> None:
    notifier = AppriseNotifier(Settings())
    try:
        await notifier.send(url, message)
    finally:
        await notifier.close()


@pytest.mark.parametrize(
    ("path", "auth", "query"),
    [
        ("/hook", "", ""),
        ("/team/hook", "bot:pa55-w0rd", "+X-Header=value&+X-Team=ops&:message=text&:type="),
        ("/v2/notify", "bot:t0k3n", ":title=subject&:source=agentcron&-channel=alerts&method=PUT"),
    ],
    ids=["plain", "auth-headers-renames", "extras-params-put"],
)
async def test_agentcron_sends_the_document_apprise_itself_sends(
    path: str, auth: str, query: str
) -> None:
    title = "Weekly report: 3 tasks ran"
    body = "**Done**: _backups_ and [the report](https://example.com/r)\n\n- one\n- ünïcode ✓"
    hook = WebhookReceiver()
    with hook.running():
        url = hook.json_url(path, auth=auth, query=query)
        assert await asyncio.to_thread(_apprise_sends, url, title, body)
        await _agentcron_sends(url, Message(title, body))
        theirs, ours = hook.received()

    def seen(request: Request) -> tuple[object, ...]:
        headers = {k: v for k, v in request.headers.items() if k in RELEVANT_HEADERS}
        return request.method, request.path, request.query, headers, request.body

    assert seen(ours) == seen(theirs)
    assert ours.body is not None
    assert theirs.headers["user-agent"] == "Apprise"
    if auth:
        assert "authorization" in ours.headers


async def test_a_user_without_a_password_is_sent_with_an_empty_password() -> None:
    """Apprise's own client would send the word 'None' as the password here."""
    hook = WebhookReceiver()
    with hook.running():
        await _agentcron_sends(hook.json_url(auth="bot"), Message("t", "b"))
        (request,) = hook.received()
    scheme, _, token = request.headers["authorization"].partition(" ")
    assert (scheme, base64.b64decode(token)) == ("Basic", b"bot:")
