"""How the CLI speaks: Rich for people, plain JSON for programs, one line for errors."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console

from agentcron.errors import AgentCronError

console = Console()
USER_ERROR_EXIT = 2


def print_json(payload: Any) -> None:
    """Exactly one JSON document on stdout, never wrapped or coloured."""
    sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")


def fail(error: AgentCronError | str) -> NoReturn:
    """One clear line on stderr and exit status 2."""
    message = error.message if isinstance(error, AgentCronError) else error
    sys.stderr.write(f"error: {message}\n")
    raise typer.Exit(USER_ERROR_EXIT)
