"""The ``agentcron`` command."""

from __future__ import annotations

import typer

from agentcron import __version__
from agentcron.cli import schedule

app = typer.Typer(
    name="agentcron",
    help="Make AI agents act on time: one-off and recurring tasks, fired exactly on time.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(schedule.app, name="schedule")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"agentcron {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    """Make AI agents act on time."""


def main() -> None:
    """Console-script entry point."""
    app()
