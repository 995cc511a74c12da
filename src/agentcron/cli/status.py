"""``agentcron status``: your tasks and runs at a glance, and whether anything serves them."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from agentcron.cli._context import run_with_service
from agentcron.cli._output import print_json
from agentcron.cli.tasks import JsonFlag

if TYPE_CHECKING:
    from agentcron.service import Overview, TaskService

RECENT = timedelta(days=1)


def status(as_json: JsonFlag = False) -> None:
    """Your tasks and runs, and the processes serving them, with their loops' health."""

    async def work(service: TaskService, owner: str) -> tuple[Overview, str]:
        overview = await service.overview(owner, since=service.now() - RECENT)
        return overview, (await service.profile(owner)).timezone

    overview, zone = run_with_service(work)
    if as_json:
        print_json(overview.to_dict())
        return
    from agentcron.cli import _render  # noqa: PLC0415 - Rich, only to print

    _render.show_overview(overview, zone)
