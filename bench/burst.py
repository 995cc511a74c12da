"""Burst benchmark: N reminder tasks all due at the same instant, fired by ``agentcron serve``.

Each trial uses a fresh store and a fresh ``agentcron serve`` process:

1. the harness creates N one-off reminder tasks due at ``T0 + delay`` (one transaction);
2. it starts ``agentcron serve`` and waits for it to be ready (it then sleeps until due);
3. it polls the store until every task has a succeeded run (or a timeout);
4. figures come from the runs themselves: lateness = started_at - scheduled_for, at
   p50/p99/max (and min: negative would mean early); time from due to the last run
   finished; runs per second over that time; peak RSS of the serve process (VmHWM);
   and, seen from outside, the time from due until the harness first counted every
   run succeeded in the store (polled every 20 ms, so an upper bound).

Usage::

    uv run --frozen python bench/burst.py --n 10000 --reps 3
    uv run --frozen python bench/burst.py --n 1 --reps 7            # a single task alone
    uv run --frozen python bench/burst.py --n 2000 --store postgresql --reps 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agentcron.bootstrap import build_service
from agentcron.config import Settings
from agentcron.domain import RunStatus
from agentcron.store import SqlStore
from agentcron.store.models import runs as RUNS
from serve_process import memory_mb, percentile, start_serve

PG_SERVER = os.environ.get("AGENTCRON_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass
class Trial:
    n: int
    store: str
    concurrency: int
    create_s: float
    succeeded: int
    runs: int
    lateness_min_ms: float
    lateness_p50_ms: float
    lateness_p99_ms: float
    lateness_max_ms: float
    due_to_last_finish_s: float
    due_to_all_recorded_s: float
    runs_per_s: float
    peak_rss_mb: float


async def create_tasks(url: str, n: int, due: datetime) -> float:
    settings = Settings(timezone="UTC", max_active_tasks=n + 10)
    store = SqlStore(url)
    await store.migrate()
    service = build_service(settings, store)
    await service.ensure_user("local", timezone="UTC")
    started = time.perf_counter()
    batch = 2000
    for first in range(0, n, batch):
        await service.create_many(
            "local",
            [
                {"title": f"burst {i}", "when": due.isoformat(), "payload": {"message": f"m{i}"}}
                for i in range(first, min(n, first + batch))
            ],
        )
    elapsed = time.perf_counter() - started
    await store.close()
    return elapsed


async def collect(url: str) -> tuple[int, int, list[float], datetime | None, datetime | None]:
    store = SqlStore(url)
    async with AsyncSession(store.engine) as session:
        runs = int(await session.scalar(select(func.count()).select_from(RUNS)) or 0)
        rows = (
            await session.execute(
                select(RUNS.c.scheduled_for, RUNS.c.started_at, RUNS.c.finished_at).where(
                    RUNS.c.status == RunStatus.SUCCEEDED
                )
            )
        ).all()
    await store.close()
    lateness = [(started - due).total_seconds() * 1000 for due, started, _ in rows]
    last = max((finished for _, _, finished in rows), default=None)
    due = rows[0][0] if rows else None
    return runs, len(rows), lateness, due, last


async def succeeded_count(url: str) -> int:
    store = SqlStore(url)
    async with AsyncSession(store.engine) as session:
        count = await session.scalar(
            select(func.count()).select_from(RUNS).where(RUNS.c.status == RunStatus.SUCCEEDED)
        )
    await store.close()
    return int(count or 0)


def run_trial(
    n: int, store: str, concurrency: int, delay: float, log_level: str | None = None
) -> Trial:
    workdir = Path(tempfile.mkdtemp(prefix="agentcron-burst-"))
    schema = None
    if store == "sqlite":
        url = f"sqlite:///{workdir / 'agentcron.db'}"
    else:
        schema = f"agentcron_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_SERVER, autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA "{schema}"')
        url = f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    try:
        due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=delay)
        create_s = asyncio.run(create_tasks(url, n, due))
        if datetime.now(UTC) > due - timedelta(seconds=2):
            raise SystemExit(f"creating {n} tasks took {create_s:.1f} s; use a larger --delay")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCRON_")}
        env |= {
            "AGENTCRON_HOME": str(workdir),
            "AGENTCRON_TIMEZONE": "UTC",
            "AGENTCRON_CONCURRENCY": str(concurrency),
        }
        if store != "sqlite":
            env["AGENTCRON_DATABASE_URL"] = url
        if log_level:
            env["AGENTCRON_LOG_LEVEL"] = log_level
            print(f"serve log: {workdir / 'serve.log'}", flush=True)
        serve = start_serve(env, workdir / "serve.log")
        deadline = due + timedelta(seconds=120)
        while datetime.now(UTC) < deadline and asyncio.run(succeeded_count(url)) < n:
            time.sleep(0.02)
        recorded = (datetime.now(UTC) - due).total_seconds()
        peak = memory_mb(serve.pid)
        serve.terminate()
        serve.wait(30)
        runs, succeeded, lateness, first_due, last = asyncio.run(collect(url))
        span = (last - first_due).total_seconds() if last and first_due else float("nan")
        return Trial(
            n=n,
            store=store,
            concurrency=concurrency,
            create_s=round(create_s, 3),
            succeeded=succeeded,
            runs=runs,
            lateness_min_ms=round(min(lateness), 1),
            lateness_p50_ms=round(percentile(lateness, 0.5), 1),
            lateness_p99_ms=round(percentile(lateness, 0.99), 1),
            lateness_max_ms=round(max(lateness), 1),
            due_to_last_finish_s=round(span, 3),
            due_to_all_recorded_s=round(recorded, 3),
            runs_per_s=round(succeeded / span, 1) if span > 0 else float("nan"),
            peak_rss_mb=round(peak, 1),
        )
    finally:
        if schema is not None:
            with psycopg.connect(PG_SERVER, autocommit=True) as connection:
                connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--store", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds from creation to due")
    parser.add_argument("--json", type=Path, help="append each trial as a JSON line")
    parser.add_argument("--log-level", help="serve's log level (DEBUG shows each take and write)")
    options = parser.parse_args()
    delay = options.delay or max(6.0, 4.0 + options.n / 2000)
    trials = []
    for rep in range(options.reps):
        trial = run_trial(options.n, options.store, options.concurrency, delay, options.log_level)
        trials.append(trial)
        print(f"trial {rep + 1}: {json.dumps(asdict(trial))}", flush=True)
        if options.json:
            with options.json.open("a") as out:
                out.write(json.dumps(asdict(trial)) + "\n")
    fields = [f for f in asdict(trials[0]) if f not in ("n", "store", "concurrency")]
    print(
        f"\nmedians of {len(trials)} trials, N={options.n}, {options.store}, "
        f"concurrency {options.concurrency}:"
    )
    for name in fields:
        values = [getattr(t, name) for t in trials]
        print(f"  {name}: {statistics.median(values)}  (runs: {values})")


if __name__ == "__main__":
    main()
