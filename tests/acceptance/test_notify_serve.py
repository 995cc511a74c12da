"""Notifications of ``agentcron serve`` as a separate process: a serve killed in the middle
of a send leaves that delivery unknown, never sent again on its own; and whatever serve
logs, even at DEBUG, and whatever it records of a failed send, keeps channels' secrets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from agentcron.bootstrap import Engine, build_service
from agentcron.config import Settings
from agentcron.store import SqlStore
from agentcron.store.deliveries import LOST_ERROR
from agentcron.testing import FakeClock
from agentcron.views import DeliveryView
from tests.acceptance.test_serve import Serve, environment
from tests.support.smtp import SmtpServer
from tests.support.webhooks import WebhookReceiver

OWNER = "local"  # serve's person
T = TypeVar("T")


def wait_for(check: Callable[[], T], timeout: float = 20.0) -> T:
    """The first truthy result of ``check()``, polled in real time."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"timed out: last {result!r}"
        time.sleep(0.05)
    return result


async def _with_service(url: str, settings: Settings, work: Any) -> Any:
    """``work(service)`` on a service of this process over the store serve uses; serve is
    woken by it as by the CLI (socket on SQLite, NOTIFY on PostgreSQL)."""
    store = SqlStore(url)
    try:
        await store.migrate()
        service = build_service(settings, store)
        await service.ensure_user(OWNER, timezone="Europe/Paris")
        return await work(service)
    finally:
        await store.close()


def on_store(url: str, work: Any, **settings: Any) -> Any:
    return asyncio.run(_with_service(url, Settings(timezone="Europe/Paris", **settings), work))


def deliveries(url: str) -> list[DeliveryView]:
    async def read(service: Any) -> list[DeliveryView]:
        return sorted(await service.notifications.deliveries(OWNER), key=lambda d: d.id)

    found: list[DeliveryView] = on_store(url, read)
    return found


def tell_now(
    url: str, channels: dict[str, str], *, message: str = "Stand up.", **settings: Any
) -> int:
    """Add ``channels`` (all default), then a reminder and a run of it now; the run's id."""

    async def work(service: Any) -> int:
        for name, channel in channels.items():
            await service.notifications.add_channel(OWNER, name, channel, default=True)
        task = await service.create(
            OWNER, {"title": "Stretch", "when": "in 1 hour", "payload": {"message": message}}
        )
        return int((await service.trigger(OWNER, task.id)).id)

    run_id: int = on_store(url, work, **settings)
    return run_id


def retry_delivery(url: str, delivery_id: int) -> DeliveryView:
    async def work(service: Any) -> DeliveryView:
        return await service.notifications.retry_delivery(OWNER, delivery_id)

    retried: DeliveryView = on_store(url, work)
    return retried


def test_a_serve_killed_mid_send_leaves_it_unknown_and_only_a_retry_sends_it_again(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'agentcron.db'}"
    env = environment(tmp_path, AGENTCRON_DELIVERY_TIMEOUT_SECONDS="60")
    hook = WebhookReceiver(hang=True)  # takes the request, never answers
    with hook.running():
        first = Serve(env, tmp_path / "serve-1.log")
        try:
            tell_now(url, {"hook": hook.json_url()})
            wait_for(hook.received)
            (sending,) = deliveries(url)
            assert (sending.status, sending.attempts) == ("sending", 1)
        finally:
            first.kill()
        second = Serve(env, tmp_path / "serve-2.log")
        try:
            (lost,) = deliveries(url)
            assert (lost.id, lost.status, lost.attempts) == (sending.id, "unknown", 1)
            assert lost.last_error == LOST_ERROR
            time.sleep(1.0)  # serve is up and looking: it sends nothing on its own
            assert len(hook.received()) == 1
            assert deliveries(url)[0].status == "unknown"

            hook.release()  # answers now
            assert retry_delivery(url, lost.id).status == "pending"
            wait_for(lambda: len(hook.received()) == 2)
            sent = wait_for(lambda: [d for d in deliveries(url) if d.status == "sent"])
        finally:
            assert second.stop() == 0
    assert [(d.id, d.attempts, d.last_error) for d in sent] == [(lost.id, 2, None)]
    assert hook.received()[1].body == hook.received()[0].body
    log = (tmp_path / "serve-2.log").read_text()
    assert "1 deliveries were being sent when a previous process stopped" in log
    assert len(hook.received()) == 2


