"""The rules for channels, profiles and deliveries: every front door goes through here, as it
goes through ``TaskService`` for tasks. A failed call writes nothing."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TypedDict

from agentcron.abc import Clock, Message, Repositories, Store
from agentcron.budgets import spend_of
from agentcron.config import Settings
from agentcron.domain import DeliveryStatus
from agentcron.errors import (
    ConflictError,
    DeliveryFailed,
    InvalidInputError,
    NotFoundError,
    ScheduleError,
)
from agentcron.notify.notifier import AppriseNotifier
from agentcron.notify.quiet import QuietHours
from agentcron.plurals import plural
from agentcron.schedules import get_zone
from agentcron.schedules._zones import zone_name
from agentcron.secrets import mask_text
from agentcron.views import ChannelView, DeliveryView, Profile

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_RESENDABLE = (DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN)
MAX_CHANNELS = 50
ChangeSignal = Callable[[], Awaitable[None]]


class ProfileChanges(TypedDict, total=False):
    """What ``update_profile`` changes; a field left out stays as it is."""

    timezone: str
    """An IANA zone, such as 'Europe/Paris'."""
    quiet_hours: str | None
    """'22:00-07:00', in the person's zone; None (or 'off') clears them."""


def check_channel_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidInputError(
            f"'{name}' cannot name a channel: use up to 64 letters, digits, '-', '_' or '.', "
            "starting with a letter or digit (e.g. 'phone', 'work-email')."
        )
    return name


