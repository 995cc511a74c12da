"""People and their API keys through the service, on SQLite and PostgreSQL: a key opens the
API for its person only while it is live, its person present and its secret right."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from agentcron.errors import DuplicateError, InvalidInputError, NotFoundError, ScheduleError
from agentcron.service import TaskService
from agentcron.store import SqlStore
from agentcron.store.models import api_keys
from agentcron.testing import FakeClock
from tests.conftest import START
from tests.support.sql import sessions

REMINDER = {"action": "reminder", "payload": {"message": "hi"}}


async def test_a_person_is_added_once_with_a_real_zone(service: TaskService) -> None:
    people = service.people
    carol = await people.add_user("carol", name="Carol", timezone="Asia/Tokyo")
    assert (carol.id, carol.name, carol.timezone, carol.removed_at) == (
        "carol", "Carol", "Asia/Tokyo", None
    )  # fmt: skip
    assert "carol" in [user.id for user in await people.users()]
    with pytest.raises(DuplicateError, match="'carol' exists already"):
        await people.add_user("carol", timezone="UTC")
    with pytest.raises(InvalidInputError, match="cannot be a person's id"):
        await people.add_user("no spaces", timezone="UTC")
    with pytest.raises(InvalidInputError, match="at most 200"):
        await people.add_user("dave", name="d" * 201, timezone="UTC")
    with pytest.raises(ScheduleError, match="Mars/Base"):
        await people.add_user("dave", timezone="Mars/Base")
    assert "dave" not in [user.id for user in await people.users()]


async def test_a_key_opens_only_while_live_and_only_with_its_secret(
    service: TaskService, store: SqlStore
) -> None:
    people = service.people
    listed, key = await people.create_key("ann", name="laptop")
    assert (listed.user_id, listed.name, listed.admin, listed.revoked_at) == (
        "ann", "laptop", False, None
    )  # fmt: skip
    assert await people.authenticate(key) == listed
    assert await people.authenticate(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert await people.authenticate("agc_000000000000_" + key.split("_", 2)[2]) is None
    assert await people.authenticate("not a key") is None
    admin, admin_key = await people.create_key("bob", admin=True)
    assert (await people.authenticate(admin_key)) == admin
    assert admin.admin
    assert [k.id for k in await people.keys("ann")] == [listed.id]
    assert {k.id for k in await people.keys()} == {listed.id, admin.id}
    revoked = await people.revoke_key(listed.id)
    assert revoked.revoked_at is not None
    assert await people.authenticate(key) is None
    assert (await people.revoke_key(listed.id)).revoked_at == revoked.revoked_at  # stays so
    with pytest.raises(NotFoundError, match="No API key has the id 'nope'"):
        await people.revoke_key("nope")
    with pytest.raises(NotFoundError, match="No person named 'zed'"):
        await people.create_key("zed")
    async with sessions(store)() as session:
        stored = (await session.execute(select(api_keys))).all()
    kept = repr(stored)
    for made in (key, admin_key):
        assert made not in kept
        assert made.split("_", 2)[2] not in kept


async def test_a_live_key_of_a_removed_person_opens_nothing(
    service: TaskService, store: SqlStore, clock: FakeClock
) -> None:
    """The person is checked with the key, not only through the revocation that removing
    them makes: a key left unrevoked (a removal half done) still opens nothing."""
    listed, key = await service.people.create_key("ann")
    assert await service.people.authenticate(key) == listed
    async with store.transaction() as repositories:
        await repositories.users.mark_removed("ann", clock.now())
    assert await service.people.authenticate(key) is None


async def test_removing_a_person_revokes_their_keys_and_cancels_their_tasks(
    service: TaskService, clock: FakeClock
) -> None:
    _, key = await service.people.create_key("ann")
    daily = await service.create("ann", {"title": "daily", "when": "every day at 9", **REMINDER})
    later = await service.create("ann", {"title": "later", "when": "in 2 hours", **REMINDER})
    bobs = await service.create("bob", {"title": "bob's", "when": "in 2 hours", **REMINDER})
    assert await service.remove_user("ann") == (2, 1)
    assert await service.people.authenticate(key) is None
    for task in (daily, later):
        assert (await service.get("ann", task.id)).status == "cancelled"
    assert (await service.get("bob", bobs.id)).status == "active"
    assert "ann" not in [user.id for user in await service.people.users()]
    with pytest.raises(NotFoundError, match="No person named 'ann'"):
        await service.create("ann", {"title": "new", "when": "in 1 hour", **REMINDER})
    with pytest.raises(NotFoundError, match="No person named 'ann'"):
        await service.people.create_key("ann")
    assert await service.remove_user("ann") == (0, 0)  # again: nothing left to do
    back = await service.people.add_user("ann", name="Ann again", timezone="Europe/Paris")
    assert (back.name, back.removed_at) == ("Ann again", None)
    assert await service.people.authenticate(key) is None  # an old key stays revoked
    assert (await service.create("ann", {"title": "new", "when": "in 1 hour", **REMINDER})).id


async def test_a_calendar_token_opens_its_person_s_feed_until_replaced_closed_or_removed(
    service: TaskService,
) -> None:
    people = service.people
    token = await people.calendar_token("ann")
    assert await people.calendar_token("ann") == token  # the same address, asked again
    assert token not in repr(await people.get_user("ann"))  # a secret: never in a repr
    assert await people.calendar_owner(token) == "ann"
    bob_s = await people.calendar_token("bob")
    assert (bob_s != token, await people.calendar_owner(bob_s)) == (True, "bob")
    for not_one in ("", "cal_", token[:-1], token + "x", "agc_" + token[4:], token.upper()):
        assert await people.calendar_owner(not_one) is None, not_one
    replaced = await people.calendar_token("ann", new=True)
    assert (await people.calendar_owner(token), await people.calendar_owner(replaced)) == (
        None, "ann"
    )  # fmt: skip
    assert await people.revoke_calendar("ann") is True
    assert await people.revoke_calendar("ann") is False
    assert await people.calendar_owner(replaced) is None
    await service.remove_user("bob")
    assert await people.calendar_owner(bob_s) is None
    with pytest.raises(NotFoundError):
        await people.calendar_token("bob")


async def test_a_person_s_new_zone_is_their_new_tasks_and_the_old_ones_keep_theirs(
    service: TaskService,
) -> None:
    daily = {"title": "Stretch", "when": "every day at 9", **REMINDER}
    before = await service.create("ann", daily)
    assert (before.timezone, before.next_run_at) == ("Europe/Paris", START.replace(day=23, hour=8))
    changed = await service.notifications.set_timezone("ann", "asia/tokyo")  # any case
    assert changed.user.timezone == "Asia/Tokyo"
    assert changed.to_dict()["timezone"] == "Asia/Tokyo"
    assert (await service.profile("ann")).timezone == "Asia/Tokyo"
    after = await service.create("ann", daily)
    assert (after.timezone, after.next_run_at) == ("Asia/Tokyo", START.replace(day=23, hour=0))
    assert "(Asia/Tokyo)" in after.description
    kept = await service.get("ann", before.id)
    assert (kept.timezone, kept.next_run_at, kept.version) == (
        "Europe/Paris", before.next_run_at, before.version
    )  # fmt: skip
    assert (await service.profile("bob")).timezone == "America/New_York"  # nobody else's


async def test_an_unknown_zone_is_refused_saying_which_would_do_and_nothing_changes(
    service: TaskService,
) -> None:
    notifications = service.notifications
    await notifications.set_quiet_hours("ann", "22:00-07:00")
    refused = {
        "Mars/Base": "Unknown time zone 'Mars/Base'. Use an IANA name such as 'Europe/Paris'",
        "Europe/Pariss": "Did you mean 'Europe/Paris'",
        "  ": "The time zone is empty. Use an IANA name such as 'Europe/Paris'.",
    }
    for zone, says in refused.items():
        with pytest.raises(InvalidInputError) as error:
            await notifications.set_timezone("ann", zone)
        assert says in error.value.message, zone
    # both at once: a refusal of either writes neither
    with pytest.raises(InvalidInputError, match="name a time that does not exist"):
        await notifications.update_profile(
            "ann", {"timezone": "Asia/Tokyo", "quiet_hours": "25:00-07:00"}
        )
    with pytest.raises(InvalidInputError, match="Unknown time zone 'Mars/Base'"):
        await notifications.update_profile("ann", {"timezone": "Mars/Base", "quiet_hours": "off"})
    with pytest.raises(InvalidInputError, match="Nothing to change"):
        await notifications.update_profile("ann", {})
    person = (await notifications.profile("ann")).user
    assert (person.timezone, person.quiet_hours) == ("Europe/Paris", "22:00-07:00")
    both = await notifications.update_profile(
        "ann", {"timezone": "America/Chicago", "quiet_hours": None}
    )
    assert (both.user.timezone, both.user.quiet_hours) == ("America/Chicago", None)
    with pytest.raises(NotFoundError, match="No person named 'zed'"):
        await notifications.set_timezone("zed", "UTC")
