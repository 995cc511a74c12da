"""Secrets masked before anything is printed, logged or kept as a run's output.

A URL keeps its shape (``https://user:****@host/hook?token=****``), so a person can still
tell which endpoint a message is about; mapping entries are masked by key name
(``Authorization``, ``api_key``, ``token``...) and free text by shape (URLs, bearer tokens,
``sk-...`` keys). Standard library only: every front door and the engine may import it.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote, unquote_plus, urlsplit

MASK = "****"

SECRET_WORDS = frozenset(
    {
        "token", "key", "secret", "password", "passwd", "pwd", "passphrase", "signature", "sig",
        "apikey", "auth", "authorization", "cookie", "credential", "credentials",
    }
)  # fmt: skip
"""A name is secret when one of its words (split at ``_ - .`` and camelCase) is one of these."""

_SECRET_ENDINGS = ("token", "secret", "password", "apikey")
"""Or when it ends with one of these (``accesstoken``, ``clientsecret``)."""

_WORD_BREAK = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")
_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^/?#@:]*):[^/?#]*@")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>`]+")
_SECRET_TEXT = re.compile(
    r"\b(?i:bearer)\s+[\w.~+/=-]{8,}|\b(sk|pk|rk)-[\w-]{12,}|\b(?i:basic)\s+(?P<basic>[\w+/=]{8,})"
    r"|\bag[cw]_[0-9a-f]{12}_[\w-]{20,}"  # agentcron's own API keys and web sessions
    r"|\bcal_[\w-]{32}"  # and its calendar feed tokens
)
_ENCODED = re.compile(r"[0-9+/=]|.[A-Z]")
"""What tells base64 credentials from an English word after 'basic'."""


@functools.lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """Whether a header, query parameter or field called ``name`` holds a secret. Cached:
    the same few names come back in every payload a page of tasks masks."""
    words = [word.lower() for word in _WORD_BREAK.split(name) if word]
    whole = "".join(words)
    return any(word in SECRET_WORDS for word in words) or whole.endswith(_SECRET_ENDINGS)


def mask_url(url: str) -> str:
    """``url`` with the password of its userinfo and secret-looking query values masked."""
    url = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", url, count=1)
    head, question, rest = url.partition("?")
    if not question:
        return url
    query, hash_mark, fragment = rest.partition("#")
    parameters = []
    for parameter in query.split("&"):
        name, equals, value = parameter.partition("=")
        if equals and value and is_secret_name(unquote_plus(name)):
            value = MASK
        parameters.append(f"{name}{equals}{value}")
    return f"{head}?{'&'.join(parameters)}{hash_mark}{fragment}"


def mask_text(text: str) -> str:
    """Free text (an error, a log line) with every URL in it masked, bearer tokens and
    ``sk-...`` keys replaced, and every secret remembered (``remember_secrets``) hidden."""
    if "://" in text:
        text = _URL.sub(lambda m: mask_url(m.group()), text)
    text = _SECRET_TEXT.sub(_masked_token, text)
    if _remembered.pattern is not None:
        text = _remembered.pattern.sub(MASK, text)
    return text


class _Remembered:
    """Secrets known by value: parts of channel URLs that no shape gives away (a bot token in
    a path, a webhook's key), hidden wherever they would be printed or logged."""

    def __init__(self) -> None:
        self.values: set[str] = set()
        self.pattern: re.Pattern[str] | None = None

    def add(self, values: Iterable[str]) -> None:
        new = {value for value in values if len(value) >= _REMEMBERED_LENGTH} - self.values
        if new:
            self.values |= new
            ordered = sorted(self.values, key=len, reverse=True)  # the longest wins
            self.pattern = re.compile("|".join(map(re.escape, ordered)))


_REMEMBERED_LENGTH = 6
"""Shorter strings are too likely to be ordinary words to be hidden everywhere."""
_remembered = _Remembered()


def remember_secrets(values: Iterable[str]) -> None:
    """Hide these strings in everything ``mask_text`` masks from now on, in this process."""
    _remembered.add(values)


def url_secrets(url: str) -> set[str]:
    """The parts of a notification URL that may be secret: its password, long user names,
    host-position tokens (``tgram://TOKEN/...``), path segments and query values that are
    not addresses. Generous on purpose: hiding a path in a log costs nothing."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return set()
    found: set[str] = set()
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    found |= {unquote(password)} if password else set()
    found |= {unquote(user)} if len(user) >= 12 else set()
    found |= {part for part in hostport.split(":") if len(part) >= 12 and "." not in part}
    found |= {unquote(segment) for segment in parts.path.split("/") if len(segment) >= 6}
    for parameter in parts.query.split("&"):
        name, _, value = parameter.partition("=")
        value = unquote_plus(value)
        if is_secret_name(unquote_plus(name)) or (len(value) >= 16 and not {".", "@"} & set(value)):
            found.add(value)
    return {value for value in found if value}


def _masked_token(match: re.Match[str]) -> str:
    basic = match["basic"]
    if basic is not None and not _ENCODED.search(basic):
        return match.group()  # "basic settings": a word, not credentials
    return MASK


def mask_value(value: Any) -> Any:
    """A JSON-like value (a payload, a tool's arguments) with entries whose key looks secret
    masked and every string masked as text."""
    if isinstance(value, Mapping):
        return {
            key: MASK if isinstance(key, str) and is_secret_name(key) else mask_value(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [mask_value(item) for item in value]
    if isinstance(value, str):
        return mask_text(value)
    return value


class MaskingFilter(logging.Filter):
    """Masks secrets in every record a handler writes (httpx logs each request's URL at
    INFO, for instance)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message and not _masked_in_place(record, masked):
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:  # the formatter then prints this text
            record.exc_text = mask_text(_FORMATTER.formatException(record.exc_info))
        return True


_FORMATTER = logging.Formatter()


def _masked_in_place(record: logging.LogRecord, masked: str) -> bool:
    """Mask a record's arguments one by one, keeping its format: some formatters take the
    arguments apart (uvicorn's access log reads the request line from them). False, and
    nothing changed, when that does not give the masked message."""
    if not isinstance(record.args, tuple):
        return False
    given = record.args
    record.args = tuple(
        arg if isinstance(arg, int | float) else mask_text(str(arg)) for arg in given
    )
    if record.getMessage() == masked:
        return True
    record.args = given
    return False


def mask_log_records(logger: logging.Logger | None = None) -> None:
    """Mask secrets in everything the handlers of ``logger`` (default: the root's) write."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