class NotificationService:
    """A person's channels, profile and deliveries."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: Settings,
        *,
        notifier: AppriseNotifier | None = None,
        on_change: ChangeSignal | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings
        self.notifier = notifier or AppriseNotifier(settings)
        self._on_change = on_change

    # channels

    async def channels(self, owner: str) -> list[ChannelView]:
        async with self.store.reading() as store:
            return await store.channels.of_owner(owner)

    async def add_channel(
        self, owner: str, name: str, url: str, *, default: bool = False
    ) -> ChannelView:
        """A new channel, its URL checked by Apprise first. A person's first channel is
        their default (or nothing would ever reach them)."""
        check_channel_name(name)
        shown = self.notifier.check(url)
        async with self.store.transaction() as store:
            mine = await store.channels.of_owner(owner)
            if any(channel.name == name for channel in mine):
                raise ConflictError(
                    f"You have a channel named '{name}' already; remove it first "
                    f"('agentcron channels rm {name}') or pick another name."
                )
            if len(mine) >= MAX_CHANNELS:
                raise InvalidInputError(
                    f"You have {plural(len(mine), 'channel')}, the most allowed."
                )
            return await store.channels.add(
                {"owner_id": owner, "name": name, "url": url.strip(), "shown": shown,
                 "is_default": default or not mine, "created_at": self.clock.now()}
            )  # fmt: skip

    async def remove_channel(self, owner: str, name: str) -> ChannelView:
        """Forget a channel; tasks naming it fall back to their other channels, else the
        defaults; its deliveries keep its name."""
        async with self.store.transaction() as store:
            channel = await _channel(store, owner, name)
            await store.channels.remove(owner, name)
        return channel

    async def set_default(self, owner: str, name: str, default: bool) -> ChannelView:
        async with self.store.transaction() as store:
            channel = await _channel(store, owner, name)
            await store.channels.set_default(owner, name, default)
        return ChannelView(**{**channel.__dict__, "is_default": default})

    async def test_channel(self, owner: str, name: str) -> ChannelView:
        """Send a test message now; DeliveryFailed saying why (the transport's words, masked)
        if it does not go out."""
        async with self.store.reading() as store:
            channel = await _channel(store, owner, name)
        message = Message(
            "agentcron test",
            f"This is a test from agentcron: channel **{name}** works. "
            f"Tasks told here will reach you like this.",
        )
        notifier = AppriseNotifier(self.settings)  # its own connections, closed after
        try:
            await notifier.send(channel.url, message)
        except DeliveryFailed as error:
            said = mask_text(error.message).rstrip(".")
            raise DeliveryFailed(f"The test message to {name} did not go out: {said}.") from None
        finally:
            await notifier.close()
        return channel

    async def check_names(self, owner: str, names: Sequence[str]) -> None:
        """Refuse channel names the owner does not have, saying which."""
        if names:
            check_known(names, await self.channel_names(owner))

    async def channel_names(self, owner: str) -> set[str]:
        """The names of the owner's channels (what ``check_known`` checks against)."""
        return {channel.name for channel in await self.channels(owner)}

    # the person

    async def profile(self, owner: str) -> Profile:
        async with self.store.reading() as store:
            user = await store.users.get(owner)
            if user is None:
                raise NotFoundError(f"No person named '{owner}' is known to agentcron.")
            spend = await spend_of(store, user, self.clock.now())
            return Profile(user, await store.channels.of_owner(owner), spend)

    async def set_quiet_hours(self, owner: str, quiet_hours: str | None) -> Profile:
        """Set quiet hours ('22:00-07:00', in the person's zone), or clear them with None or
        'off'."""
        return await self.update_profile(owner, {"quiet_hours": quiet_hours})

    async def set_timezone(self, owner: str, timezone: str) -> Profile:
        """Set the person's zone, an IANA name such as 'Europe/Paris' (in any case). Their
        quiet hours and the tasks they make from now on without a zone of their own are read
        in it; tasks made before keep the zone each one stores."""
        return await self.update_profile(owner, {"timezone": timezone})

    async def update_profile(self, owner: str, changes: ProfileChanges) -> Profile:
        """Change the zone, the quiet hours or both at once: both are checked before either
        is written, so that a refusal of one changes neither."""
        if not changes:
            raise InvalidInputError("Nothing to change: give a time zone, quiet hours or both.")
        zone = _zone_named(changes["timezone"]) if "timezone" in changes else None
        quiet = _quiet_hours(changes["quiet_hours"]) if "quiet_hours" in changes else None
        async with self.store.transaction() as store:
            if zone is not None:
                await store.users.set_timezone(owner, zone)
            if "quiet_hours" in changes:
                await store.users.set_quiet_hours(owner, quiet)
        return await self.profile(owner)

    # deliveries

    async def deliveries(
        self, owner: str, *, statuses: Sequence[str] | None = None, limit: int = 50
    ) -> list[DeliveryView]:
        unknown = set(statuses or ()) - {status.value for status in DeliveryStatus}
        if unknown:
            raise InvalidInputError(
                f"Unknown delivery status {', '.join(sorted(unknown))}; use "
                f"{', '.join(status.value for status in DeliveryStatus)}."
            )
        async with self.store.reading() as store:
            return await store.deliveries.recent(owner, statuses=statuses, limit=limit)

    async def of_runs(self, owner: str, run_ids: Sequence[int]) -> dict[int, list[DeliveryView]]:
        """The deliveries of these runs (the caller read the runs as the owner's)."""
        async with self.store.reading() as store:
            found = await store.deliveries.for_runs(run_ids)
        return {run: [d for d in items if d.owner_id == owner] for run, items in found.items()}

    async def retry_delivery(self, owner: str, delivery_id: int) -> DeliveryView:
        """Send a failed (or unknown) delivery again, now: a serve picks it up at once."""
        now: datetime = self.clock.now()
        async with self.store.transaction() as store:
            delivery = await store.deliveries.get(owner, delivery_id)
            if delivery is None:
                raise NotFoundError(
                    f"There is no delivery {delivery_id}; 'agentcron deliveries' lists them."
                )
            if delivery.status not in _RESENDABLE:
                raise ConflictError(
                    f"Delivery {delivery_id} is {delivery.status}; only failed or unknown "
                    "deliveries are sent again."
                )
            await store.deliveries.send_again(delivery_id, now)
            await store.announce_change()
        if self._on_change is not None:
            await self._on_change()
        return DeliveryView(
            **{**delivery.__dict__, "status": DeliveryStatus.PENDING.value,
               "next_attempt_at": now, "held_until": None, "updated_at": now}
        )  # fmt: skip


async def _channel(store: Repositories, owner: str, name: str) -> ChannelView:
    channel = await store.channels.get(owner, name)
    if channel is None:
        raise NotFoundError(
            f"You have no channel named '{name}'; 'agentcron channels ls' lists yours."
        )
    return channel


def _zone_named(timezone: str) -> str:
    """The IANA key of a person's zone, or why the name is refused (and which would do)."""
    try:
        return zone_name(get_zone(timezone))
    except ScheduleError as error:  # a person's zone is no schedule: refused as input
        raise InvalidInputError(error.message) from None


def _quiet_hours(given: str | None) -> str | None:
    """Quiet hours in their normal form; None for none ('off', 'none' or nothing given)."""
    if given is None or given.strip().lower() in ("", "off", "none"):
        return None
    return str(QuietHours.parse(given))


def check_known(names: Sequence[str], known: set[str]) -> None:
    """Refuse channel names that are not among ``known``, saying which."""
    missing = [name for name in names if name not in known]
    if missing:
        listed = ", ".join(f"'{name}'" for name in missing)
        have = ", ".join(sorted(known)) or "none yet"
        raise InvalidInputError(
            f"You have no channel named {listed} (yours: {have}); 'agentcron channels add "
            "NAME URL' adds one."
        )
