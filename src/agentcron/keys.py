"""API keys (and web sessions, and calendar feed tokens): what one looks like, and how it
is checked against what the store keeps.

A key is ``agc_<id>_<secret>``. The id (12 hexadecimal characters) is its public part: it
finds the key's row, and names the key in lists and logs. The secret (32 random bytes,
URL-safe base64) is never stored: its SHA-256 is, compared in constant time. A plain hash
is enough for 256 random bits, which leave nothing to guess, and costs a microsecond a
request where a password hash (bcrypt, scrypt) would cost tens of milliseconds.

A web session (what the web page's cookie carries after signing in with a key) has the same
shape and the same keeping, as ``agw_<id>_<secret>``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

PREFIX = "agc_"
_ID_BYTES = 6
_SECRET_BYTES = 32
_SHAPE = r"_(?P<id>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{43})"
_KEY = re.compile(PREFIX.rstrip("_") + _SHAPE)
SESSION_PREFIX = "agw_"
_SESSION = re.compile(SESSION_PREFIX.rstrip("_") + _SHAPE)
CALENDAR_PREFIX = "cal_"
_CALENDAR_BYTES = 24
_CALENDAR_TOKEN = re.compile(r"cal_[A-Za-z0-9_-]{32}")


@dataclass(frozen=True)
class NewKey:
    """A key just made: ``key`` is shown to its maker once, ``secret_hash`` is stored."""

    id: str
    key: str
    secret_hash: str

    def __repr__(self) -> str:  # the key stays out of tracebacks and logs
        return f"NewKey(id={self.id!r})"


def make_key(prefix: str = PREFIX) -> NewKey:
    """A new API key, or with ``SESSION_PREFIX`` a new web session."""
    key_id = secrets.token_hex(_ID_BYTES)
    secret = secrets.token_urlsafe(_SECRET_BYTES)
    return NewKey(key_id, f"{prefix}{key_id}_{secret}", hash_secret(secret))


def parse_key(key: str) -> tuple[str, str] | None:
    """(id, secret) of a well-formed key, else None."""
    found = _KEY.fullmatch(key.strip())
    return (found["id"], found["secret"]) if found else None


def parse_session(token: str) -> tuple[str, str] | None:
    """(id, secret) of a well-formed web session, else None."""
    found = _SESSION.fullmatch(token.strip())
    return (found["id"], found["secret"]) if found else None


def csrf_token(session: str) -> str:
    """The token the web page's forms carry for ``session``: derived from its secret, which
    a page of another site cannot read, so it needs no keeping of its own."""
    return hmac.new(session.encode(), b"agentcron csrf", hashlib.sha256).hexdigest()[:32]


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, secret_hash: str) -> bool:
    """Whether ``secret`` is the one ``secret_hash`` was made from, in constant time."""
    return hmac.compare_digest(hash_secret(secret), secret_hash)


def make_calendar_token() -> str:
    """A calendar feed's token: not an API key (it opens one read-only feed, and calendar
    programs keep it in the feed's address), so it is kept as it is, to be shown again."""
    return CALENDAR_PREFIX + secrets.token_urlsafe(_CALENDAR_BYTES)


def is_calendar_token(text: str) -> bool:
    return _CALENDAR_TOKEN.fullmatch(text) is not None
