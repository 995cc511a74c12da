"""``agentcron profile``: who you are to agentcron, and when not to disturb you."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from agentcron.cli._context import run_with_service
from agentcron.cli._output import console, print_json
from agentcron.cli.tasks import JsonFlag
from agentcron.errors import InvalidInputError

if TYPE_CHECKING:
    from agentcron.notify.service import ProfileChanges
    from agentcron.service import TaskService
    from agentcron.views import Profile

app = typer.Typer(help="Your profile: zone, default channels, quiet hours.", no_args_is_help=True)


@app.command("show")
def show(as_json: JsonFlag = False) -> None:
    """Your name, zone, default channels and quiet hours."""
    _print(run_with_service(lambda s, o: s.notifications.profile(o)), as_json)


@app.command("set")
def set_(
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            "--tz",
            help="Your zone, an IANA name such as Europe/Paris: your quiet hours and the tasks "
            "you make from now on without --tz are read in it; tasks made before keep their "
            "own zone.",
            show_default=False,
        ),
    ] = None,
    quiet_hours: Annotated[
        str | None,
        typer.Option(
            "--quiet-hours",
            help="HH:MM-HH:MM in your zone, e.g. 22:00-07:00: notifications wait until they "
            "end (tasks made --urgent do not); 'off' clears them.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Change your zone, your quiet hours or both (each checked before either is written)."""

    async def work(service: TaskService, owner: str) -> Profile:
        changes: ProfileChanges = {}
        if timezone is not None:
            changes["timezone"] = timezone
        if quiet_hours is not None:
            changes["quiet_hours"] = quiet_hours
        if not changes:
            raise InvalidInputError(
                "Nothing to change: give --timezone Europe/Paris, --quiet-hours 22:00-07:00 "
                "(or off), or both."
            )
        return await service.notifications.update_profile(owner, changes)

    _print(run_with_service(work), as_json)


def _print(person: Profile, as_json: bool) -> None:
    if as_json:
        print_json(person.to_dict())
        return
    from rich.markup import escape  # noqa: PLC0415 - Rich, only to print
    from rich.table import Table  # noqa: PLC0415

    user = person.user
    defaults = ", ".join(person.default_channels) or (
        "none: tasks without channels of their own tell no one ('agentcron channels add')"
    )
    quiet = (
        f"{user.quiet_hours} ({user.timezone}): notifications wait until they end, "
        "unless the task is --urgent"
        if user.quiet_hours
        else "none: you are told at any time"
    )
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for name, value in (
        ("id", user.id),
        ("name", user.name or "-"),
        ("zone", user.timezone),
        ("default channels", defaults),
        ("channels", ", ".join(channel.name for channel in person.channels) or "none"),
        ("quiet hours", quiet),
        ("this month", _spent(person)),
    ):
        if value is not None:
            grid.add_row(name, escape(value))
    console().print(grid)


def _spent(person: Profile) -> str | None:
    """What the person's agent runs used this month, and what is left under their caps;
    None (no row) for someone with no budget who has spent nothing."""
    spend = person.spend
    if spend is None or (spend.tokens == 0 and spend.cost == 0 and not person.user.has_budget):
        return None
    said = [f"{spend.cost:.2f} spent, {spend.tokens:,} tokens ({spend.month})"]
    if spend.cost_left is not None:
        said.append(f"{spend.cost_left:.2f} left of {spend.cost_budget:.2f}")
    if spend.tokens_left is not None:
        said.append(f"{spend.tokens_left:,} tokens left of {spend.token_budget:,}")
    if spend.reached is not None:
        said.append("budget reached: agent tasks fail until it resets or is raised")
    return "; ".join(said)
