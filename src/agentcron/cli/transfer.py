"""``export`` and ``import``: tasks as JSON lines, one task a line (``agentcron.transfer``)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

from agentcron.cli._context import run_with_service
from agentcron.cli._output import console, fail, warn
from agentcron.errors import InvalidInputError

if TYPE_CHECKING:
    from agentcron.service import TaskService
    from agentcron.transfer import Lines
    from agentcron.views import TaskView

PAGE = 1000
"""Tasks read per query on export."""
NOBODY_SERVES_THEM = (
    "note: no 'agentcron serve' is running on this store; the tasks are saved and will fire "
    "when one runs."
)
LISTED = 20
"""Refused lines named one by one on import; the rest are counted."""


def export(
    file: Annotated[
        str, typer.Argument(help="Where to write the lines ('-' or none: stdout).")
    ] = "-",
    status: Annotated[
        list[str] | None,
        typer.Option("--status", "-s", help="Only these statuses (default: active, paused)."),
    ] = None,
    include_secrets: Annotated[
        bool,
        typer.Option("--include-secrets", help="Write tokens and passwords as they are."),
    ] = False,
) -> None:
    """Write your tasks as JSON lines, one task a line, for 'agentcron import'."""
    from agentcron.transfer import dump_line, task_line  # noqa: PLC0415 - the service is heavy

    statuses = status or ["active", "paused"]

    async def work(service: TaskService, owner: str) -> list[TaskView]:
        found: list[TaskView] = []
        while page := await service.list_tasks(
            owner, status=statuses, limit=PAGE, offset=len(found)
        ):
            found += page
        return found

    tasks = run_with_service(work)
    lines = [task_line(task, include_secrets=include_secrets) for task in tasks]
    if file == "-":
        sys.stdout.writelines(dump_line(line) for line in lines)
    else:
        with _private(Path(file)) as out:
            out.writelines(dump_line(line) for line in lines)
        console().print(f"Exported {_tasks(len(lines))} to {file}.", soft_wrap=True)
    masked = sum(line["payload"] != task.payload for line, task in zip(lines, tasks, strict=True))
    if masked:
        warn(
            f"secrets in {_tasks(masked)} are masked (****); --include-secrets writes them as "
            "they are."
        )


def _private(path: Path) -> IO[str]:
    """The file, emptied, readable by its owner only: it may hold secrets."""
    try:
        descriptor = os.open(path.expanduser(), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as error:
        raise InvalidInputError(f"Cannot write {path}: {error.strerror}.") from None
    return os.fdopen(descriptor, "w", encoding="utf-8")


def import_(
    file: Annotated[
        str, typer.Argument(help="JSON lines, one task a line ('-': stdin).", show_default=False)
    ],
    idempotent: Annotated[
        bool,
        typer.Option(
            "--idempotent", help="Make each line's task once, however often it is imported."
        ),
    ] = False,
) -> None:
    """Create the tasks of a file of JSON lines (as 'agentcron export' writes): all of them,
    or none when a line is refused."""
    from agentcron.transfer import read_lines  # noqa: PLC0415 - the service is heavy

    if file == "-":
        lines = read_lines(sys.stdin.buffer, idempotent=idempotent)
    else:
        try:
            with Path(file).expanduser().open("rb") as stream:
                lines = read_lines(stream, idempotent=idempotent)
        except OSError as error:
            raise InvalidInputError(f"Cannot read {file}: {error.strerror}.") from None
    if not lines.requests and not lines.refused:
        console().print(f"No tasks in {_source(file)}; nothing was imported.")
        return
    if lines.masked:
        warn(
            f"{_lines(lines.masked)} {'holds' if lines.masked == 1 else 'hold'} masked secrets "
            "(****), which the tasks will keep as such; export with --include-secrets to carry "
            "them."
        )
    created, served = run_with_service(lambda service, owner: _import(service, owner, lines))
    existed = len(lines.requests) - created
    console().print(
        f"Imported {_source(file)}: {_tasks(created)} created, {existed} already existed.",
        soft_wrap=True,
    )
    if created and not served:
        console().print(NOBODY_SERVES_THEM, soft_wrap=True)


async def _import(service: TaskService, owner: str, lines: Lines) -> tuple[int, bool]:
    """The tasks created (checked first when some lines are refused already, so that every
    refused line is named), and whether anything serves the store."""
    from agentcron.errors import BatchError  # noqa: PLC0415 - with the service

    try:
        with _progress(len(lines.requests)) as checked:
            if lines.refused:
                await service.check_many(owner, lines.requests, on_checked=checked)
                _refuse(lines, [])
            results = await service.create_many_or_get(owner, lines.requests, on_checked=checked)
    except BatchError as error:
        _refuse(lines, [(lines.numbers[index], why.message) for index, why in error.problems])
    return sum(created for _, created in results), bool(await service.serving())


def _refuse(lines: Lines, more: list[tuple[int, str]]) -> None:
    """Name the refused lines (the first LISTED of them) and exit: nothing was written."""
    refused = sorted(lines.refused + more)
    for number, why in refused[:LISTED]:
        sys.stderr.write(f"error: line {number}: {why}\n")
    total = len(lines.requests) + len(lines.refused)
    unlisted = f" ({len(refused) - LISTED} more not listed)" if len(refused) > LISTED else ""
    verb = "is" if len(refused) == 1 else "are"
    fail(f"{len(refused)} of {_lines(total)} {verb} refused{unlisted}, so nothing was imported.")


@contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None] | None]:
    """A progress bar of the lines checked, on a terminal only; then 'writing' while the
    tasks are written."""
    if not console().is_terminal or total < 2:
        yield None
        return
    from rich.progress import Progress  # noqa: PLC0415 - Rich, only on a terminal

    step = max(1, total // 200)
    with Progress(console=console(), transient=True) as bar:
        task = bar.add_task("checking", total=total)

        def checked(done: int) -> None:
            if done % step == 0 or done == total:
                bar.update(task, completed=done)
            if done == total:
                bar.update(task, description="writing")

        yield checked


def _source(file: str) -> str:
    return "stdin" if file == "-" else file


def _tasks(count: int) -> str:
    return f"{count:,} task" + ("" if count == 1 else "s")


def _lines(count: int) -> str:
    return f"{count:,} line" + ("" if count == 1 else "s")


COMMANDS = {"export": export, "import": import_}

__all__ = ["COMMANDS"]
