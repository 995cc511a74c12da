"""The kind of a channel, read from its masked URL: what a person means by 'text me'."""

from __future__ import annotations

import pytest

from agentcron.agent import chat_channels
from agentcron.agent.chat_channels import channel_kind


@pytest.mark.parametrize(
    ("shown", "kind"),
    [
        ("sms:+1555****12", "sms"),
        ("email:ann@example.com", "email"),
        ("twilio://...cdef:****@+1555****11/+1555****12", "sms"),
        ("vonage://k...y:****@+1555****11/+1555****12", "sms"),
        ("mailtos://ann:****@smtp.example.com/****?mode=starttls", "email"),
        ("MAILTO://ann@example.com", "email"),
        ("sendgrid://****:ann@example.com/bob@example.com", "email"),
        ("tgram://1...z/****", "telegram"),
        ("json://hook:****@127.0.0.1:9/in", "webhook"),
        ("forms://example.com/in", "webhook"),
        ("slack://T...2/A...D/T...Q", "slack"),
        ("ntfy://ntfy.sh/****", "ntfy"),
        ("", "unknown"),
    ],
)
def test_the_kind_comes_from_the_scheme_or_the_shorthand(shown: str, kind: str) -> None:
    assert channel_kind(shown) == kind


def test_every_scheme_named_is_one_apprise_knows() -> None:
    import apprise  # a second to load: only this test needs it

    known = {
        protocol
        for schema in apprise.Apprise().details()["schemas"]
        for protocol in (schema["protocols"] or ()) + (schema["secure_protocols"] or ())
    }
    named = {scheme for schemes in chat_channels._KINDS.values() for scheme in schemes}
    assert named - {"email", "sms"} - known == set()
