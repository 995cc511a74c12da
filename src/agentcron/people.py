"""People and their API keys: who may use agentcron, and with which key.

The operator adds people and makes their keys from the CLI (``agentcron users``,
``agentcron keys``); the HTTP API knows a caller by key alone (``authenticate``). A key
belongs to one person; an admin key may also act for anyone. Removing a person cancels
their tasks and revokes their keys, and keeps their row and history.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from agentcron.errors import AuthError, DuplicateError, InvalidInputError, NotFoundError
from agentcron.keys import (
    SESSION_PREFIX,
    NewKey,
    is_calendar_token,
    make_calendar_token,
    make_key,
    parse_key,
    parse_session,
    secret_matches,
)
from agentcron.schedules import get_zone
from agentcron.schedules._zones import zone_name
from agentcron.views import ApiKeyView, UserView

if TYPE_CHECKING:
    from agentcron.abc import Clock, Repositories, Store

WEB_SESSION_LIFETIME = timedelta(days=7)
"""How long a sign-in on the web page lasts; signing out, or revoking its key, ends it sooner."""
_USER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")
_MAX_NAME_CHARS = 200


class PeopleService:
    """People and keys, for the operator; ``authenticate`` for the API."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def add_user(self, user_id: str, *, name: str = "", timezone: str) -> UserView:
        """A new person (or one removed, back with this name and zone)."""
        check_user_id(user_id)
        name = check_name(name, "name")
        zone = zone_name(get_zone(timezone))
        async with self.store.transaction() as store:
            found = await store.users.get(user_id)
            if found is not None and found.removed_at is None:
                raise DuplicateError(f"A person named '{user_id}' exists already.")
            if found is None:
                person = UserView(
                    id=user_id, name=name, timezone=zone, locale="en", created_at=self.clock.now()
                )
                await store.users.add_if_absent(person)
            else:
                await store.users.restore(user_id, name, zone)
            return await _present(store, user_id)

    async def users(self) -> list[UserView]:
        """Everyone not removed, by id."""
        async with self.store.reading() as store:
            return await store.users.present()

    async def get_user(self, user_id: str) -> UserView:
        async with self.store.reading() as store:
            return await _present(store, user_id)

    async def forget_user(self, user_id: str) -> int:
        """Mark the person removed (again is harmless) and revoke their keys; how many were
        revoked. ``TaskService.remove_user`` then cancels their tasks."""
        now = self.clock.now()
        async with self.store.transaction() as store:
            person = await store.users.get(user_id)
            if person is None:
                raise NotFoundError(f"No person named '{user_id}' is known ('agentcron users ls').")
            revoked = await store.keys.revoke_of_user(user_id, now)
            await store.users.set_calendar_token(user_id, None)
            if person.removed_at is None:
                await store.users.mark_removed(user_id, now)
        return revoked

    async def set_budget(
        self, user_id: str, *, tokens: str | None = None, cost: str | None = None
    ) -> UserView:
        """Change the person's monthly caps: ``tokens`` a whole number, ``cost`` an amount in
        the prices' currency, either 'none' to lift that cap; one not given stays."""
        if tokens is None and cost is None:
            raise InvalidInputError(
                "Nothing to change: give --monthly-budget AMOUNT and/or --monthly-tokens N "
                "('none' lifts a cap)."
            )
        async with self.store.transaction() as store:
            person = await _present(store, user_id)
            token_cap = person.monthly_token_budget
            cost_cap = person.monthly_cost_budget
            if tokens is not None:
                capped = _cap(tokens, "token budget", whole=True)
                token_cap = None if capped is None else int(capped)
            if cost is not None:
                cost_cap = _cap(cost, "monthly budget", whole=False)
            await store.users.set_budget(user_id, token_cap, cost_cap)
            return await _present(store, user_id)

    async def create_key(
        self, user_id: str, *, admin: bool = False, name: str = ""
    ) -> tuple[ApiKeyView, str]:
        """A new key for the person: its listing, and the key itself, to show once."""
        name = check_name(name, "key name")
        made = make_key()
        key = ApiKeyView(
            id=made.id, user_id=user_id, name=name, admin=admin, created_at=self.clock.now()
        )
        async with self.store.transaction() as store:
            await _present(store, user_id)
            await store.keys.add(key, made.secret_hash)
        return key, made.key

    async def keys(self, user_id: str | None = None) -> list[ApiKeyView]:
        """Keys, oldest first: one person's, or everyone's."""
        async with self.store.reading() as store:
            if user_id is not None:
                await _present(store, user_id)
            return await store.keys.listed(user_id)

    async def revoke_key(self, key_id: str) -> ApiKeyView:
        """Revoke a key: it opens nothing from now on. One revoked already stays so."""
        now = self.clock.now()
        async with self.store.transaction() as store:
            found = await store.keys.get(key_id.strip())
            if found is None:
                raise NotFoundError(f"No API key has the id '{key_id}' ('agentcron keys ls').")
            key, _ = found
            if key.revoked_at is not None:
                return key
            await store.keys.revoke(key.id, now)
        return replace(key, revoked_at=now)

    async def authenticate(self, key: str) -> ApiKeyView | None:
        """The live key ``key`` is, if it is one: well formed, known, not revoked, its
        secret matching, its person not removed. None tells a caller nothing more. One read
        (the key with its person): every API request makes it."""
        parsed = parse_key(key)
        if parsed is None:
            return None
        key_id, secret = parsed
        async with self.store.reading() as store:
            found = await store.keys.get_with_person(key_id)
        if found is None:
            return None
        listed, secret_hash, present = found
        if not secret_matches(secret, secret_hash) or listed.revoked_at is not None:
            return None
        return listed if present else None

    async def open_session(self, key: str) -> NewKey:
        """A web session for the live key ``key`` (``NewKey.key`` is what the cookie carries,
        never stored); AuthError if the key is not one."""
        found = await self.authenticate(key)
        if found is None:
            raise AuthError("This API key is not valid (unknown or revoked); check it and retry.")
        session = make_key(SESSION_PREFIX)
        now = self.clock.now()
        async with self.store.transaction() as store:
            await store.keys.add_session(
                session.id, found.id, session.secret_hash, now, now + WEB_SESSION_LIFETIME
            )
        return session

    async def session_key(self, token: str) -> ApiKeyView | None:
        """The live key a web session was opened with: the session well formed, known, its
        secret matching, not expired, and its key as ``authenticate`` would take it."""
        parsed = parse_session(token)
        if parsed is None:
            return None
        session_id, secret = parsed
        async with self.store.reading() as store:
            found = await store.keys.get_session(session_id)
        if found is None:
            return None
        key, secret_hash, expires_at, present = found
        if not secret_matches(secret, secret_hash) or expires_at <= self.clock.now():
            return None
        return key if present and key.revoked_at is None else None

    async def close_session(self, token: str) -> None:
        """Sign out: the session opens nothing any more (only its whole token can do it)."""
        parsed = parse_session(token)
        if parsed is None:
            return
        session_id, secret = parsed
        async with self.store.transaction() as store:
            found = await store.keys.get_session(session_id)
            if found is not None and secret_matches(secret, found[1]):
                await store.keys.remove_session(session_id)

    async def calendar_token(self, user_id: str, *, new: bool = False) -> str:
        """The token of the person's calendar feed, made on first asking; ``new`` replaces
        it, so that the old address shows nothing any more."""
        async with self.store.transaction() as store:
            person = await _present(store, user_id)
            if person.calendar_token is not None and not new:
                return person.calendar_token
            token = make_calendar_token()
            await store.users.set_calendar_token(user_id, token)
            return token

    async def revoke_calendar(self, user_id: str) -> bool:
        """Close the person's calendar feed; False if they had none."""
        async with self.store.transaction() as store:
            person = await _present(store, user_id)
            await store.users.set_calendar_token(user_id, None)
            return person.calendar_token is not None

    async def calendar_owner(self, token: str) -> str | None:
        """Whose calendar feed ``token`` opens, if it opens one: well formed, live, its
        person not removed. A lookup by a unique index of a 192-bit random value tells a
        prober nothing by its timing."""
        if not is_calendar_token(token):
            return None
        async with self.store.reading() as store:
            person = await store.users.by_calendar_token(token)
        return person.id if person is not None and person.removed_at is None else None