async def test_on_postgresql_a_send_cut_short_is_found_unknown_once_its_lease_ends(
    tmp_path: Path, pg_schema: str
) -> None:
    """A serve on PostgreSQL may share the store with others, so a send under way is taken
    for lost only once its lease has ended: the restarted engine (on a clock moved past
    the lease) finds it unknown, sends nothing on its own, and sends it when asked."""
    await _with_service(pg_schema, Settings(timezone="Europe/Paris"), lambda s: asyncio.sleep(0))
    env = environment(
        tmp_path, AGENTCRON_DATABASE_URL=pg_schema, AGENTCRON_DELIVERY_TIMEOUT_SECONDS="60"
    )
    hook = WebhookReceiver(hang=True)
    with hook.running():
        serve = Serve(env, tmp_path / "serve.log")
        try:
            await asyncio.to_thread(tell_now, pg_schema, {"hook": hook.json_url()})
            await asyncio.to_thread(wait_for, hook.received)
        finally:
            serve.kill()
        (sending,) = await asyncio.to_thread(deliveries, pg_schema)
        assert sending.status == "sending"
        assert sending.lease_expires_at is not None
        clock = FakeClock(sending.lease_expires_at + timedelta(seconds=1))
        settings = Settings(timezone="Europe/Paris", home=tmp_path, database_url=pg_schema)
        engine = Engine(settings, clock=clock, store=SqlStore(pg_schema, database_clock=False))
        await engine.start()
        try:
            notifications = engine.service.notifications

            async def lost() -> DeliveryView | None:
                (found,) = await notifications.deliveries(OWNER)
                return found if found.status == "unknown" else None

            found = await _eventually(lost)
            assert (found.attempts, found.last_error) == (1, LOST_ERROR)
            await asyncio.sleep(0.5)
            assert len(hook.received()) == 1
            hook.release()
            await notifications.retry_delivery(OWNER, found.id)

            async def sent() -> DeliveryView | None:
                (found,) = await notifications.deliveries(OWNER)
                return found if found.status == "sent" else None

            done = await _eventually(sent)
        finally:
            await engine.stop(grace=1)
    assert (done.attempts, done.last_error) == (2, None)
    assert len(hook.received()) == 2


async def _eventually(check: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := await check()):
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)
    return result


WEBHOOK_PASSWORD = "Wh-pa55-Zx81q"
PATH_TOKEN = "pathtok3n-QW12er"
QUERY_TOKEN = "qtok-ZX98cv76bn"
HEADER_KEY = "hk-Lm55Nb44Vc"
SMTP_PASSWORD = "smtp-Pw-7Yh6Tg"
FAILING_PASSWORD = "fail-pa55-Rt43e"
FAILING_TOKEN = "failtok-Yu78iO90"
SECRETS = (
    WEBHOOK_PASSWORD, PATH_TOKEN, QUERY_TOKEN, HEADER_KEY, SMTP_PASSWORD, FAILING_PASSWORD,
    FAILING_TOKEN,
)  # fmt: skip


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_serve_at_debug_never_logs_or_records_a_channels_secrets(
    tmp_path: Path, request: pytest.FixtureRequest, store: str
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'agentcron.db'}"
        if store == "sqlite"
        else str(request.getfixturevalue("pg_schema"))
    )
    smtp = SmtpServer(login=("mailer", SMTP_PASSWORD))
    hook = WebhookReceiver(fail_first=2)  # fails twice, then takes the message
    failing = WebhookReceiver(status=500)  # never takes it
    with smtp, hook.running(), failing.running():
        channels = {
            "mail": "email:ann@example.com",
            "hook": hook.json_url(
                f"/hooks/{PATH_TOKEN}", auth=f"bot:{WEBHOOK_PASSWORD}",
                query=f"-token={QUERY_TOKEN}&+X-Api-Key={HEADER_KEY}",
            ),
            "failing": failing.json_url(
                f"/in/{FAILING_TOKEN}", auth=f"ops:{FAILING_PASSWORD}"
            ),
        }  # fmt: skip
        env = environment(
            tmp_path, AGENTCRON_LOG_LEVEL="DEBUG", AGENTCRON_EMAIL_TRANSPORT=smtp.transport(),
            AGENTCRON_DELIVERY_BACKOFF_SECONDS="0.1", AGENTCRON_DELIVERY_MAX_ATTEMPTS="3",
            **({"AGENTCRON_DATABASE_URL": url} if store == "postgresql" else {}),
        )  # fmt: skip
        on_store(url, lambda service: asyncio.sleep(0))  # the schema, before serve
        serve = Serve(env, tmp_path / "serve.log")
        try:
            run_id = tell_now(url, channels, email_transport=smtp.transport())

            def ended() -> list[DeliveryView]:
                found = [d for d in deliveries(url) if d.run_id == run_id]
                done = len(found) == 3 and all(d.status in ("sent", "failed") for d in found)
                return found if done else []

            found = wait_for(ended)
        finally:
            assert serve.stop() == 0
        shown = on_store(url, lambda service: service.notifications.channels(OWNER))
    by_channel = {d.channel: d for d in found}
    assert (by_channel["hook"].status, by_channel["hook"].attempts) == ("sent", 3)
    assert (by_channel["mail"].status, by_channel["mail"].attempts) == ("sent", 1)
    assert (by_channel["failing"].status, by_channel["failing"].attempts) == ("failed", 3)
    assert "answered HTTP 500" in (by_channel["failing"].last_error or "")
    assert len(smtp.messages()) == 1
    (taken,) = [r for r in hook.received() if r.body is not None][2:]
    assert taken.query == {"token": QUERY_TOKEN}  # the secrets did reach the receiver
    assert taken.headers["x-api-key"] == HEADER_KEY

    log = (tmp_path / "serve.log").read_text()
    assert " DEBUG " in log  # serve did log at DEBUG
    assert log.count("to hook failed") == 2  # and said why each failed attempt failed
    records = [d.last_error or "" for d in found] + [str(c.to_dict()) for c in shown]
    for secret in SECRETS:
        assert secret not in log, (secret, [line for line in log.splitlines() if secret in line])
        assert not any(secret in record for record in records), secret
