"""Quiet hours with time under test control: a delivery waits, held, until they end in its
owner's zone, then goes out; an urgent task's does not wait."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agentcron.testing import FakeClock
from tests.support.notify_rig import NotifyRig, eventually
from tests.support.webhooks import WebhookReceiver


@pytest.mark.parametrize(
    "case",
    [
        # 11:01 in Paris, quiet until 13:00 there
        ("11:00-13:00", datetime(2026, 11, 22, 10, 1, tzinfo=UTC),
         datetime(2026, 11, 22, 12, 0, tzinfo=UTC)),
        # 22:31 in Paris, quiet until 07:00 there the next morning
        ("22:00-07:00", datetime(2026, 11, 22, 21, 31, tzinfo=UTC),
         datetime(2026, 11, 23, 6, 0, tzinfo=UTC)),
    ],
    ids=["same-day", "over-midnight"],
)  # fmt: skip
async def test_a_delivery_in_quiet_hours_is_held_until_they_end_unless_urgent(
    database_url: str, tmp_path: Path, clock: FakeClock, case: tuple[str, datetime, datetime]
) -> None:
    window, fires, ends = case
    hook = WebhookReceiver()
    with hook.running():
        async with NotifyRig.running(database_url, tmp_path, clock) as rig:
            await rig.channel("hook", hook.json_url())
            profile = await rig.notifications.set_quiet_hours("ann", window)
            assert profile.user.quiet_hours == window
            quiet = await rig.task("Water the plants", when=fires.isoformat())
            urgent = await rig.task("Boiler alarm", when=fires.isoformat(), urgent=True)
            run = await rig.fire(quiet)
            urgent_run = await rig.fire(urgent)

            (told,) = await rig.settled(urgent_run.id)
            (held,) = await rig.deliveries(run.id)
            assert (told.status, told.held_until, told.sent_at) == ("sent", None, fires)
            assert (held.status, held.attempts, held.held_until) == ("held", 0, ends)
            assert held.next_attempt_at == ends
            assert [r.body["title"] for r in hook.received()] == ["Boiler alarm"]

            rig.at(ends - timedelta(minutes=1))  # still quiet
            await asyncio.sleep(0.3)
            assert (await rig.deliveries(run.id))[0].status == "held"
            assert len(hook.received()) == 1

            rig.at(ends)
            (sent,) = await rig.settled(run.id)
            await eventually(lambda: len(hook.received()) == 2)
    assert (sent.status, sent.attempts, sent.sent_at) == ("sent", 1, ends)
    assert [r.body["title"] for r in hook.received()] == ["Boiler alarm", "Water the plants"]
    assert "Europe/Paris" in hook.received()[1].body["message"]


async def test_a_delivery_outside_quiet_hours_goes_at_once(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    hook = WebhookReceiver()
    with hook.running():
        async with NotifyRig.running(database_url, tmp_path, clock) as rig:
            await rig.channel("hook", hook.json_url())
            await rig.notifications.set_quiet_hours("ann", "22:00-07:00")  # it is 11:00 there
            run = await rig.fire(await rig.task("Stretch"))
            (delivery,) = await rig.settled(run.id)
    assert (delivery.status, delivery.held_until) == ("sent", None)
    assert len(hook.received()) == 1


async def test_quiet_hours_are_read_in_the_person_s_zone_once_they_change_it(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    """At 11:00 in Paris it is 19:00 in Tokyo: quiet hours of 18:00-08:00 hold nothing of
    ann's until her zone is Tokyo's, then they hold until 08:00 there."""
    hook = WebhookReceiver()
    with hook.running():
        async with NotifyRig.running(database_url, tmp_path, clock) as rig:
            await rig.channel("hook", hook.json_url())
            await rig.notifications.set_quiet_hours("ann", "18:00-08:00")
            in_paris = await rig.fire(await rig.task("In Paris"))
            (told,) = await rig.settled(in_paris.id)
            assert (told.status, told.held_until) == ("sent", None)

            await rig.notifications.set_timezone("ann", "Asia/Tokyo")
            in_tokyo = await rig.fire(await rig.task("In Tokyo"))
            (held,) = await rig.deliveries(in_tokyo.id)
    assert (held.status, held.held_until) == ("held", datetime(2026, 11, 22, 23, 0, tzinfo=UTC))
    assert [r.body["title"] for r in hook.received()] == ["In Paris"]
