"""CLI startup benchmark: the wall time of whole ``agentcron`` processes, as people run them.

Each row is one command line run ``--runs`` times (after ``--warmup`` runs that are not
counted) through the console script (``.venv/bin/agentcron``, or ``--agentcron PATH``),
one process at a time, timed from spawn to exit with its output read through a pipe:

- ``agentcron --version``, ``agentcron --help``, ``agentcron schedule parse "every day at 9"``,
  each in a fresh, empty AGENTCRON_HOME;
- ``agentcron ls`` and ``agentcron ls --json`` on a store holding ``--tasks`` active tasks
  (one-off reminders one to thirty days ahead, created once through
  ``build_service(...).create_many`` before anything is timed); ``ls`` prints the soonest
  page of them, as many as ``TaskService.list_tasks`` returns by default (100);
- ``agentcron add "x" --when "in 1 hour"`` on that same store, timed last (every run adds
  a task, so the listing rows see exactly ``--tasks``); its environment raises
  AGENTCRON_MAX_ACTIVE_TASKS, since the store already holds the default limit of 1,000;
- with ``--baseline``, the floors measured the same way in the same run: ``python -c pass``,
  ``python -c "import typer"``, and the libraries ``ls`` stands on (Typer, pydantic-settings,
  Rich's table and SQLAlchemy), with the same interpreter.

Before timing, agentcron's own modules are compiled to bytecode (``compileall``, as ``make``
does): an installed package has its bytecode, and with PYTHONDONTWRITEBYTECODE set an editable
install would otherwise compile every module anew in every process.

Every process gets the caller's environment without its AGENTCRON_* variables, plus
AGENTCRON_HOME and AGENTCRON_TIMEZONE=UTC, and runs in its home folder (so no stray
agentcron.toml is read). Any run that exits non-zero stops the benchmark; the first warm-up
of ``ls --json`` checks that it lists that page in full.

Each row reports the median, min, max and p90 of its runs, in seconds. For ``--version`` and
``schedule parse`` the benchmark also runs ``python -X importtime -m agentcron ...`` once and
says whether sqlalchemy, alembic, pydantic_ai and agentcron.engine were imported: the
commands that do not touch the store should not load them.

Usage::

    uv run --frozen python bench/cli_startup.py [--runs 15] [--baseline] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import inspect
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import agentcron
from agentcron.bootstrap import build_service, open_store
from agentcron.config import Settings
from agentcron.service import TaskService
from machine import heading, load_average, machine_info, summary, target_lines, write_json
from serve_process import percentile

FAST_TARGET_S = 0.3  # --version, schedule parse
LS_TARGET_S = 0.4  # ls on --tasks tasks
HEAVY_MODULES = ("sqlalchemy", "alembic", "pydantic_ai", "agentcron.engine")
PHRASE = "every day at 9"
BATCH = 2000
LIST_LIMIT: int = inspect.signature(TaskService.list_tasks).parameters["limit"].default
TYPER_LABEL = 'python -c "import typer"'
LS_LIBRARIES = "typer, pydantic_settings, rich.table, sqlalchemy"


@dataclass
class Row:
    key: str
    label: str
    argv: list[str]
    home: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p90(self) -> float:
        return percentile(self.samples, 0.9)

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "argv": self.argv,
            "unit": "s",
            **summary(self.samples),
            "p90": self.p90,
            "samples": self.samples,
        }


# --- processes -------------------------------------------------------------------------------


def command_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without AGENTCRON_*, then the home, UTC and ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCRON_")}
    env |= {"AGENTCRON_HOME": str(home), "AGENTCRON_TIMEZONE": "UTC"}
    return env | (extra or {})


def run_once(row: Row) -> tuple[float, bytes]:
    """One process of ``row``: its wall time in seconds and its standard output."""
    env = command_env(row.home, row.extra_env)
    started = time.perf_counter()
    done = subprocess.run(row.argv, env=env, cwd=row.home, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"{row.label} exited {done.returncode}:\n{done.stderr.decode(errors='replace')}"
        )
    return elapsed, done.stdout


def measure(row: Row, runs: int, warmup: int, expect_tasks: int | None = None) -> None:
    for index in range(warmup):
        _, output = run_once(row)
        if index == 0 and expect_tasks is not None:
            listed = len(json.loads(output))
            if listed != expect_tasks:
                raise SystemExit(f"{row.label} listed {listed} tasks, expected {expect_tasks}")
    row.samples = [run_once(row)[0] for _ in range(runs)]


def imported_modules(python: str, args: Sequence[str], home: Path) -> tuple[set[str], float]:
    """The modules ``python -X importtime -m agentcron ARGS`` imports, and their total self
    time in seconds."""
    done = subprocess.run(
        [python, "-X", "importtime", "-m", "agentcron", *args],
        env=command_env(home),
        cwd=home,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"importtime of agentcron {' '.join(args)} failed:\n{done.stderr}")
    names: set[str] = set()
    self_us = 0
    for line in done.stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue  # the header line
        self_us += int(parts[0])
        names.add(parts[2].strip())
    return names, self_us / 1e6


def loaded(names: set[str], module: str) -> bool:
    return any(name == module or name.startswith(module + ".") for name in names)


# --- the store -------------------------------------------------------------------------------


async def fill_store(home: Path, n: int) -> float:
    """``n`` active one-off reminders in the embedded store of ``home``; seconds taken."""
    settings = Settings(timezone="UTC", home=home, max_active_tasks=n + 10)
    store = open_store(settings)
    try:
        await store.migrate()
        service = build_service(settings, store)
        await service.ensure_user(settings.user, timezone="UTC")
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
        spread = 29 * 86_400 / max(n, 1)
        began = time.perf_counter()
        for first in range(0, n, BATCH):
            await service.create_many(
                settings.user,
                [
                    {
                        "title": f"startup {i}",
                        "when": (start + timedelta(seconds=int(i * spread))).isoformat(),
                        "payload": {"message": f"m{i}"},
                    }
                    for i in range(first, min(n, first + BATCH))
                ],
            )
        return time.perf_counter() - began
    finally:
        await store.close()


# --- report ----------------------------------------------------------------------------------


def evaluate_targets(rows: dict[str, Row]) -> list[tuple[str, bool]]:
    targets = []
    for key, limit in (("version", FAST_TARGET_S), ("parse", FAST_TARGET_S), ("ls", LS_TARGET_S)):
        row = rows[key]
        targets.append((f"{row.label}: median {row.median:.3f} s < {limit} s", row.median < limit))
    return targets


def render(
    *,
    rows: dict[str, Row],
    imports: dict[str, dict[str, Any]],
    targets: list[tuple[str, bool]],
    info: dict[str, str],
    runs: int,
    warmup: int,
) -> str:
    lines = heading("CLI startup", info)
    lines += [
        f"- {runs} timed runs per command after {warmup} warm-up runs, one process at a time",
        "",
        "| Command | Median s | Min s | Max s | p90 s |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows.values():
        lines.append(
            f"| {row.label} | {row.median:.3f} | {min(row.samples):.3f} | "
            f"{max(row.samples):.3f} | {row.p90:.3f} |"
        )
    lines += ["", "Imported by the process (python -X importtime -m agentcron ..., one run):"]
    for label, found in imports.items():
        modules = ", ".join(
            f"{module} {'yes' if found['modules'][module] else 'no'}" for module in HEAVY_MODULES
        )
        lines.append(
            f"- {label}: {modules}; {found['count']} modules, "
            f"{found['self_s']:.3f} s import self time"
        )
    lines += target_lines(targets)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=15, help="timed runs per command")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs before each command")
    parser.add_argument("--tasks", type=int, default=1000, help="active tasks in the ls store")
    parser.add_argument(
        "--agentcron",
        type=Path,
        default=Path(sys.executable).with_name("agentcron"),
        help="the console script to time (default: next to this Python)",
    )
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="also time python -c pass and the libraries' imports",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write every sample here")
    parser.add_argument("--strict", action="store_true", help="exit with 1 when a target fails")
    args = parser.parse_args(argv)
    if args.runs < 10:
        parser.error("--runs must be at least 10")
    if args.warmup < 1 or args.tasks < 1:
        parser.error("--warmup and --tasks must be at least 1")
    if not args.agentcron.is_file():
        parser.error(f"no console script at {args.agentcron}")

    for name in [name for name in os.environ if name.startswith("AGENTCRON_")]:
        del os.environ[name]  # the caller's configuration must not reach the store filled here
    info = machine_info(("agentcron", "typer", "sqlalchemy"))
    compileall.compile_dir(Path(agentcron.__file__).parent, quiet=1)
    script, python = str(args.agentcron), sys.executable
    workdir = Path(tempfile.mkdtemp(prefix="agentcron-startup-"))
    try:

        def home(name: str) -> Path:
            path = workdir / name
            path.mkdir()
            return path

        store_home = home("store")
        print(f"creating {args.tasks} tasks in {store_home}", file=sys.stderr, flush=True)
        created = asyncio.run(fill_store(store_home, args.tasks))
        print(f"created {args.tasks} tasks in {created:.2f} s", file=sys.stderr, flush=True)

        specs: list[Row] = []
        if args.baseline:
            specs += [
                Row("python", "python -c pass", [python, "-c", "pass"], home("python")),
                Row("typer", TYPER_LABEL, [python, "-c", "import typer"], home("typer")),
                Row(
                    "libraries",
                    f'python -c "import {LS_LIBRARIES}"',
                    [python, "-c", f"import {LS_LIBRARIES}"],
                    home("libraries"),
                ),
            ]
        shown = f", {LIST_LIMIT} listed" if args.tasks > LIST_LIMIT else ""
        no_limit = {"AGENTCRON_MAX_ACTIVE_TASKS": str(args.tasks + args.warmup + args.runs + 10)}
        specs += [
            Row("version", "agentcron --version", [script, "--version"], home("version")),
            Row("help", "agentcron --help", [script, "--help"], home("help")),
            Row(
                "parse",
                f'agentcron schedule parse "{PHRASE}"',
                [script, "schedule", "parse", PHRASE],
                home("parse"),
            ),
            Row("ls", f"agentcron ls ({args.tasks} tasks{shown})", [script, "ls"], store_home),
            Row(
                "ls-json",
                f"agentcron ls --json ({args.tasks} tasks{shown})",
                [script, "ls", "--json"],
                store_home,
            ),
            Row(
                "add",
                f'agentcron add "x" --when "in 1 hour" ({args.tasks}+ tasks)',
                [script, "add", "x", "--when", "in 1 hour"],
                store_home,
                no_limit,
            ),
        ]
        rows = {row.key: row for row in specs}
        for row in specs:
            print(f"measuring {row.label}", file=sys.stderr, flush=True)
            expect = min(args.tasks, LIST_LIMIT) if row.key == "ls-json" else None
            measure(row, args.runs, args.warmup, expect)

        imports: dict[str, dict[str, Any]] = {}
        for key, command in (("version", ["--version"]), ("parse", ["schedule", "parse", PHRASE])):
            names, self_s = imported_modules(python, command, home(f"importtime-{key}"))
            imports[rows[key].label] = {
                "modules": {module: loaded(names, module) for module in HEAVY_MODULES},
                "count": len(names),
                "self_s": self_s,
            }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    info["load_average_at_end"] = load_average()
    targets = evaluate_targets(rows)
    print(
        render(
            rows=rows,
            imports=imports,
            targets=targets,
            info=info,
            runs=args.runs,
            warmup=args.warmup,
        )
    )
    if args.json is not None:
        write_json(
            args.json,
            info=info,
            settings={
                "runs": args.runs,
                "warmup": args.warmup,
                "tasks": args.tasks,
                "listed_by_ls": min(args.tasks, LIST_LIMIT),
                "agentcron": script,
                "python": python,
                "store_fill_s": created,
            },
            results={key: row.as_json() for key, row in rows.items()},
            imports=imports,
            targets=targets,
        )
    return 1 if args.strict and not all(ok for _, ok in targets) else 0


if __name__ == "__main__":
    sys.exit(main())
