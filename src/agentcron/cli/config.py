"""``agentcron config show``: every setting in effect, and where its value came from."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agentcron.cli._context import current_settings
from agentcron.cli._output import console, print_json

if TYPE_CHECKING:
    from agentcron.config import Settings

app = typer.Typer(help="Look at agentcron's configuration.", no_args_is_help=True)


@app.command("show")
def show(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Every setting's value (secrets masked) and its source: variable, file or default."""
    from agentcron.config import setting_origins  # noqa: PLC0415 - pydantic-settings is heavy
    from agentcron.config_files import file_paths  # noqa: PLC0415

    settings = current_settings()
    found = setting_origins(settings)
    _effective_defaults(settings, found)
    files = [{"path": str(path), "found": path.is_file()} for path in file_paths()]
    if as_json:
        print_json({"settings": found, "files": files})
    else:
        _show(found, files)


def _effective_defaults(settings: Settings, found: dict[str, Any]) -> None:
    """What agentcron uses where a setting is left unset: the machine's zone, the data folder."""
    from agentcron.config import default_timezone  # noqa: PLC0415
    from agentcron.masking import mask_url  # noqa: PLC0415
    from agentcron.store import database_url, default_sqlite_path  # noqa: PLC0415

    found["timezone"]["value"] = default_timezone(settings)
    found["home"]["value"] = str(default_sqlite_path(settings.home).parent)
    found["database_url"]["value"] = mask_url(database_url(settings.database_url, settings.home))


def _show(found: dict[str, Any], files: list[dict[str, Any]]) -> None:
    from rich.table import Table  # noqa: PLC0415 - only to print for people
    from rich.text import Text  # noqa: PLC0415

    table = Table(show_edge=False, header_style="bold")
    table.add_column("setting", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_column("source", overflow="fold")
    for name, entry in found.items():
        source = entry["source"]
        style = "dim" if source == "default" else ""
        table.add_row(name, Text(_text(entry["value"])), Text(source, style=style))
    console().print(table)
    read = ", ".join(f"{f['path']} ({'read' if f['found'] else 'none'})" for f in files)
    console().print(Text(f"agentcron.toml files, the first one winning: {read}"))


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "-"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False) if value else "-"
    return str(value)
