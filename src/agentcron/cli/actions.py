"""``agentcron actions``: what a task can do, and the payload each action takes."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer

from agentcron.cli._context import current_settings
from agentcron.cli._output import console, print_json, warn
from agentcron.cli.tasks import JsonFlag
from agentcron.errors import ConfigurationError

if TYPE_CHECKING:
    from agentcron.views import ActionView

app = typer.Typer(help="The actions a task can do, and their payloads.", no_args_is_help=True)


@app.command("ls")
def ls(as_json: JsonFlag = False) -> None:
    """Each action with its payload's fields and an example (--payload takes it as JSON)."""
    from agentcron.actions import ActionRegistry  # noqa: PLC0415 - not for help
    from agentcron.actions.catalog import describe  # noqa: PLC0415

    registry = ActionRegistry.load(current_settings())
    views = []
    for name in registry.names():
        try:
            views.append(describe(registry.get(name)))
        except ConfigurationError as error:  # a plugin that cannot load: the others still show
            warn(error.message)
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
