"""Web sessions through the service, on SQLite and PostgreSQL: a live key opens one, and the
session opens the page for that key's person only while the key is live, the person present,
the session unexpired and its whole token given; its secret is never stored."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from agentcron.errors import AuthError
from agentcron.keys import csrf_token
from agentcron.people import WEB_SESSION_LIFETIME
from agentcron.service import TaskService
from agentcron.store import SqlStore
from agentcron.store.models import web_sessions
from agentcron.testing import FakeClock
from tests.support.sql import sessions

REFUSED = "This API key is not valid (unknown or revoked); check it and retry."


def other_secret(token: str) -> str:
    """``token`` with its last character changed: the same id, another secret."""
    return token[:-1] + ("A" if token[-1] != "A" else "B")


async def session_rows(store: SqlStore) -> list[tuple[str, str]]:
    """(id, key id) of every web session the store keeps."""
    async with sessions(store)() as session:
        rows = await session.execute(select(web_sessions.c.id, web_sessions.c.key_id))
    return sorted((row.id, row.key_id) for row in rows)


async def test_a_live_key_opens_a_session_that_only_its_whole_token_opens(
    service: TaskService, store: SqlStore
) -> None:
    people = service.people
    listed, key = await people.create_key("ann")
    opened = await people.open_session(f"  {key}\n")  # as pasted
    token = opened.key
    assert token.startswith(f"agw_{opened.id}_")
    assert key.split("_", 2)[2] not in token
    assert await people.session_key(token) == listed
    second = await people.open_session(key)
    assert second.key != token
    assert await people.session_key(second.key) == listed  # one key, several browsers
    for not_one in (
        other_secret(token),
        "agw_000000000000_" + token.split("_", 2)[2],
        key,  # the API key itself is no session
        "agc_" + token.removeprefix("agw_"),
        token[:-1],
        token + "x",
        "",
        "garbage",
    ):
        assert await people.session_key(not_one) is None, not_one
    assert await people.authenticate(token) is None  # nor is a session an API key
    assert csrf_token(token) != csrf_token(second.key)
    assert csrf_token(token) == csrf_token(token)
    assert opened.key not in repr(opened)


async def test_only_a_live_key_opens_a_session(service: TaskService, store: SqlStore) -> None:
    people = service.people
    listed, key = await people.create_key("ann")
    for not_live in (other_secret(key), "agc_000000000000_" + key.split("_", 2)[2], "", "x"):
        with pytest.raises(AuthError) as refused:
            await people.open_session(not_live)
        assert refused.value.message == REFUSED
    await people.revoke_key(listed.id)
    with pytest.raises(AuthError, match="unknown or revoked"):
        await people.open_session(key)
    assert await session_rows(store) == []


async def test_revoking_the_key_ends_the_sessions_it_opened_and_no_other(
    service: TaskService,
) -> None:
    people = service.people
    laptop, laptop_key = await people.create_key("ann", name="laptop")
    phone, phone_key = await people.create_key("ann", name="phone")
    first = (await people.open_session(laptop_key)).key
    second = (await people.open_session(laptop_key)).key
    other = (await people.open_session(phone_key)).key
    await people.revoke_key(laptop.id)
    assert await people.session_key(first) is None
    assert await people.session_key(second) is None
    assert await people.session_key(other) == phone


async def test_removing_the_person_ends_their_sessions(service: TaskService) -> None:
    people = service.people
    _, ann_key = await people.create_key("ann")
    bob, bob_key = await people.create_key("bob")
    ann_s = (await people.open_session(ann_key)).key
    bob_s = (await people.open_session(bob_key)).key
    await service.remove_user("ann")
    assert await people.session_key(ann_s) is None
    assert await people.session_key(bob_s) == bob
    await people.add_user("ann", timezone="Europe/Paris")  # back: the old session stays shut
    assert await people.session_key(ann_s) is None


async def test_a_removed_person_s_session_opens_nothing_even_with_its_key_left_live(
    service: TaskService, store: SqlStore, clock: FakeClock
) -> None:
    """The person is checked with the session, not only through their keys' revocation."""
    _, key = await service.people.create_key("ann")
    token = (await service.people.open_session(key)).key
    async with store.transaction() as repositories:
        await repositories.users.mark_removed("ann", clock.now())
    assert await service.people.session_key(token) is None


async def test_signing_out_takes_the_whole_token(service: TaskService, store: SqlStore) -> None:
    people = service.people
    listed, key = await people.create_key("ann")
    token = (await people.open_session(key)).key
    kept = (await people.open_session(key)).key
    await people.close_session(other_secret(token))  # someone who knows only the id
    await people.close_session("agw_000000000000_" + token.split("_", 2)[2])
    await people.close_session("garbage")
    await people.close_session(key)
    assert await people.session_key(token) == listed
    assert len(await session_rows(store)) == 2
    await people.close_session(token)
    assert await people.session_key(token) is None
    assert await people.session_key(kept) == listed  # the other browser stays signed in
    assert [row_id for row_id, _ in await session_rows(store)] == [kept.split("_")[1]]
    await people.close_session(token)  # again: nothing left to do
    assert await people.authenticate(key) == listed  # signing out leaves the key live


async def test_a_session_lasts_its_lifetime_and_no_longer(
    service: TaskService, clock: FakeClock
) -> None:
    people = service.people
    listed, key = await people.create_key("ann")
    token = (await people.open_session(key)).key
    clock.advance(WEB_SESSION_LIFETIME - timedelta(seconds=1))
    assert await people.session_key(token) == listed
    clock.advance(timedelta(seconds=1))
    assert await people.session_key(token) is None
    fresh = (await people.open_session(key)).key  # the key still opens a new one
    assert await people.session_key(fresh) == listed


async def test_a_new_session_drops_its_key_s_expired_ones_only(
    service: TaskService, store: SqlStore, clock: FakeClock
) -> None:
    people = service.people
    ann, ann_key = await people.create_key("ann")
    bob, bob_key = await people.create_key("bob")
    old = await people.open_session(ann_key)
    bob_s_old = await people.open_session(bob_key)
    clock.advance(WEB_SESSION_LIFETIME / 2)
    younger = await people.open_session(ann_key)
    clock.advance(WEB_SESSION_LIFETIME / 2)  # the first two expire now, the younger later
    assert await session_rows(store) == sorted(
        [(old.id, ann.id), (bob_s_old.id, bob.id), (younger.id, ann.id)]
    )
    newest = await people.open_session(ann_key)
    assert await session_rows(store) == sorted(
        [(bob_s_old.id, bob.id), (younger.id, ann.id), (newest.id, ann.id)]
    )  # ann's expired one gone; bob's waits for his next sign-in
    assert await people.session_key(younger.key) == ann


async def test_a_session_s_secret_is_never_stored(service: TaskService, store: SqlStore) -> None:
    _, key = await service.people.create_key("ann")
    made = [await service.people.open_session(key) for _ in range(2)]
    async with sessions(store)() as session:
        stored = (await session.execute(select(web_sessions))).all()
    assert len(stored) == 2
    kept = repr(stored)
    for opened in made:
        assert opened.id in kept  # the row is there, found by its id
        assert opened.secret_hash in kept
        assert opened.key not in kept
        assert opened.key.split("_", 2)[2] not in kept
    assert key.split("_", 2)[2] not in kept
