"""``agentcron schedule``: try out a schedule before creating a task with it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from agentcron.cli._output import console, fail, print_json
from agentcron.errors import AgentCronError

if TYPE_CHECKING:
    from agentcron.schedules import Schedule

app = typer.Typer(help="Parse and preview schedules.", no_args_is_help=True)


@app.command("parse")
def parse_command(
    text: Annotated[str, typer.Argument(help="When: 'every weekday at 8:30', cron, RRULE, ISO.")],
    tz: Annotated[
        str | None,
        typer.Option("--tz", help="IANA zone (default: AGENTCRON_TIMEZONE, else the machine's)."),
    ] = None,
    now: Annotated[
        str | None, typer.Option("--now", help="Fix 'now' (ISO 8601) for reproducible answers.")
    ] = None,
    count: Annotated[
        int, typer.Option("--count", "-n", min=1, max=1000, help="Occurrences to show.")
    ] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Show how agentcron understands TEXT and when it fires next."""
    from agentcron.cli._context import current_settings  # noqa: PLC0415
    from agentcron.clock import SystemClock  # noqa: PLC0415 - imported when the command runs
    from agentcron.config import default_timezone  # noqa: PLC0415
    from agentcron.schedules import parse  # noqa: PLC0415

    try:
        zone = tz or default_timezone(current_settings())
        instant = _parse_now(now, zone) if now else SystemClock().now()
        schedule = parse(text, zone, instant)
    except AgentCronError as error:
        fail(error)
    if as_json:
        print_json(schedule.preview_dict(count, instant))
    else:
        _show(schedule, [o.astimezone(schedule.zone) for o in schedule.preview(count, instant)])


def _parse_now(text: str, zone: str) -> datetime:
    from agentcron.schedules import get_zone  # noqa: PLC0415

    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        fail(f"--now '{text}' is not an ISO 8601 date-time such as 2026-11-22T10:00:00+01:00.")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=get_zone(zone))
    return moment.astimezone(UTC)


def _show(schedule: Schedule, occurrences: list[datetime]) -> None:
    from rich.table import Table  # noqa: PLC0415 - only to print for people

    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("kind", schedule.kind.value)
    table.add_row("normalized", schedule.normalized)
    table.add_row("description", schedule.describe())
    for index, occurrence in enumerate(occurrences):
        table.add_row("next" if index == 0 else "", f"{occurrence:%a %Y-%m-%d %H:%M:%S %z}")
    if not occurrences:
        table.add_row("next", "no further occurrence")
    console().print(table)
