"""``agentcron deliveries``: every notification of your runs, newest first; ``deliveries
retry ID`` sends one that failed (or may not have arrived) again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from agentcron.cli._context import run_with_service
from agentcron.cli._output import console, print_json
from agentcron.cli.tasks import JsonFlag
from agentcron.errors import InvalidInputError

if TYPE_CHECKING:
    from agentcron.service import TaskService
    from agentcron.views import DeliveryView

app = typer.Typer(
    help="Notifications of your runs: one per run and channel.",
    invoke_without_command=True,
    no_args_is_help=False,
)
NEED_YOU = ["failed", "unknown"]
"""What ``--failed`` lists: what did not go out, or may not have, and is not tried again on
its own (what ``deliveries retry`` takes)."""


@app.callback()
def deliveries(
    context: typer.Context,
    failed: Annotated[
        bool,
        typer.Option(
            "--failed",
            help="Only those that did not go out, or may not have: failed and unknown.",
        ),
    ] = False,
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status",
            "-s",
            help="Only these: pending, held, sending, sent, failed, unknown.",
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="How many.")] = 50,
    as_json: JsonFlag = False,
) -> None:
    """List the notifications of your runs across tasks, newest first."""
    if context.invoked_subcommand is not None:
        return
    if failed and status:
        raise InvalidInputError(
            "--failed means --status failed --status unknown; give one or the other."
        )
    statuses = NEED_YOU if failed else status

    async def work(service: TaskService, owner: str) -> tuple[list[DeliveryView], str]:
        found = await service.notifications.deliveries(owner, statuses=statuses, limit=limit)
        return found, (await service.profile(owner)).timezone

    found, zone = run_with_service(work)
    if as_json:
        print_json([delivery.to_dict() for delivery in found])
    elif not found:
        console().print(
            "No deliveries." if statuses else "No deliveries yet: no run has told you anything."
        )
    else:
        from agentcron.cli import _render  # noqa: PLC0415 - Rich, only to print

        _render.show_deliveries(found, zone, titles=True)


@app.command("retry")
def retry(
    delivery_id: Annotated[
        int,
        typer.Argument(
            help="A failed or unknown delivery's id (see 'agentcron deliveries --failed').",
            show_default=False,
        ),
    ],
    as_json: JsonFlag = False,
) -> None:
    """Send a failed (or unknown) delivery again, now."""

    async def work(service: TaskService, owner: str) -> tuple[DeliveryView, bool]:
        again = await service.notifications.retry_delivery(owner, delivery_id)
        return again, bool(await service.serving())

    again, served = run_with_service(work)
    if as_json:
        print_json(again.to_dict())
        return
    from rich.markup import escape  # noqa: PLC0415 - Rich, only to print

    console().print(
        f"Delivery [bold]{again.id}[/] (run {again.run_id} to {escape(again.channel)}) will be "
        "sent again now."
    )
    if not served:
        console().print(
            "note: no 'agentcron serve' is running on this store; it is sent when one runs.",
            soft_wrap=True,
        )
