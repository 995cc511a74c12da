"""Channel URLs as people give them: an Apprise URL, or ``email:ADDRESS`` / ``sms:+NUMBER``
sent through the transports the operator configured once. Standard library only, so that
refusing a shorthand never loads Apprise."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

from agentcron.errors import ConfigurationError, InvalidInputError

_ADDRESS = re.compile(r"^[^@\s:/?&]+@[^@\s:/?&]+\.[^@\s:/?&]+$")
_NUMBER = re.compile(r"^\+[1-9]\d{6,14}$")
_PHONE = re.compile(r"(\+|%2[bB])(\d{4})(\d{3,})(\d{2})")
MAX_URL_CHARS = 2_000


def shorthand(url: str) -> str | None:
    """``email`` or ``sms`` for a shorthand, else None."""
    kind, colon, _ = url.partition(":")
    return kind if colon and kind in ("email", "sms") and "://" not in url else None


def expand(url: str, *, email_transport: str | None, sms_transport: str | None) -> str:
    """The Apprise URL a channel is sent to: a shorthand through its transport (the
    operator's), anything else as given."""
    url = url.strip()
    if not url:
        raise InvalidInputError("A channel needs a URL, e.g. 'email:you@example.com'.")
    if len(url) > MAX_URL_CHARS:
        raise InvalidInputError(
            f"The channel URL is {len(url):,} characters long; at most {MAX_URL_CHARS:,}."
        )
    kind = shorthand(url)
    if kind == "email":
        return _email(url.partition(":")[2].strip(), email_transport)
    if kind == "sms":
        return _sms(url.partition(":")[2].strip().replace(" ", ""), sms_transport)
    if "://" not in url:
        raise InvalidInputError(
            f"'{url.split(':')[0]}' is not a channel URL; give an Apprise URL such as "
            "'tgram://BOT_TOKEN/CHAT_ID', or 'email:ADDRESS' or 'sms:+NUMBER'."
        )
    return url


def _email(address: str, transport: str | None) -> str:
    if not _ADDRESS.match(address):
        raise InvalidInputError(f"'{address}' is not an email address, e.g. you@example.com.")
    if not transport:
        raise ConfigurationError(
            "email: channels need a mail server: the operator must set AGENTCRON_EMAIL_TRANSPORT "
            "to an Apprise mail URL without a recipient, e.g. "
            "'mailtos://USER:PASSWORD@smtp.example.com?from=agentcron@example.com'."
        )
    parts = urlsplit(transport)
    query = "&".join(p for p in parts.query.split("&") if p and not p.startswith("to="))
    query = f"{query}&to={quote(address)}" if query else f"to={quote(address)}"
    return urlunsplit(parts._replace(query=query))


def _sms(number: str, transport: str | None) -> str:
    if not _NUMBER.match(number):
        raise InvalidInputError(
            f"'{number}' is not a phone number in international form, e.g. +15551234567."
        )
    if not transport:
        raise ConfigurationError(
            "sms: channels need an SMS service: the operator must set AGENTCRON_SMS_TRANSPORT to "
            "an Apprise SMS URL without a target, e.g. "
            "'twilio://ACCOUNT_SID:AUTH_TOKEN@+15550001111'."
        )
    parts = urlsplit(transport)
    path = f"{parts.path.rstrip('/')}/{quote(number)}"
    return urlunsplit(parts._replace(path=path))


def mask_phones(text: str) -> str:
    """Phone numbers with their middle hidden: +15559876512 → +1555****12."""
    return _PHONE.sub(lambda m: f"{m[1]}{m[2]}****{m[4]}", text)


def shown_shorthand(url: str) -> str:
    """A shorthand as it is shown: the address as given, a number's middle hidden."""
    return mask_phones(url.strip())