_MAX_CAP = 1e12


def _cap(value: str, what: str, *, whole: bool) -> float | None:
    """A cap as typed: a number at least 0 (a whole one for tokens), or 'none'."""
    text = value.strip().lower()
    if text in ("none", "off", ""):
        return None
    try:
        number = int(text.replace("_", "")) if whole else float(text)
    except ValueError:
        kind = "a whole number" if whole else "an amount such as 5.00"
        raise InvalidInputError(
            f"The {what} must be {kind}, or 'none'; '{value}' is not."
        ) from None
    if not 0 <= number <= _MAX_CAP or number != number:  # noqa: PLR0124 - NaN
        raise InvalidInputError(f"The {what} must be from 0 to {_MAX_CAP:,.0f}; {value} is not.")
    return number


def check_user_id(user_id: str) -> None:
    if not _USER_ID.fullmatch(user_id):
        raise InvalidInputError(
            f"'{user_id}' cannot be a person's id: use 1 to 64 letters, digits and . _ @ + -, "
            "starting with a letter or digit."
        )


def check_name(name: str, what: str) -> str:
    name = name.strip()
    if len(name) > _MAX_NAME_CHARS:
        raise InvalidInputError(
            f"The {what} is {len(name):,} characters long; at most {_MAX_NAME_CHARS} are allowed."
        )
    return name


async def _present(store: Repositories, user_id: str) -> UserView:
    person = await store.users.get(user_id)
    if person is None or person.removed_at is not None:
        raise NotFoundError(f"No person named '{user_id}' is known ('agentcron users ls').")
    return person
