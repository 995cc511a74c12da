"""Run commands: runs (the history, with each run's deliveries), retry, run-show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agentcron.cli._context import run_with_service
from agentcron.cli._durations import span_seconds
from agentcron.cli._output import console, print_json
from agentcron.cli.tasks import JsonFlag
from agentcron.errors import InvalidInputError

if TYPE_CHECKING:
    from agentcron.service import TaskService
    from agentcron.views import AttemptView, DeliveryView, RunView


def runs(
    task_id: Annotated[
        int | None,
        typer.Argument(
            help="A task's id; without it, recent runs of all your tasks.", show_default=False
        ),
    ] = None,
    status: Annotated[
        list[str] | None, typer.Option("--status", "-s", help="Only runs in these statuses.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only runs scheduled since: 30m, 2h, 7d, or an ISO date."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="How many.")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Run history: scheduled and started times, lateness, status, output."""

    async def work(service: TaskService, owner: str) -> tuple[str, list[RunView]]:
        if task_id is None:
            start = _since(since, service.now())
            recent = await service.recent_runs(owner, status=status, since=start, limit=limit)
            return (await service.profile(owner)).timezone, recent
        if status or since:
            raise InvalidInputError("--status and --since list runs of all tasks: drop TASK_ID.")
        zone = (await service.get(owner, task_id)).timezone
        return zone, await service.list_runs(owner, task_id, limit=limit)

    async def with_deliveries(
        service: TaskService, owner: str
    ) -> tuple[str, list[RunView], dict[int, list[DeliveryView]]]:
        zone, history = await work(service, owner)
        told = await service.notifications.of_runs(owner, [r.id for r in history])
        return zone, history, told

    zone, history, told = run_with_service(with_deliveries)
    if as_json:
        print_json([_with_deliveries(r, told.get(r.id, [])) for r in history])
    else:
        from agentcron.cli import _render  # noqa: PLC0415 - Rich, only to print

        _render.show_runs(history, zone, told, with_task=task_id is None)


def _with_deliveries(run: RunView, deliveries: list[DeliveryView]) -> dict[str, Any]:
    return run.to_dict() | {"deliveries": [d.to_dict() for d in deliveries]}


def _since(value: str | None, now: datetime) -> datetime | None:
    """An instant from '2h'-style ages or an ISO date or instant (UTC when no offset)."""
    if value is None:
        return None
    age = span_seconds(value)
    if age is not None:
        return now - timedelta(seconds=age)
    try:
        instant = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInputError(
            f"--since {value!r} is neither an age (30m, 2h, 7d) nor an ISO date or instant."
        ) from None
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def retry(
    run_id: Annotated[int, typer.Argument(help="A failed run's id.", show_default=False)],
    as_json: JsonFlag = False,
) -> None:
    """Run a failed run again."""
    queued = run_with_service(lambda s, o: s.retry(o, run_id))
    if as_json:
        print_json(queued.to_dict())
    else:
        console().print(f"Queued run [bold]{queued.id}[/] again.")


def show_one_run(
    run_id: Annotated[int, typer.Argument(help="The run's id.", show_default=False)],
    as_json: JsonFlag = False,
) -> None:
    """Show one run."""

    async def work(
        service: TaskService, owner: str
    ) -> tuple[RunView, str, list[AttemptView], list[DeliveryView]]:
        found = await service.get_run(owner, run_id)
        zone = (await service.get(owner, found.task_id)).timezone
        attempts = await service.run_attempts(owner, run_id)
        told = await service.notifications.of_runs(owner, [run_id])
        return found, zone, attempts, told.get(run_id, [])

    found, zone, attempts, told = run_with_service(work)
    if as_json:
        print_json(_with_deliveries(found, told) | {"attempts": [a.to_dict() for a in attempts]})
    else:
        from agentcron.cli import _render  # noqa: PLC0415 - Rich, only to print

        _render.show_run(found, zone, attempts, told)


COMMANDS = {"runs": runs, "retry": retry, "run-show": show_one_run}

__all__ = ["COMMANDS"]
