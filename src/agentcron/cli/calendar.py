"""``agentcron calendar``: your upcoming runs in your calendar program, as a feed it
subscribes to (served by ``agentcron api`` or ``agentcron serve --http``)."""

from __future__ import annotations

from typing import Annotated

import typer

from agentcron.cli._context import current_settings, run_with_service
from agentcron.cli._output import print_json
from agentcron.cli.tasks import JsonFlag

app = typer.Typer(help="Your upcoming runs as a calendar feed.", no_args_is_help=True)


@app.command("url")
def url(
    new: Annotated[
        bool,
        typer.Option("--new", help="A new address: the old one shows nothing any more."),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """The address of your feed (AGENTCRON_PUBLIC_URL is where the API is reached)."""
    from agentcron.api.calendar import feed_url  # noqa: PLC0415 - only for its address

    token = run_with_service(lambda s, o: s.people.calendar_token(o, new=new))
    address = feed_url(current_settings().public_url, token)
    if as_json:
        print_json({"url": address})
        return
    print(address)
    typer.echo(  # on stderr: the address alone on stdout, for scripts
        "Subscribe to it in your calendar program (it shows the next 30 days). Anyone with "
        "the address sees your task titles: 'agentcron calendar url --new' replaces it.",
        err=True,
    )


@app.command("close")
def close() -> None:
    """Close your feed: its address shows nothing any more."""
    closed = run_with_service(lambda s, o: s.people.revoke_calendar(o))
    print("Your calendar feed is closed." if closed else "You had no calendar feed.")
