"""How the CLI speaks: Rich for people, plain JSON for programs, one line for errors.

An error exits with its family's status (``AgentCronError.exit_code``: 2 for the
person's mistake, 78 for configuration, 1 for a runtime failure); with ``--json`` on
the command line it is ``{"error": {"code", "message"}}`` on stderr.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from agentcron.errors import AgentCronError, InvalidInputError

if TYPE_CHECKING:
    from rich.console import Console

USER_ERROR_EXIT = InvalidInputError.exit_code
_console: Console | None = None


def console() -> Console:
    """The Rich console, made on first use (Rich costs tens of milliseconds to import)."""
    global _console  # noqa: PLW0603 - one console per process
    if _console is None:
        from rich.console import Console  # noqa: PLC0415

        _console = Console()
    return _console


def print_json(payload: Any) -> None:
    """Exactly one JSON document on stdout, never wrapped or coloured."""
    sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")


def wants_json() -> bool:
    """Whether the command line asked for JSON (then errors are JSON too)."""
    return "--json" in sys.argv[1:]


def report(error: AgentCronError) -> None:
    """The error on stderr: one line, or one JSON object with ``--json``."""
    if wants_json():
        sys.stderr.write(json.dumps({"error": error.to_dict()}, ensure_ascii=False) + "\n")
    else:
        sys.stderr.write(f"error: {error.message}\n")


def warn(message: str) -> None:
    """A warning on stderr: ``warning: <message>``, or ``{"warning": "<message>"}`` with
    ``--json``; the command goes on."""
    if wants_json():
        sys.stderr.write(json.dumps({"warning": message}, ensure_ascii=False) + "\n")
    else:
        sys.stderr.write(f"warning: {message}\n")


def fail(error: AgentCronError | str) -> NoReturn:
    """Report the error and exit with its family's status (a plain text: the person's)."""
    if isinstance(error, str):
        error = InvalidInputError(error)
    report(error)
    raise typer.Exit(error.exit_code)


NOBODY_SERVING = (
    "note: no 'agentcron serve' is running on this store; the task is saved and will fire "
    "when one runs."
)
"""Said after a task is made or changed while nothing would fire it."""
