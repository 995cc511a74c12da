"""``agentcron doctor``: one line per check (``ok``, ``warn`` or ``FAIL`` and what to fix),
exit status 0 only when nothing failed (``agentcron.doctor`` makes the checks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from agentcron.cli._output import console, print_json, warn
from agentcron.cli.tasks import JsonFlag
from agentcron.errors import ConfigurationError

if TYPE_CHECKING:
    from agentcron.doctor import Report

FAILED_EXIT = 1
_LABELS = {"ok": "[green]ok[/]  ", "warn": "[yellow]warn[/] ", "fail": "[red]FAIL[/] "}


def doctor(as_json: JsonFlag = False) -> None:
    """Check the store, its migrations, the broker, workers and schedulers, the model and
    the notification transports; say what to fix."""
    import asyncio  # noqa: PLC0415

    from agentcron.config import load_settings  # noqa: PLC0415
    from agentcron.doctor import Report, diagnose  # noqa: PLC0415

    try:
        settings = load_settings(warn)
    except ConfigurationError as error:  # nothing else can be checked: say it as a check
        report = Report()
        report.add("settings", "fail", error.message)
    else:
        report = asyncio.run(diagnose(settings))
    if as_json:
        print_json(report.to_dict())
    else:
        show(report)
    if not report.ok:
        raise typer.Exit(FAILED_EXIT)


def show(report: Report) -> None:
    """Each finding on one line: 'ok  store: ...', 'FAIL broker: ...'."""
    from rich.markup import escape  # noqa: PLC0415 - Rich, only to print

    for finding in report.findings:
        console().print(
            f"{_LABELS[finding.state]}{escape(finding.check)}: {escape(finding.detail)}",
            soft_wrap=True,
            highlight=False,
        )
