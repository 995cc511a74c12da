"""Adding channels: bad URLs, unknown services and shorthands no transport serves are
refused with one line naming what is wrong, their secrets unsaid, and nothing written."""

from __future__ import annotations

import pytest

from agentcron.config import Settings
from agentcron.errors import AgentCronError, ConfigurationError, ConflictError, InvalidInputError
from agentcron.service import TaskService

SECRET = "hunter2-s3cr3t-value"
TOKEN = "0123456789abcdef0123456789abcdef"  # a Twilio auth token's shape


REFUSED: list[tuple[str, str, type[AgentCronError], str]] = [
    ("home", "", InvalidInputError, "A channel needs a URL"),
    ("home", "   ", InvalidInputError, "A channel needs a URL"),
    ("home", "just-some-text", InvalidInputError, "'just-some-text' is not a channel URL"),
    ("home", "foo:bar", InvalidInputError, "'foo' is not a channel URL"),
    ("home", f"nosuch://bot:{SECRET}@host/x", InvalidInputError,
     "no service is known by 'nosuch://'"),
    ("home", f"http://example.com/hook?token={SECRET}", InvalidInputError,
     "no service is known by 'http://'"),
    ("home", "json://", InvalidInputError, "Unparseable JSON URL"),
    ("home", f"json://bot:{SECRET}@", InvalidInputError, "Unparseable JSON URL"),
    ("home", "tgram://not-a-token", InvalidInputError, "Unparseable Telegram URL"),
    ("home", "email:ann@example.com", ConfigurationError, "AGENTCRON_EMAIL_TRANSPORT"),
    ("home", "sms:+15551234567", ConfigurationError, "AGENTCRON_SMS_TRANSPORT"),
    ("home", "email:not-an-address", InvalidInputError,
     "'not-an-address' is not an email address"),
    ("home", "sms:12345", InvalidInputError, "'12345' is not a phone number"),
    ("home", "json://" + "a" * 2_000, InvalidInputError, "at most 2,000"),
    ("my phone", "json://localhost/hook", InvalidInputError, "'my phone' cannot name a channel"),
    ("-phone", "json://localhost/hook", InvalidInputError, "'-phone' cannot name a channel"),
]  # fmt: skip
"""(name, URL, the error, what its message says)"""


async def test_a_bad_channel_is_refused_saying_why_and_nothing_is_written(
    service: TaskService,
) -> None:
    for name, url, error, says in REFUSED:  # one store for all: each refusal writes nothing
        with pytest.raises(error) as refused:
            await service.notifications.add_channel("ann", name, url)
        message = refused.value.message
        assert says in message, (url, message)
        assert "\n" not in message, message
        assert SECRET not in message, message
        assert "Traceback" not in message, message
        assert await service.notifications.channels("ann") == [], url


async def test_an_unknown_service_names_the_scheme_it_was_given(service: TaskService) -> None:
    with pytest.raises(InvalidInputError) as refused:
        await service.notifications.add_channel("ann", "x", f"telegramm://{SECRET}/123")
    assert "'telegramm://…'" in refused.value.message
    assert SECRET not in refused.value.message


async def test_shorthands_go_through_the_operators_transport_once_it_is_set(
    service: TaskService, settings: Settings
) -> None:
    settings.email_transport = f"mailtos://mailer:{SECRET}@smtp.example.com?from=a@example.com"
    settings.sms_transport = f"twilio://AC{'1' * 32}:{TOKEN}@+15550001111"
    mail = await service.notifications.add_channel("ann", "mail", "email:ann@example.com")
    phone = await service.notifications.add_channel("ann", "phone", "sms:+15559876512")
    assert (mail.shown, mail.is_default) == ("email:ann@example.com", True)
    assert (phone.shown, phone.is_default) == ("sms:+1555****12", False)  # the first is default
    assert phone.url == "sms:+15559876512"  # kept as given; the transport is the operator's
    for channel in (mail, phone):
        for secret in (SECRET, TOKEN):
            assert secret not in str(channel.to_dict())
            assert secret not in repr(channel)


async def test_a_second_channel_of_the_same_name_is_refused_and_the_first_kept(
    service: TaskService,
) -> None:
    first = await service.notifications.add_channel("ann", "hook", "json://localhost/one")
    with pytest.raises(ConflictError, match="You have a channel named 'hook' already"):
        await service.notifications.add_channel("ann", "hook", "json://localhost/two")
    assert await service.notifications.channels("ann") == [first]
    assert await service.notifications.channels("bob") == []  # and no one else's


async def test_a_task_naming_a_channel_its_owner_lacks_is_refused(service: TaskService) -> None:
    await service.notifications.add_channel("ann", "hook", "json://localhost/one")
    with pytest.raises(InvalidInputError, match="You have no channel named 'pager'"):
        await service.create(
            "ann",
            {"title": "t", "when": "in 1 hour", "payload": {"message": "m"}, "notify": ["pager"]},
        )
    assert await service.list_tasks("ann") == []
