"""``agentcron events``: what happened to your tasks, runs and notifications, in order; with
``--follow``, as it happens (the stream ``/v1/events`` serves)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from agentcron.cli._context import run_with_service
from agentcron.cli._output import print_json
from agentcron.cli.tasks import JsonFlag

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from agentcron.service import TaskService
    from agentcron.views import EventView


def events(
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing events as they happen.")
    ] = False,
    after: Annotated[
        int | None,
        typer.Option(
            "--after", min=0, help="Only events after this id (0: all kept).", show_default=False
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=500, help="How many of the latest to show.")
    ] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Your tasks' events: created, changed, paused, cancelled; runs started, retried,
    finished; notifications sent or failed."""
    from agentcron.schedules import get_zone  # noqa: PLC0415

    async def work(service: TaskService, owner: str) -> None:
        zone = get_zone((await service.profile(owner)).timezone)
        if not follow:
            for event in await service.events(owner, after=after, limit=limit):
                _print(event, zone, as_json)
            return
        start = after
        if start is None:  # the latest few first, then what comes
            shown = await service.events(owner, limit=limit)
            for event in shown:
                _print(event, zone, as_json)
            start = shown[-1].id if shown else 0  # 0: none of theirs yet, so all to come
        async for batch in service.follow_events(owner, after=start):
            for event in batch:
                _print(event, zone, as_json)

    try:
        run_with_service(work)
    except KeyboardInterrupt:  # --follow ends with Ctrl-C
        sys.stdout.flush()


def _print(event: EventView, zone: ZoneInfo, as_json: bool) -> None:
    if as_json:
        print_json(event.to_dict())  # one line an event: JSON lines
        sys.stdout.flush()
        return
    data = event.data or {}
    what = [f"task {event.task_id}"] if event.task_id is not None else []
    if event.run_id is not None:
        what.append(f"run {event.run_id}")
    said = [str(data[key]) for key in ("status", "channel") if key in data]
    if "title" in data:
        said.append(repr(data["title"]))
    local = event.at.astimezone(zone)
    print(f"{event.id:>6}  {local:%Y-%m-%d %H:%M:%S}  {event.kind:<15} {' '.join(what):<18} "
          f"{' '.join(said)}".rstrip(), flush=True)  # fmt: skip
