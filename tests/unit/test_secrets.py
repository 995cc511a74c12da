"""Masking secrets in URLs, text, payloads and log records."""

from __future__ import annotations

import logging
import sys

import pytest

from agentcron.secrets import (
    MASK,
    MaskingFilter,
    is_secret_name,
    mask_log_records,
    mask_text,
    mask_url,
    mask_value,
    remember_secrets,
    url_secrets,
)


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("https://bob:hunter2@example.org/hook", f"https://bob:{MASK}@example.org/hook"),
        ("http://bob:p%40ss@127.0.0.1:8080/", f"http://bob:{MASK}@127.0.0.1:8080/"),
        ("https://:only-a-password@host/", f"https://:{MASK}@host/"),
        ("https://bob:a@b@host/x?y=1", f"https://bob:{MASK}@host/x?y=1"),
        ("https://bob@host/", "https://bob@host/"),
        ("https://host/hook?token=t0k&page=2", f"https://host/hook?token={MASK}&page=2"),
        (
            "https://host/?api_key=1&apikey=2&access_token=3&sig=4&signature=5&password=6",
            f"https://host/?api_key={MASK}&apikey={MASK}&access_token={MASK}&sig={MASK}"
            f"&signature={MASK}&password={MASK}",
        ),
        ("https://host/?key=1&secret=2#top", f"https://host/?key={MASK}&secret={MASK}#top"),
        ("https://host/?clientSecret=1&X-Api-Key=2", f"https://host/?clientSecret={MASK}&X-Api-Key={MASK}"),
        ("https://host/?monkey=1&signal=2&design=3", "https://host/?monkey=1&signal=2&design=3"),
        ("https://host/?token=&flag", "https://host/?token=&flag"),
        ("https://host/path", "https://host/path"),
    ],
)  # fmt: skip
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


@pytest.mark.parametrize(
    "name", ["token", "api_key", "X-Api-Key", "Authorization", "accessToken", "PASSWORD", "sig"]
)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["monkey", "keyboard_layout", "max_tokens", "url", "signal"])
def test_ordinary_names(name: str) -> None:
    assert not is_secret_name(name)


def test_mask_text_masks_every_url_and_token_shapes() -> None:
    text = (
        "POST https://bob:hunter2@a.example/x?token=t0ps3cret failed; "
        "retried 'http://eve:letmein@b.example/' with Authorization: Bearer abcdefgh12345678 "
        "and Basic Ym9iOmh1bnRlcjI="
    )
    masked = mask_text(text)
    for secret in ("hunter2", "t0ps3cret", "letmein", "abcdefgh12345678", "Ym9iOmh1bnRlcjI="):
        assert secret not in masked
    assert "https://bob:****@a.example/x?token=****" in masked


def test_mask_text_leaves_words_alone() -> None:
    text = "basic settings: the Basic information page at https://example.org/docs"
    assert mask_text(text) == text


def test_mask_value_masks_keys_and_strings_deeply() -> None:
    payload = {
        "url": "https://u:pw1@host/?key=k2",
        "headers": {"Authorization": "Bearer xyz", "Accept": "text/plain"},
        "json": [{"password": "pw3"}, "keep"],
    }
    masked = mask_value(payload)
    assert masked == {
        "url": f"https://u:{MASK}@host/?key={MASK}",
        "headers": {"Authorization": MASK, "Accept": "text/plain"},
        "json": [{"password": MASK}, "keep"],
    }
    assert payload["headers"]["Authorization"] == "Bearer xyz"  # the original is untouched


def test_the_filter_masks_a_record_and_its_traceback() -> None:
    record = logging.LogRecord(
        "httpx", logging.INFO, __file__, 1, "HTTP Request: %s %s", ("POST", "http://a:pw9@h/"), None
    )
    assert MaskingFilter().filter(record)
    assert record.getMessage() == f"HTTP Request: POST http://a:{MASK}@h/"
    try:
        raise ValueError("cannot reach http://a:pw9@h/")
    except ValueError:
        failing = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", None, sys.exc_info())
    MaskingFilter().filter(failing)
    assert "pw9" not in logging.Formatter().format(failing)


def test_mask_log_records_masks_what_handlers_write(capsys: pytest.CaptureFixture[str]) -> None:
    logger = logging.getLogger("agentcron.test_secrets")
    handler = logging.StreamHandler()
    logger.addHandler(handler)
    try:
        mask_log_records(logger)
        mask_log_records(logger)  # once is enough: a second call adds nothing
        assert len(handler.filters) == 1
        logger.warning("calling %s", "https://u:pw7@h/?token=tk7")
    finally:
        logger.removeHandler(handler)
    written = capsys.readouterr().err
    assert "calling https://u:****@h/?token=****" in written
    assert "pw7" not in written
    assert "tk7" not in written


@pytest.mark.parametrize(
    ("url", "secrets"),
    [
        ("json://bot:pa55word@127.0.0.1:8080/hook", {"pa55word"}),
        ("json://bot:p%40ss%2Fw@h/", {"p@ss/w"}),  # as sent, decoded
        ("json://127.0.0.1:8080/", set()),
        ("tgram://123456789:AAHdqTcvCH1vGWJx/12345", {"AAHdqTcvCH1vGWJx"}),  # the bot's key
        ("tgram://AAHdqTcvCH1vGWJxfSeo/-1001", {"AAHdqTcvCH1vGWJxfSeo"}),  # a token as host
        ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ",
         {"A1BRTD4JD", "TIiajkdnlazkcOXrIdevi7FQ"}),
        ("ntfy://ntfy.example.com/alerts", {"alerts"}),  # generous: any path segment of 6+
        ("json://h/x?token=t0k&page=2", {"t0k"}),  # secret names, however short
        ("json://h/?-id=abcdefghijklmnop1234", {"abcdefghijklmnop1234"}),  # long values
        ("mailto://h?from=agentcron@example.com&to=ann.smith.long@example.com", set()),
        ("twilio://ACaaaaaaaaaaaa:secrettoken1234@+15550001111",
         {"ACaaaaaaaaaaaa", "secrettoken1234", "+15550001111"}),  # long user names: account ids
        ("json://[::1", set()),  # unparsable: nothing, and no error
    ],
)  # fmt: skip
def test_url_secrets(url: str, secrets: set[str]) -> None:
    assert url_secrets(url) == secrets


def test_remembered_secrets_are_hidden_wherever_text_is_masked() -> None:
    remember_secrets({"zq7-remembered-path-token", "zq7"})  # the short one is too common
    assert mask_text("sent to /hooks/zq7-remembered-path-token/in") == f"sent to /hooks/{MASK}/in"
    assert mask_text("zq7 stays") == "zq7 stays"


def test_a_formatter_that_takes_the_arguments_apart_still_gets_them_masked() -> None:
    """uvicorn's access log reads the request line from the record's arguments: they are
    masked one by one, so that it can, and the token in a feed's address is hidden."""
    import logging

    from uvicorn.logging import AccessFormatter

    from agentcron.secrets import MaskingFilter

    token = "cal_" + "x1" * 16
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/v1/calendar.ics?token={token}", "1.1", 200), None,
    )  # fmt: skip
    assert MaskingFilter().filter(record)
    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s').format(record)
    assert token not in line
    assert "/v1/calendar.ics?token=**** HTTP/1.1" in line
