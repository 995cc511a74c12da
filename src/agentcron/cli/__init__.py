"""The ``agentcron`` command.

Command modules import only what parsing their options needs; each command imports the
rest (the store, the engine, the agent) when it runs, so ``--help``, ``--version`` and
``schedule parse`` stay quick.
"""

from __future__ import annotations

import os
import sys

import typer

from agentcron import __version__
from agentcron.cli import (
    actions,
    api,
    calendar,
    chain,
    channels,
    chat,
    config,
    deliveries,
    distributed,
    doctor,
    events,
    mcp,
    people,
    profile,
    runs,
    schedule,
    serve,
    status,
    tasks,
    transfer,
)
from agentcron.cli._output import USER_ERROR_EXIT, report
from agentcron.errors import AgentCronError, RuntimeFailure

app = typer.Typer(
    name="agentcron",
    help="Make AI agents act on time: one-off and recurring tasks, fired exactly on time.",
    epilog=(
        "Examples: agentcron serve (fires tasks; in a checkout, 'make run'),  "
        'agentcron add "Call mom" --when "tomorrow at 6pm",  agentcron ls,  agentcron status,  '
        "agentcron serve --once (what is due now, then exit: for cron)."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(schedule.app, name="schedule")
app.add_typer(calendar.app, name="calendar")
app.add_typer(config.app, name="config")
app.command("serve")(serve.serve)
app.command("api")(api.api)
app.command("mcp")(mcp.mcp)
app.command("scheduler")(distributed.scheduler)
app.command("worker")(distributed.worker)
app.command("chat")(chat.chat)
app.command("chain")(chain.chain)
for name, command in (tasks.COMMANDS | runs.COMMANDS | transfer.COMMANDS).items():
    app.command(name)(command)  # type: ignore[type-var]
app.command("status")(status.status)
app.command("events")(events.events)
app.command("doctor")(doctor.doctor)
app.add_typer(channels.app, name="channels")
app.add_typer(deliveries.app, name="deliveries")
app.add_typer(profile.app, name="profile")
app.add_typer(actions.app, name="actions")
app.add_typer(people.users, name="users")
app.add_typer(people.keys, name="keys")


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
    """Console-script entry point: every failure becomes one line and its exit status.

    Usage mistakes exit 2, configuration problems 78, runtime failures 1. Anything
    unexpected is reported in one line too; AGENTCRON_TRACEBACK=1 shows its traceback.
    """
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
    except AgentCronError as error:
        report(error)
        sys.exit(error.exit_code)
    except Exception as error:
        from agentcron.config_files import TRACEBACK  # noqa: PLC0415 - only on a bug

        if os.environ.get(TRACEBACK):
            raise
        failure = RuntimeFailure(
            f"unexpected {type(error).__name__}: {error}. This is a bug in agentcron; "
            f"{TRACEBACK}=1 shows where it happened."
        )
        report(failure)
        sys.exit(failure.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
