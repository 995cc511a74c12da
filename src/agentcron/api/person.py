"""The caller as agentcron knows them: ``/v1/profile`` (their zone and quiet hours, to read
and change) and ``/v1/channels`` (to list, add, test and remove; URLs only ever masked). Each
route is one ``NotificationService`` call for the caller's person."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from agentcron.api.auth import Authenticated, Service
from agentcron.api.bodies import Channel, Channels, Profile, answers, as_json
from agentcron.errors import InvalidInputError
from agentcron.notify.service import ProfileChanges

router = APIRouter(prefix="/v1")


def _left_out(schema: dict[str, Any]) -> None:
    """A field left out stays as it is: the schema names no default for it."""
    schema.pop("default", None)


class ProfileChangesBody(BaseModel):
    """The caller's zone, quiet hours or both; what is left out stays as it is."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    timezone: Annotated[str | None, WithJsonSchema({"type": "string", "maxLength": 64})] = Field(
        default=None,
        max_length=64,
        description="An IANA zone, such as 'Europe/Paris': the caller's quiet hours and the "
        "tasks they make from now on without a zone are read in it; tasks made before keep "
        "their own.",
        json_schema_extra=_left_out,
    )
    quiet_hours: str | None = Field(
        default=None,
        max_length=20,
        description="'22:00-07:00', in the caller's zone: notifications wait until they end "
        "(urgent tasks' do not); null or 'off' clears them.",
        json_schema_extra=_left_out,
    )

    def changes(self) -> ProfileChanges:
        """The fields given, as the service takes them; none given is refused."""
        given = self.model_fields_set
        if not given:
            raise InvalidInputError("Nothing to change: give timezone, quiet_hours or both.")
        changes: ProfileChanges = {}
        if "timezone" in given:
            if self.timezone is None:  # a person always has a zone (the schema says a string)
                raise InvalidInputError(
                    "timezone cannot be null: give an IANA zone such as 'Europe/Paris', or "
                    "leave it out."
                )
            changes["timezone"] = self.timezone
        if "quiet_hours" in given:
            changes["quiet_hours"] = self.quiet_hours
        return changes


class NewChannelBody(BaseModel):
    """A channel to add; its URL is checked first, kept as given and only ever shown masked."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="A short name: 'phone', 'work-email'.")
    url: str = Field(
        description="An Apprise URL (tgram://BOT_TOKEN/CHAT_ID, ntfy://TOPIC, "
        "json://HOST/PATH...), email:ADDRESS or sms:+NUMBER."
    )
    default: bool = Field(
        default=False,
        description="Told by every task without channels of its own (a first channel is "
        "one anyway).",
    )


@router.get("/profile", **answers(Profile))
async def profile(who: Authenticated, tasks: Service) -> Response:
    """Who the key acts for: id, name, zone, quiet hours, default channels."""
    person = await tasks.notifications.profile(who.owner)
    return as_json(person.to_dict() | {"admin": who.admin})


@router.patch("/profile", **answers(Profile))
async def change_profile(body: ProfileChangesBody, who: Authenticated, tasks: Service) -> Response:
    """Change the caller's zone, quiet hours or both: each is checked before either is
    written, so that a refusal changes nothing."""
    person = await tasks.notifications.update_profile(who.owner, body.changes())
    return as_json(person.to_dict() | {"admin": who.admin})


@router.get("/channels", **answers(Channels))
async def channels(who: Authenticated, tasks: Service) -> Response:
    """The caller's notification channels, their URLs masked."""
    found = await tasks.notifications.channels(who.owner)
    return as_json({"channels": [channel.to_dict() for channel in found]})


@router.post("/channels", **answers(Channel, 409, status=201))
async def add_channel(body: NewChannelBody, who: Authenticated, tasks: Service) -> Response:
    """A new channel (the caller's first is a default); a name they use already is 409."""
    added = await tasks.notifications.add_channel(
        who.owner, body.name, body.url, default=body.default
    )
    return as_json(added.to_dict(), 201)


@router.delete("/channels/{name}", **answers(Channel))
async def remove_channel(name: str, who: Authenticated, tasks: Service) -> Response:
    """Forget a channel: tasks that named it tell their other channels, else the defaults."""
    return as_json((await tasks.notifications.remove_channel(who.owner, name)).to_dict())


@router.post("/channels/{name}/test", **answers(Channel, 502))
async def test_channel(name: str, who: Authenticated, tasks: Service) -> Response:
    """Send the channel a test message now; 502, saying why, if it does not go out."""
    return as_json((await tasks.notifications.test_channel(who.owner, name)).to_dict())
