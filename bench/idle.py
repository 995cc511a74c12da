"""Idle benchmark: many active tasks, none due while measured, embedded or distributed.

1. creates N one-off reminder tasks due one to thirty days ahead (through
   ``TaskService.create_many``, 5,000 per call): in a SQLite file (``--shape embedded``) or
   in a private schema of PostgreSQL's ``test`` database (``--shape distributed``);
2. starts ``agentcron serve``, or one ``agentcron scheduler`` and one ``agentcron worker``
   (Celery over Redis, ``AGENTCRON_BENCH_BROKER``, db 9 by default), lets them settle, then
   samples each process's CPU time (utime + stime from /proc) and RSS over ``--seconds``,
   ``--reps`` times in a row;
3. prints the query plans of the statements the scheduler runs while idle: SQLite's
   ``EXPLAIN QUERY PLAN``, or PostgreSQL's ``EXPLAIN (ANALYZE, BUFFERS)`` of the statements
   the store's repositories send, captured as they are sent (rolled back); exits with
   status 1 if one of PostgreSQL's plans reads tasks or runs in full (a Seq Scan).

Usage::

    uv run --frozen python bench/idle.py --n 100000 --seconds 60
    uv run --frozen python bench/idle.py --shape distributed --n 1000000 --seconds 60 --reps 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import event
from sqlalchemy.dialects import sqlite

from agentcron.abc import Repositories
from agentcron.bootstrap import build_service
from agentcron.config import Settings
from agentcron.store import SqlStore
from agentcron.store.runs import next_start_query
from agentcron.store.tasks import due_query, next_due_query
from serve_process import agentcron_processes, cpu_seconds, memory_mb, store_url

SEQ_SCAN = re.compile(r"Seq Scan on (tasks|runs)\b")


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


def sqlite_plans(database_file: Path) -> list[str]:
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


class _RolledBack(Exception):
    """Ends the transaction the idle statements were captured in, undone."""


def idle_calls(
    settings: Settings, now: datetime
) -> dict[str, Callable[[Repositories], Awaitable[Any]]]:
    """What a distributed scheduler asks the store while nothing is due: its pass (due
    tasks, lapsed leases, the outbox), its sleep (the next occurrence, the next run to hand
    over, the next lease to expire) and the upkeep; with the embedded sweep's next start."""
    ahead = now + timedelta(seconds=settings.lookahead_seconds)
    stale = now - timedelta(seconds=settings.redispatch_after_seconds)
    return {
        "lock due tasks (tasks.lock_due)": lambda s: s.tasks.lock_due(ahead, 500),
        "next task occurrence (tasks.next_due)": lambda s: s.tasks.next_due(),
        "next lease expiry (runs.next_lease_expiry)": lambda s: s.runs.next_lease_expiry(),
        "runs to hand over (handover.to_dispatch)": lambda s: s.handover.to_dispatch(
            now, ahead, settings.run_message_size * 10
        ),
        "next run to hand over (handover.next_dispatch)": lambda s: s.handover.next_dispatch(now),
        "next waiting run (runs.next_start)": lambda s: s.runs.next_start(now),
        "upkeep: lapsed reservations (handover.release_lapsed)": lambda s: (
            s.handover.release_lapsed(now)
        ),
        "upkeep: runs not taken (handover.stale)": lambda s: s.handover.stale(now, stale),
    }


async def captured_statements(url: str) -> list[tuple[str, str, Any]]:
    """Each idle call's SQL and parameters, as the store sends them to PostgreSQL."""
    store = SqlStore(url)
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    event.listen(store.engine.sync_engine, "before_cursor_execute", capture)
    calls = idle_calls(Settings(), datetime.now(UTC))
    found = []
    try:
        async with store.transaction() as repositories:
            for name, call in calls.items():
                sent.clear()
                await call(repositories)
                found += [(name, sql, parameters) for sql, parameters in sent]
            raise _RolledBack
    except _RolledBack:
        pass
    finally:
        await store.close()
    return found


