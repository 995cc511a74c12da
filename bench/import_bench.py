"""Import benchmark: ``agentcron import FILE`` of N tasks, wall time, on SQLite and PostgreSQL.

The file holds ``--n`` (default 10,000) varied lines: reminders, agent and http tasks on
natural-language schedules ("every weekday at 8:30", "every 2 hours", "tomorrow at 9am",
"in 3 days"...) and cron expressions, some with their own zone and options. Each repetition
imports it into a fresh store (migrated, its owner made, before the clock starts: what the
first command on a store does once), as a person runs it: ``agentcron import`` as a
subprocess, so the time includes starting the command, reading and checking every line and
writing the tasks in one transaction. ``--idempotent`` rows import with ``--idempotent``
(one idempotency key a line, looked up first).

The baseline, in the same run and the same kind of fresh store: ``TaskService.create_many``
called in-process with the same requests (read from the same file beforehand), that is, the
service's checks and the one INSERT without the command around them. The report gives the
median, min and max per row and the ratio of the command's median to the baseline's.

Usage::

    uv run --frozen python bench/import_bench.py [--n 10000] [--reps 3] [--backend both]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentcron.bootstrap import build_service, open_store
from agentcron.transfer import dump_line, read_lines
from create_rate import OWNER, PG_SERVER, Fresh, fresh_store, prepare
from machine import heading, load_average, machine_info, summary, target_lines, write_json

TARGET_S = 10.0
MODEL = "openai:gpt-4o-mini"
"""Named by each agent task (no model is configured in these stores; none is called)."""
SCHEDULES = (
    "every weekday at 8:30", "every day at 7am", "every monday at 9", "every 2 hours",
    "every 15 minutes", "tomorrow at 9am", "in 3 days", "every friday at 17:00",
    "every month on the 1st at 10:00", "0 9 * * 1-5", "*/30 * * * *", "15 3 * * *",
    "0 12 1 * *", "0 18 * * 5", "30 6 * * 0,6",
)  # fmt: skip
ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo")


def line(number: int, rng: random.Random) -> dict[str, Any]:
    """One varied task: mostly reminders, some agent and http tasks, some with options."""
    request: dict[str, Any] = {
        "title": f"task {number}",
        "when": rng.choice(SCHEDULES),
        "timezone": rng.choice(ZONES),
    }
    kind = rng.random()
    if kind < 0.15:
        request |= {
            "action": "agent",
            "payload": {"instructions": f"Summarize topic {number}.", "model": MODEL},
        }
        request["when"] = rng.choice(("every day at 7am", "every monday at 9", "0 9 * * 1-5"))
    elif kind < 0.25:
        request |= {
            "action": "http",
            "payload": {"url": f"https://hooks.example.com/{number}", "method": "POST"},
        }
    else:
        request["payload"] = {"message": f"Reminder {number}"}
    if rng.random() < 0.3:
        request |= {"misfire_policy": "skip", "jitter_seconds": rng.randrange(0, 60)}
    if rng.random() < 0.2:
        request |= {"max_attempts": 5, "timeout_seconds": 30.0, "urgent": True}
    return request


def write_file(n: int, folder: Path) -> Path:
    rng = random.Random(20261202)
    path = folder / "tasks.jsonl"
    with path.open("w", encoding="utf-8") as out:
        out.writelines(dump_line(line(number, rng)) for number in range(n))
    return path


def command_env(fresh: Fresh, n: int) -> dict[str, str]:
    env = fresh.serve_env()
    env["AGENTCRON_MAX_ACTIVE_TASKS"] = str(n + 1000)
    return env


def timed_import(fresh: Fresh, file: Path, n: int, idempotent: bool) -> float:
    flags = ["--idempotent"] if idempotent else []
    command = [sys.executable, "-m", "agentcron", "import", *flags, str(file)]
    began = time.perf_counter()
    done = subprocess.run(
        command, env=command_env(fresh, n), capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - began
    expected = f"{n:,} tasks created, 0 already existed."
    if done.returncode != 0 or expected not in done.stdout:
        raise SystemExit(f"agentcron import failed ({done.returncode}):\n{done.stderr}")
    return elapsed


async def timed_create_many(fresh: Fresh, requests: list[dict[str, Any]], n: int) -> float:
    settings = fresh.settings(n)
    store = open_store(settings)
    try:
        await store.migrate()
        service = build_service(settings, store)
        began = time.perf_counter()
        made = await service.create_many(OWNER, requests)
        elapsed = time.perf_counter() - began
    finally:
        await store.close()
    if len(made) != n:
        raise SystemExit(f"create_many made {len(made)} tasks, expected {n}")
    return elapsed


def rows_for(backends: list[str]) -> list[tuple[str, str]]:
    kinds = ("create_many", "import", "import --idempotent")
    return [(backend, kind) for backend in backends for kind in kinds]


def run_rep(backend: str, kind: str, file: Path, n: int, pg_url: str) -> float:
    with fresh_store(backend, pg_url) as fresh:
        asyncio.run(prepare(fresh.settings(n)))
        if kind == "create_many":
            with file.open("rb") as stream:
                requests = read_lines(stream).requests
            return asyncio.run(timed_create_many(fresh, requests, n))
        return timed_import(fresh, file, n, idempotent=kind.endswith("--idempotent"))


def render(results: dict[tuple[str, str], list[float]], info: dict[str, str], n: int) -> str:
    lines = heading("import", info)
    lines += [
        f"- {n:,} tasks per repetition, each in a fresh store; seconds of wall time",
        "",
        "| Backend | Row | median s | min | max | vs create_many |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for (backend, kind), samples in results.items():
        base = statistics.median(results[(backend, "create_many")])
        median = statistics.median(samples)
        lines.append(
            f"| {backend} | {kind} | {median:.2f} | {min(samples):.2f} | {max(samples):.2f} "
            f"| {median / base:.2f}x |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--n", type=int, default=10_000, help="tasks in the file")
    parser.add_argument("--reps", type=int, default=3, help="repetitions, each in a fresh store")
    parser.add_argument("--pg-url", default=PG_SERVER, help="the PostgreSQL server (a database)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results here")
    parser.add_argument("--strict", action="store_true", help="exit with 1 when a target fails")
    args = parser.parse_args(argv)
    if args.n < 1 or args.reps < 1:
        parser.error("--n and --reps must be at least 1")
    for name in [name for name in os.environ if name.startswith("AGENTCRON_")]:
        del os.environ[name]  # the caller's configuration must not reach these stores
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    info = machine_info(("agentcron", "sqlalchemy", "psycopg"))
    results: dict[tuple[str, str], list[float]] = {row: [] for row in rows_for(backends)}
    with tempfile.TemporaryDirectory(prefix="agentcron-import-") as folder:
        file = write_file(args.n, Path(folder))
        for rep in range(args.reps):
            for (backend, kind), samples in results.items():
                print(f"repetition {rep + 1}: {backend}, {kind}", file=sys.stderr, flush=True)
                elapsed = run_rep(backend, kind, file, args.n, args.pg_url)
                samples.append(elapsed)
                print(f"  {elapsed:.2f} s", file=sys.stderr, flush=True)
    info["load_average_at_end"] = load_average()
    targets = [
        (
            f"{backend}, {kind}: median {statistics.median(samples):.2f} s < {TARGET_S:g} s",
            statistics.median(samples) < TARGET_S,
        )
        for (backend, kind), samples in results.items()
        if kind != "create_many"
    ]
    print(render(results, info, args.n) + "\n" + "\n".join(target_lines(targets)))
    if args.json is not None:
        write_json(
            args.json,
            info=info,
            settings={"n": args.n, "reps": args.reps, "backends": backends},
            results={f"{b}:{k}": summary(s) | {"samples": s} for (b, k), s in results.items()},
            targets=targets,
        )
    return 1 if args.strict and not all(ok for _, ok in targets) else 0


if __name__ == "__main__":
    sys.exit(main())
