"""One exception tree for agentcron; every error carries a message a person can act on.

::

    AgentCronError                 root: `code` is stable, `message` is for people
    ├── UserError                  the person's mistake: fix the input and retry      exit 2
    │   ├── ScheduleError          a "when" that cannot be understood or never happens
    │   ├── InvalidInputError      a field is missing, too long or malformed
    │   ├── NotFoundError          no such task or run (for this person)
    │   ├── AuthError              no valid API key (HTTP 401)
    │   ├── ForbiddenError         the key may not do this (HTTP 403)
    │   ├── ConflictError          the change does not fit the current state
    │   │   ├── DuplicateError     the same unique key exists already
    │   │   └── StaleVersionError  changed since the version given (HTTP 412)
    │   ├── LimitError             a per-person limit would be exceeded
    │   ├── RateLimitError         too many requests with one API key (HTTP 429)
    │   └── BatchError             some requests of a batch are refused: none is carried out
    ├── ConfigurationError         the operator's setup is wrong or incomplete        exit 78
    └── RuntimeFailure             something failed while running; may work on retry  exit 1
        ├── StoreError             the store could not be read or written now
        ├── BrokerError            the broker (Redis) could not be reached now
        ├── ActionFailed           a run's action failed (``retryable`` says if worth again)
        ├── DeliveryFailed         a notification did not go out (the transport's words)
        └── ChatError              the chat assistant could not answer this turn

Front doors render these the same way: the CLI prints ``error: <message>`` (or, with
``--json``, ``{"error": {"code", "message"}}``) on stderr and exits with the family's
``exit_code``; the HTTP API answers with ``{"code", "message"}``; chat tools hand the
message back to the model so it can correct itself. Driver errors (SQLAlchemy,
psycopg, sqlite3) never cross the store: it wraps them in ``StoreError`` or
``ConfigurationError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar


class AgentCronError(Exception):
    """Something went wrong in agentcron."""

    code: ClassVar[str] = "error"
    exit_code: ClassVar[int] = 1

    def __init__(self, message: str | None = None) -> None:
        self.message = message or (self.__doc__ or self.code).strip()
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        """The error as front doors print it: ``{"code": ..., "message": ...}``."""
        return {"code": self.code, "message": self.message}


class UserError(AgentCronError):
    """The request cannot be carried out as given."""

    code = "invalid_request"
    exit_code = 2


class ScheduleError(UserError):
    """The schedule could not be understood or has no future occurrence."""

    code = "invalid_schedule"


class InvalidInputError(UserError):
    """A value is missing, too long or malformed."""

    code = "invalid_input"


class NotFoundError(UserError):
    """No such task or run."""

    code = "not_found"


class AuthError(UserError):
    """The request carries no valid API key."""

    code = "unauthorized"


class ForbiddenError(UserError):
    """The caller's key may not do this."""

    code = "forbidden"


class ConflictError(UserError):
    """The change does not fit the current state of the task or run."""

    code = "conflict"


class StaleVersionError(ConflictError):
    """The task changed since the version the change was made against."""

    code = "stale_version"


class LimitError(UserError):
    """A per-person limit would be exceeded."""

    code = "limit_reached"


class RateLimitError(UserError):
    """Too many requests with this key for now: ``retry_after`` seconds until the next."""

    code = "rate_limited"

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(f"Too many requests with this key; try again in {retry_after:.0f} s.")


class DuplicateError(ConflictError):
    """Something with the same unique key exists already (created meanwhile, perhaps)."""

    code = "duplicate"


class BatchError(UserError):
    """Some requests of a batch are refused, so none of them was carried out."""

    code = "invalid_batch"
    SHOWN: ClassVar[int] = 5
    """Problems the message names; ``problems`` holds them all."""

    def __init__(self, problems: Sequence[tuple[int, UserError]], total: int) -> None:
        self.problems = list(problems)
        """Each refused request's index in the batch (from 0) and why it was refused."""
        self.total = total
        named = "; ".join(
            f"#{index + 1}: {error.message}" for index, error in problems[: self.SHOWN]
        )
        more = len(problems) - self.SHOWN
        super().__init__(
            f"{len(problems)} of {total} requests are refused, so none was carried out: {named}"
            + (f"; and {more} more." if more > 0 else "")
        )

    def to_dict(self) -> dict[str, Any]:
        """With every problem: ``{"index", "code", "message"}``."""
        problems = [{"index": i, **error.to_dict()} for i, error in self.problems]
        return super().to_dict() | {"problems": problems}


class ConfigurationError(AgentCronError):
    """agentcron is not configured correctly."""

    code = "configuration"
    exit_code = 78  # EX_CONFIG of sysexits.h


class RuntimeFailure(AgentCronError):
    """Something failed while running; a retry may succeed."""

    code = "runtime_failure"
    exit_code = 1


class StoreError(RuntimeFailure):
    """The store could not be read or written just now."""

    code = "store_unavailable"


class BrokerError(RuntimeFailure):
    """The broker could not be reached just now; what was to go through it waits in the
    database (the outbox) and goes when it is back."""

    code = "broker_unavailable"


class ActionFailed(RuntimeFailure):
    """The action failed; ``retryable`` says whether another attempt may succeed."""

    code = "action_failed"

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = True,
        retry_after: float | None = None,
        details: dict[str, Any] | None = None,
        tell: bool = True,
    ):
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.details = details
        """Kept as the run's result (an agent's trace up to the failure, say)."""
        self.tell = tell
        """Whether the person hears of this failure (False: told once already, elsewhere)."""


class DeliveryFailed(RuntimeFailure):
    """A notification could not be sent."""

    code = "delivery_failed"


class ChatError(RuntimeFailure):
    """The assistant could not answer this message."""

    code = "chat_failed"


def summarize_problems(problems: Iterable[Mapping[str, Any]], subject: str) -> str:
    """pydantic's error list as one line: 'title: too short; when: Field required'."""
    return "; ".join(
        f"{'.'.join(map(str, p['loc'])) or subject}: {str(p['msg']).removeprefix('Value error, ')}"
        for p in problems
    )
