"""``agentcron channels``: where runs tell you. A channel's URL holds its secrets (a bot token,
a password): it is kept as given and only ever printed masked."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from agentcron.cli._context import run_with_service
from agentcron.cli._output import console, print_json
from agentcron.cli.tasks import JsonFlag

if TYPE_CHECKING:
    from agentcron.service import TaskService
    from agentcron.views import ChannelView

app = typer.Typer(
    help="Your notification channels: where your tasks' runs tell you.", no_args_is_help=True
)
Name = Annotated[
    str,
    typer.Argument(help="The channel's name (see 'agentcron channels ls').", show_default=False),
]
NO_DEFAULT = (
    "note: you have no default channel now: tasks without channels of their own tell no one "
    "('agentcron channels default NAME' makes one a default)."
)


@app.command("add")
def add(
    name: Annotated[
        str, typer.Argument(help="A short name: 'phone', 'work-email'.", show_default=False)
    ],
    url: Annotated[
        str,
        typer.Argument(
            help="An Apprise URL (tgram://BOT_TOKEN/CHAT_ID, ntfy://TOPIC, json://HOST/PATH...), "
            "email:ADDRESS or sms:+NUMBER; '-' reads it from stdin, out of your shell history.",
            show_default=False,
        ),
    ],
    default: Annotated[
        bool,
        typer.Option("--default", help="Tell it for every task without channels of its own."),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Add a channel (its URL is checked first; your first channel is a default)."""
    given = sys.stdin.readline().strip() if url == "-" else url
    channel = run_with_service(
        lambda s, o: s.notifications.add_channel(o, name, given, default=default)
    )
    if as_json:
        print_json(channel.to_dict())
        return
    from rich.markup import escape  # noqa: PLC0415 - Rich, only to print

    role = "one of your defaults" if channel.is_default else "for tasks that name it (--notify)"
    console().print(
        f"Added channel [bold]{escape(channel.name)}[/] ({escape(channel.shown)}), {role}. "
        f"'agentcron channels test {channel.name}' sends it a test message.",
        soft_wrap=True,
    )


@app.command("ls")
def ls(as_json: JsonFlag = False) -> None:
    """List your channels, their URLs masked."""
    found = run_with_service(lambda s, o: s.notifications.channels(o))
    if as_json:
        print_json([channel.to_dict() for channel in found])
        return
    if not found:
        console().print("No channels. Add one with: agentcron channels add phone 'ntfy://my-topic'")
        return
    from rich.markup import escape  # noqa: PLC0415 - Rich, only to print
    from rich.table import Table  # noqa: PLC0415

    table = Table(show_edge=False, header_style="bold")
    for column in ("name", "url", "default"):
        table.add_column(column, overflow="fold")
    for channel in found:
        table.add_row(
            escape(channel.name), escape(channel.shown), "yes" if channel.is_default else ""
        )
    console().print(table)


@app.command("rm")
def rm(name: Name, as_json: JsonFlag = False) -> None:
    """Remove a channel; tasks that named it tell their other channels, else your defaults."""

    async def work(service: TaskService, owner: str) -> tuple[ChannelView, list[ChannelView]]:
        removed = await service.notifications.remove_channel(owner, name)
        return removed, await service.notifications.channels(owner)

    removed, left = run_with_service(work)
    if as_json:
        print_json(removed.to_dict())
        return
    console().print(f"Removed channel {removed.name}.")
    if removed.is_default and left and not any(channel.is_default for channel in left):
        console().print(NO_DEFAULT, soft_wrap=True)


@app.command("default")
def default(
    name: Name,
    off: Annotated[bool, typer.Option("--off", help="No longer a default.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Make a channel one of your defaults (told by every task without channels of its own)."""

    async def work(service: TaskService, owner: str) -> tuple[ChannelView, list[ChannelView]]:
        changed = await service.notifications.set_default(owner, name, not off)
        return changed, await service.notifications.channels(owner)

    changed, mine = run_with_service(work)
    if as_json:
        print_json(changed.to_dict())
        return
    if off:
        console().print(f"Channel {changed.name} is no longer a default.")
    else:
        console().print(f"Channel {changed.name} is one of your defaults.")
    if not any(channel.is_default for channel in mine):
        console().print(NO_DEFAULT, soft_wrap=True)


@app.command("test")
def send_test(name: Name, as_json: JsonFlag = False) -> None:
    """Send a test message now; if it does not go out, say why (exit status 1)."""
    channel = run_with_service(lambda s, o: s.notifications.test_channel(o, name))
    if as_json:
        print_json(channel.to_dict() | {"sent": True})
    else:
        console().print(f"Sent a test message to {channel.name} ({channel.shown}).", markup=False)
