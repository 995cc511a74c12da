"""Channel URLs as people give them: shorthands through the operator's transports, and
phone numbers shown with their middle hidden."""

from __future__ import annotations

import pytest

from agentcron.errors import ConfigurationError, InvalidInputError
from agentcron.notify.channels import expand, mask_phones, shorthand, shown_shorthand

MAIL = "mailtos://mailer:pw@smtp.example.com?from=agentcron@example.com"
SMS = "twilio://AC123:tok@+15550001111"


def expanded(url: str) -> str:
    return expand(url, email_transport=MAIL, sms_transport=SMS)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("email:ann@example.com", "email"),
        ("sms:+15551234567", "sms"),
        ("mailto://ann@example.com", None),
        ("json://localhost", None),
        ("emailx:ann@example.com", None),
        ("email", None),
    ],
)
def test_shorthand(url: str, kind: str | None) -> None:
    assert shorthand(url) == kind


@pytest.mark.parametrize(
    ("url", "apprise_url"),
    [
        ("email:ann@example.com", f"{MAIL}&to=ann%40example.com"),
        ("  email: ann+cron@example.com ", f"{MAIL}&to=ann%2Bcron%40example.com"),
        ("sms:+15551234567", f"{SMS}/%2B15551234567"),
        ("sms:+1 555 123 4567", f"{SMS}/%2B15551234567"),
        ("json://localhost/hook", "json://localhost/hook"),  # anything else as given
        (" tgram://123:abc/456 ", "tgram://123:abc/456"),
    ],
)
def test_expand(url: str, apprise_url: str) -> None:
    assert expanded(url) == apprise_url


@pytest.mark.parametrize(
    ("transport", "apprise_url"),
    [
        ("mailto://127.0.0.1:2525", "mailto://127.0.0.1:2525?to=ann%40example.com"),
        ("mailto://h?to=someone@else.com&from=a@b.c", "mailto://h?from=a@b.c&to=ann%40example.com"),
        ("mailto://h?from=a@b.c&", "mailto://h?from=a@b.c&to=ann%40example.com"),
    ],
)  # fmt: skip
def test_the_recipient_given_replaces_any_in_the_transport(
    transport: str, apprise_url: str
) -> None:
    got = expand("email:ann@example.com", email_transport=transport, sms_transport=None)
    assert got == apprise_url


def test_an_sms_transport_with_a_path_gets_the_number_after_it() -> None:
    got = expand("sms:+15551234567", email_transport=None, sms_transport="vonage://k:s@+1555/")
    assert got == "vonage://k:s@+1555/%2B15551234567"


@pytest.mark.parametrize(
    ("url", "error", "says"),
    [
        ("", InvalidInputError, "A channel needs a URL"),
        ("email:ann", InvalidInputError, "'ann' is not an email address"),
        ("email:ann@example.com?to=x", InvalidInputError, "is not an email address"),
        ("email:a@b@example.com", InvalidInputError, "is not an email address"),
        ("sms:5551234567", InvalidInputError, "is not a phone number in international form"),
        ("sms:+0551234567", InvalidInputError, "is not a phone number"),
        ("sms:+1555", InvalidInputError, "is not a phone number"),
        ("phone:+15551234567", InvalidInputError, "'phone' is not a channel URL"),
        ("e" * 2001, InvalidInputError, "at most 2,000"),
    ],
)
def test_expand_refuses(url: str, error: type[Exception], says: str) -> None:
    with pytest.raises(error, match=says):
        expanded(url)


def test_a_shorthand_without_its_transport_is_the_operators_to_fix() -> None:
    with pytest.raises(ConfigurationError, match="AGENTCRON_EMAIL_TRANSPORT"):
        expand("email:ann@example.com", email_transport=None, sms_transport=SMS)
    with pytest.raises(ConfigurationError, match="AGENTCRON_SMS_TRANSPORT"):
        expand("sms:+15551234567", email_transport=MAIL, sms_transport="")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("+15559876512", "+1555****12"),
        ("sms:+33612345678 and +447911123456", "sms:+3361****78 and +4479****56"),
        ("twilio://AC1:****@%2B15550001111/%2B15559876512",
         "twilio://AC1:****@%2B1555****11/%2B1555****12"),
        ("+12345", "+12345"),  # too short to be a number worth hiding
        ("order 15559876512", "order 15559876512"),  # no plus: not a phone number
    ],
)  # fmt: skip
def test_mask_phones(text: str, masked: str) -> None:
    assert mask_phones(text) == masked


def test_shown_shorthand() -> None:
    assert shown_shorthand(" sms:+15559876512 ") == "sms:+1555****12"
    assert shown_shorthand("email:ann@example.com") == "email:ann@example.com"
