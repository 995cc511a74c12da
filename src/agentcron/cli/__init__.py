"""The ``agentcron`` command."""

from __future__ import annotations

import sys

import typer

from agentcron import __version__
from agentcron.cli import chat, schedule, serve, tasks
from agentcron.cli._output import USER_ERROR_EXIT

app = typer.Typer(
    name="agentcron",
    help="Make AI agents act on time: one-off and recurring tasks, fired exactly on time.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(schedule.app, name="schedule")
app.command("serve")(serve.serve)
app.command("chat")(chat.chat)
for name, command in tasks.COMMANDS.items():
    app.command(name)(command)  # type: ignore[type-var]


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
    """Console-script entry point: usage mistakes become one line and exit status 2."""
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as error:
        context = getattr(error, "ctx", None)
        if type(error).__name__ == "NoArgsIsHelpError" and context is not None:
            sys.stdout.write(context.get_help() + "\n")
            sys.exit(0)
        hint = f" (see '{context.command_path} --help')" if context is not None else ""
        sys.stderr.write(f"error: {error.format_message()}{hint}\n")
        sys.exit(USER_ERROR_EXIT)
    except typer.Abort:
        sys.stderr.write("aborted\n")
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