def postgres_plans(url: str) -> tuple[list[str], list[str]]:
    """PostgreSQL's EXPLAIN (ANALYZE, BUFFERS) of each idle statement (in a transaction
    rolled back), and the names of those whose plan reads tasks or runs in full."""
    lines, full_scans = [], []
    with psycopg.connect(url) as connection:
        for name, sql, parameters in asyncio.run(captured_statements(url)):
            if not re.match(r"\s*(SELECT|UPDATE|DELETE|INSERT)", sql, re.IGNORECASE):
                continue
            rows = connection.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", parameters).fetchall()
            connection.rollback()
            plan = "\n".join(f"      {row[0]}" for row in rows)
            lines.append(f"{name}:\n{plan}")
            if SEQ_SCAN.search(plan):
                full_scans.append(name)
        stats = connection.execute(
            "SELECT relname, n_live_tup, last_analyze, last_autoanalyze FROM pg_stat_user_tables"
            " WHERE relname IN ('tasks', 'runs') AND schemaname = current_schema()"
        ).fetchall()
    lines += [
        f"statistics of {row[0]}: {row[1]} rows, analyzed {row[2] or row[3]}" for row in stats
    ]
    return lines, full_scans


def sample(pids: dict[str, int], seconds: float) -> dict[str, tuple[float, float, float]]:
    """Each process's share of one core over ``seconds``, and its max and last RSS (MB)."""
    cpu_before, wall_before = {n: cpu_seconds(p) for n, p in pids.items()}, time.monotonic()
    rss: dict[str, list[float]] = {name: [] for name in pids}
    while time.monotonic() - wall_before < seconds:
        time.sleep(1)
        for name, pid in pids.items():
            rss[name].append(memory_mb(pid, "VmRSS"))
    wall = time.monotonic() - wall_before
    return {
        name: ((cpu_seconds(pid) - cpu_before[name]) / wall, max(rss[name]), rss[name][-1])
        for name, pid in pids.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shape", choices=["embedded", "distributed"], default="embedded")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--reps", type=int, default=1, help="windows of --seconds, in a row")
    parser.add_argument("--settle", type=float, default=None, help="default: 5 s, 10 s")
    options = parser.parse_args()
    settle = options.settle or (5.0 if options.shape == "embedded" else 10.0)
    workdir = Path(tempfile.mkdtemp(prefix="agentcron-idle-"))
    with store_url(options.shape, workdir) as url:
        created = asyncio.run(create_tasks(url, options.n))
        print(f"created {options.n} tasks in {created:.1f} s", flush=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCRON_")}
        env |= {"AGENTCRON_HOME": str(workdir), "AGENTCRON_TIMEZONE": "UTC"}
        with agentcron_processes(options.shape, env, url, workdir) as pids:
            time.sleep(settle)
            windows = []
            for rep in range(options.reps):
                windows.append(sample(pids, options.seconds))
                figures = ", ".join(
                    f"{name} {100 * cpu:.3f} % CPU, RSS {last:.1f} MB"
                    for name, (cpu, _, last) in windows[-1].items()
                )
                print(f"window {rep + 1}: {figures}", flush=True)
        if options.shape == "embedded":
            plans, full_scans = sqlite_plans(workdir / "agentcron.db"), list[str]()
        else:
            plans, full_scans = postgres_plans(url)
    print(f"idle for {options.reps} x {options.seconds:.0f} s with {options.n} active tasks:")
    for name in pids:
        shares = [100 * window[name][0] for window in windows]
        print(
            f"  {name}: CPU median {statistics.median(shares):.3f} % of one core "
            f"(windows: {', '.join(f'{s:.3f}' for s in shares)}); "
            f"RSS max {max(w[name][1] for w in windows):.1f} MB, "
            f"last {windows[-1][name][2]:.1f} MB"
        )
    for line in plans:
        print(f"  plan, {line}")
    if full_scans:
        raise SystemExit(f"a Seq Scan on tasks or runs in: {', '.join(full_scans)}")


if __name__ == "__main__":
    main()
