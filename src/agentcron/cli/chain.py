"""``agentcron chain``: a sequence of tasks in one command, each after the one before."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from agentcron.cli._context import run_with_service
from agentcron.cli._output import NOBODY_SERVING, console, print_json
from agentcron.cli.tasks import JsonFlag
from agentcron.errors import InvalidInputError

if TYPE_CHECKING:
    from agentcron.service import TaskService
    from agentcron.views import TaskView

_TEXT_FIELD = {"agent": "instructions", "reminder": "message"}
_TITLE_AT_MOST = 60


def chain(
    name: Annotated[
        str, typer.Argument(help="The chain's name (its steps' titles start with it).")
    ],
    when: Annotated[str, typer.Option("--when", "-w", help="When the first step runs.")],
    step: Annotated[
        list[str],
        typer.Option(
            "--step",
            help="A step, in order: 'Title: what to do', what to do alone, or a task as JSON "
            '({"title", "action", "payload", ...}). Twice at least.',
        ),
    ],
    action: Annotated[
        Literal["agent", "reminder"],
        typer.Option("--action", help="What a step given as text does: agent or reminder."),
    ] = "agent",
    after_when: Annotated[
        Literal["succeeded", "failed", "finished"],
        typer.Option("--after-when", help="Each step runs after the one before: succeeded..."),
    ] = "succeeded",
    tz: Annotated[str | None, typer.Option("--tz", help="IANA zone (default: yours).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a chain: the first step on --when, each later one after the step before (all
    in one transaction). A step that fails stops it; cancelling the first cancels it all."""
    steps = [_step(text, number, len(step), name, action) for number, text in enumerate(step, 1)]
    steps[0] |= {"when": when} | ({"timezone": tz} if tz else {})

    async def work(service: TaskService, owner: str) -> tuple[list[TaskView], bool]:
        made = await service.create_chain(owner, steps, after_when=after_when)
        return made, bool(await service.serving())

    made, served = run_with_service(work)
    chained = [(number, task) for number, task in enumerate(made)]
    if as_json:
        print_json([task.to_dict() for task in made])
        return
    from rich.markup import escape  # noqa: PLC0415 - Rich, only to print

    from agentcron.cli import _render  # noqa: PLC0415

    head = made[0]
    console().print(
        f'Created chain "{escape(name)}": {len(made)} tasks, the first ({head.id}) '
        f"{head.description}; {_render.next_run(head)}"
    )
    _render.show_chain(chained, head.id)
    if not served:
        console().print(NOBODY_SERVING, soft_wrap=True)


def _step(text: str, number: int, total: int, name: str, action: str) -> dict[str, Any]:
    """One --step as the service's fields."""
    if text.lstrip().startswith("{"):
        try:
            given = json.loads(text)
        except json.JSONDecodeError as error:
            raise InvalidInputError(f"Step {number} is not valid JSON: {error.msg}.") from None
        if not isinstance(given, dict):
            raise InvalidInputError(f"Step {number} as JSON must be an object.")
        return {"title": f"{name} ({number}/{total})"} | given
    head, colon, rest = text.partition(": ")
    titled = colon and rest.strip() and 0 < len(head.strip()) <= _TITLE_AT_MOST
    title = f"{name}: {head.strip()}" if titled else f"{name} ({number}/{total})"
    what = rest.strip() if titled else text.strip()
    if not what:
        raise InvalidInputError(f"Step {number} is empty: say what it does.")
    return {"title": title[:200], "action": action, "payload": {_TEXT_FIELD[action]: what}}
