"""One exception tree for agentcron; every error carries a message a person can act on.

::

    AgentCronError                 root: `code` is stable, `message` is for people
    ├── UserError                  the person's mistake: fix the input and retry
    │   ├── ScheduleError          a "when" that cannot be understood or never happens
    │   ├── InvalidInputError      a field is missing, too long or malformed
    │   ├── NotFoundError          no such task or run (for this person)
    │   ├── ConflictError          the change does not fit the current state
    │   └── LimitError             a per-person limit would be exceeded
    ├── ConfigurationError         the operator's setup is wrong or incomplete
    └── RuntimeFailure             something failed while running; may work on retry

Front doors render these the same way: the CLI prints the message and exits 2,
the HTTP API answers 4xx with ``{"code", "message"}``, chat tools hand the message
back to the model so it can correct itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class AgentCronError(Exception):
    """Something went wrong in agentcron."""

    code = "error"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or (self.__doc__ or self.code).strip()
        super().__init__(self.message)


class UserError(AgentCronError):
    """The request cannot be carried out as given."""

    code = "invalid_request"


class ScheduleError(UserError):
    """The schedule could not be understood or has no future occurrence."""

    code = "invalid_schedule"


class ConfigurationError(AgentCronError):
    """agentcron is not configured correctly."""

    code = "configuration"


class InvalidInputError(UserError):
    """A value is missing, too long or malformed."""

    code = "invalid_input"


class NotFoundError(UserError):
    """No such task or run."""

    code = "not_found"


class ConflictError(UserError):
    """The change does not fit the current state of the task or run."""

    code = "conflict"


class LimitError(UserError):
    """A per-person limit would be exceeded."""

    code = "limit_reached"


class RuntimeFailure(AgentCronError):
    """Something failed while running; a retry may succeed."""

    code = "runtime_failure"


def summarize_problems(problems: Iterable[Mapping[str, Any]], subject: str) -> str:
    """pydantic's error list as one line: 'title: too short; when: Field required'."""
    return "; ".join(
        f"{'.'.join(map(str, p['loc'])) or subject}: {str(p['msg']).removeprefix('Value error, ')}"
        for p in problems
    )
