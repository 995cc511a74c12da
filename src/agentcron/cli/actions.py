"""``agentcron actions``: what a task can do, the payload each action takes, and where each
action comes from."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer

from agentcron.cli._context import current_settings
from agentcron.cli._output import console, print_json, warn
from agentcron.cli.tasks import JsonFlag

if TYPE_CHECKING:
    from agentcron.views import ActionView

app = typer.Typer(help="The actions a task can do, and their payloads.", no_args_is_help=True)


@app.command("ls")
def ls(as_json: JsonFlag = False) -> None:
    """Each action with its payload's fields, an example (--payload takes it as JSON) and
    its source: the installed package and entry point, or the configuration (--json: the
    payload's whole JSON schema too)."""
    from agentcron.actions import ActionRegistry  # noqa: PLC0415 - not for help
    from agentcron.actions.catalog import describe_all  # noqa: PLC0415
    from agentcron.config import entry_sources  # noqa: PLC0415

    registry = ActionRegistry.load(current_settings(), configured_in=entry_sources("actions"))
    views, problems = describe_all(registry)
    for problem in problems:  # a plugin that cannot load: the others still show
        warn(problem)
    if as_json:
        print_json([view.to_dict() for view in views])
    else:
        _show(views)


def _show(views: list[ActionView]) -> None:
    from rich.markup import escape  # noqa: PLC0415 - Rich, only to print

    for index, view in enumerate(views):
        if index:
            console().print()
        console().print(f"[bold]{view.name}[/]: {escape(view.summary)}")
        console().print(f"  source: {escape(view.source.description)}", soft_wrap=True)
        for field in view.fields:
            need = "required" if field.required else _default(field.default)
            console().print(
                f"  {field.name} ({field.kind}, {need}): {escape(field.description)}",
                soft_wrap=True,
            )
        if view.example:
            example = json.dumps(view.example, ensure_ascii=False)
            console().print(f"  example: --action {view.name} --payload '{escape(example)}'")


def _default(value: object) -> str:
    if value in (None, {}, []):
        return "optional"
    return f"default {json.dumps(value)}"
