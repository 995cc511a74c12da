"""Email channels end to end: a fired reminder reaches a real SMTP server, and a mail
server that is down at first gets the message once it is back, exactly once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from agentcron.testing import FakeClock
from agentcron.views import DeliveryView
from tests.support.notify_rig import NotifyRig, eventually
from tests.support.smtp import SENDER, SmtpServer
from tests.support.webhooks import WebhookReceiver


async def test_a_fired_reminder_is_mailed_with_its_title_message_and_local_time(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    with SmtpServer() as smtp:
        async with NotifyRig.running(
            database_url, tmp_path, clock, email_transport=smtp.transport()
        ) as rig:
            channel = await rig.channel("mail", "email:ann@example.com")
            assert (channel.shown, channel.is_default) == ("email:ann@example.com", True)
            # the task's own zone is Tokyo's; the message speaks in its owner's (Paris)
            task = await rig.task(
                "Call the plumber",
                timezone="Asia/Tokyo",
                payload={"message": "Ask about the **boiler** before noon."},
            )
            run = await rig.fire(task)
            assert run.status == "succeeded"
            (delivery,) = await rig.settled(run.id)
            (mail,) = await eventually(smtp.messages, timeout=10)
    assert run.scheduled_for == datetime(2026, 11, 22, 10, 1, tzinfo=UTC)
    assert (delivery.status, delivery.attempts, delivery.channel) == ("sent", 1, "mail")
    assert delivery.sent_at == clock.now()
    assert (mail.mail_from, mail.rcpt_tos) == (SENDER, ["ann@example.com"])
    assert mail.message["To"] == "ann@example.com"
    assert mail.subject == "Call the plumber"
    text = mail.text()
    assert "Ask about the" in text
    assert "boiler" in text
    assert "**" not in text  # Markdown rendered, not shown raw
    assert "Sun 22 Nov 2026, 11:01 (Europe/Paris)" in text
    assert "Tokyo" not in text
    assert "<strong>boiler</strong>" in (mail.html() or "")  # Markdown as HTML for mail


async def test_a_mail_server_down_at_first_gets_the_message_once_when_back(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    smtp = SmtpServer()  # not started: nothing listens on its port yet
    hook = WebhookReceiver()
    with hook.running():
        async with NotifyRig.running(
            database_url, tmp_path, clock, email_transport=smtp.transport(),
            delivery_backoff_seconds=5, delivery_max_attempts=4, delivery_timeout_seconds=10,
        ) as rig:  # fmt: skip
            await rig.channel("mail", "email:ann@example.com", default=True)
            await rig.channel("hook", hook.json_url(), default=True)
            task = await rig.task("Stretch")
            run = await rig.fire(task)

            async def mail_failed_once() -> bool:
                by_channel = {d.channel: d for d in await rig.deliveries(run.id)}
                mail = by_channel.get("mail")
                return mail is not None and mail.status == "pending" and mail.attempts == 1

            await eventually(mail_failed_once)
            (webhook,) = await eventually(hook.received)  # told at once, mail or not

            async def hook_sent() -> dict[str, DeliveryView]:
                by_channel = {d.channel: d for d in await rig.deliveries(run.id)}
                return by_channel if by_channel["hook"].status == "sent" else {}

            by_channel = await eventually(hook_sent)
            assert (by_channel["hook"].status, by_channel["hook"].attempts) == ("sent", 1)
            waiting = by_channel["mail"]
            assert waiting.last_error == 'Connection error while submitting email to "127.0.0.1"'
            assert waiting.next_attempt_at is not None
            backoff = (waiting.next_attempt_at - clock.now()).total_seconds()
            assert 2.5 <= backoff <= 5  # the first backoff, with its jitter
            assert smtp.messages() == []

            with smtp:
                rig.at(waiting.next_attempt_at)
                (mail,) = await eventually(smtp.messages)
                deliveries = await rig.settled(run.id, count=2)
                rig.later(3600)  # much later: nothing is sent again
                await rig.settled(run.id, count=2)
                assert len(smtp.messages()) == 1
            assert (await rig.service.get_run("ann", run.id)).status == "succeeded"
    assert mail.subject == "Stretch"
    assert webhook.body["title"] == "Stretch"
    assert sorted((d.channel, d.status, d.attempts, d.last_error) for d in deliveries) == [
        ("hook", "sent", 1, None),
        ("mail", "sent", 2, None),
    ]
