"""Idle benchmark: ``agentcron serve`` with many active tasks, none due while measured.

1. creates N one-off reminder tasks due one to thirty days ahead (through TaskService);
2. starts ``agentcron serve``, lets it settle, then samples its CPU time (utime + stime
   from /proc) and RSS over ``--seconds``;
3. prints the query plans of the statements the scheduler runs while idle.

Usage::

    uv run --frozen python bench/idle.py --n 100000 --seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.dialects import sqlite

from agentcron.bootstrap import build_service
from agentcron.config import Settings
from agentcron.store import SqlStore
from agentcron.store.runs import next_start_query
from agentcron.store.tasks import due_query, next_due_query
from serve_process import cpu_seconds, memory_mb, start_serve


async def create_tasks(url: str, n: int) -> float:
    store = SqlStore(url)
    await store.migrate()
    service = build_service(Settings(timezone="UTC", max_active_tasks=n + 10), store)
    await service.ensure_user("local", timezone="UTC")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    spread = 29 * 86_400 / max(n, 1)
    began = time.perf_counter()
    for first in range(0, n, 5000):
        await service.create_many(
            "local",
            [
                {
                    "title": f"idle {i}",
                    "when": (start + timedelta(seconds=int(i * spread))).isoformat(),
                    "payload": {"message": f"m{i}"},
                }
                for i in range(first, min(n, first + 5000))
            ],
        )
    elapsed = time.perf_counter() - began
    await store.close()
    return elapsed


def query_plans(database_file: Path) -> list[str]:
    """SQLite's plans for the scheduler's own statements (compiled from agentcron.engine)."""
    now = datetime.now(UTC)
    statements = {
        "lock due tasks": due_query(now, 500),
        "next task occurrence": next_due_query(),
        "next waiting run": next_start_query(now),
    }
    lines = []
    dialect = sqlite.dialect()
    with sqlite3.connect(database_file) as connection:
        for name, statement in statements.items():
            sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
            plan = connection.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()
            lines.append(f"{name}: " + " | ".join(row[-1] for row in plan))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--settle", type=float, default=5.0)
    options = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="agentcron-idle-"))
    database_file = workdir / "agentcron.db"
    created = asyncio.run(create_tasks(f"sqlite:///{database_file}", options.n))
    print(f"created {options.n} tasks in {created:.1f} s")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCRON_")}
    env |= {"AGENTCRON_HOME": str(workdir), "AGENTCRON_TIMEZONE": "UTC"}
    serve = start_serve(env, workdir / "serve.log")
    try:
        time.sleep(options.settle)
        cpu_before, wall_before = cpu_seconds(serve.pid), time.monotonic()
        samples = []
        while time.monotonic() - wall_before < options.seconds:
            time.sleep(1)
            samples.append(memory_mb(serve.pid, "VmRSS"))
        cpu = cpu_seconds(serve.pid) - cpu_before
        wall = time.monotonic() - wall_before
    finally:
        serve.terminate()
        serve.wait(30)
    print(f"idle for {wall:.0f} s with {options.n} active tasks:")
    print(f"  CPU: {cpu:.2f} s = {100 * cpu / wall:.3f} % of one core")
    print(f"  RSS: max {max(samples):.1f} MB, last {samples[-1]:.1f} MB")
    for line in query_plans(database_file):
        print(f"  plan, {line}")


if __name__ == "__main__":
    main()
