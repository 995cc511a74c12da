"""Create-rate benchmark: tasks created one ``TaskService.create`` call at a time, per second.

Every task is a one-off reminder due an hour ahead (``{"title": ..., "when": <ISO instant>,
"payload": {"message": ...}}``), created by its own ``create`` call, hence its own
transaction, on a service built like the front doors build it (``open_store`` and
``build_service``: the change signal included). Rows, each measured ``--reps`` times in a
fresh store, interleaved repetition by repetition:

- ``sqlite``: the embedded store (a SQLite file in a temporary folder), one caller;
- ``postgresql``: a private schema on ``--pg-url`` (default: AGENTCRON_BENCH_PG, else
  postgresql://postgres@127.0.0.1:5432/test), created and dropped here, with ``--callers``
  (default 20) concurrent callers sharing one service (``asyncio.gather``); ``--backend
  both`` measures the two stores in one run;
- ``--with-serve``: the service row without an ``agentcron serve`` process on the store,
  with one (started and ready before the clock starts: it wakes on every change and
  competes for the store, the realistic case), or both rows (the default);
- a floor, in the same run: as many bare ``INSERT``s of a task row through SQLAlchemy Core
  on the same kind of store and the same connection pool (the store's engine), one
  transaction each, by as many callers: what the service's rules are added on top of.

``--warmup`` calls per row (spread over the callers, not counted) open the connections
first; each row then checks that the store holds every task it created. The rate of a
repetition is N divided by the wall time of its N calls; each row reports the median, min
and max of those rates, and the per-call latency (median over repetitions of each
repetition's p50 and p99).

Usage::

    uv run --frozen python bench/create_rate.py [--n 5000] [--reps 5] [--json out.json]
    uv run --frozen python bench/create_rate.py --backend postgresql --callers 20
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Connection, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from agentcron.bootstrap import build_service, open_store
from agentcron.config import Settings
from agentcron.store.database import async_url
from agentcron.store.models import tasks as TASKS
from machine import heading, load_average, machine_info, summary, target_lines, write_json
from serve_process import percentile, start_serve

PG_SERVER = os.environ.get("AGENTCRON_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
TARGET_PER_S = 1000.0
OWNER = "local"


@dataclass
class Rep:
    rate_per_s: float
    elapsed_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float


@dataclass
class Row:
    key: str
    label: str
    backend: str
    kind: str  # "service" or "insert"
    serve: bool
    callers: int
    reps: list[Rep] = field(default_factory=list)

    @property
    def rates(self) -> list[float]:
        return [rep.rate_per_s for rep in self.reps]

    @property
    def median(self) -> float:
        return statistics.median(self.rates)

    def latency(self, name: str) -> float:
        return statistics.median(float(getattr(rep, name)) for rep in self.reps)

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "backend": self.backend,
            "kind": self.kind,
            "serve": self.serve,
            "callers": self.callers,
            "unit": "tasks/s",
            **summary(self.rates),
            "samples": self.rates,
            "reps": [asdict(rep) for rep in self.reps],
        }


# --- stores ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fresh:
    """A fresh, empty store: its folder (AGENTCRON_HOME) and, on PostgreSQL, its URL."""

    home: Path
    url: str | None

    def settings(self, n: int) -> Settings:
        return Settings(
            timezone="UTC", home=self.home, database_url=self.url, max_active_tasks=n + 1000
        )

    def serve_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCRON_")}
        env |= {"AGENTCRON_HOME": str(self.home), "AGENTCRON_TIMEZONE": "UTC"}
        if self.url is not None:
            env["AGENTCRON_DATABASE_URL"] = self.url
        return env


@contextmanager
def fresh_store(backend: str, pg_url: str) -> Iterator[Fresh]:
    home = Path(tempfile.mkdtemp(prefix="agentcron-create-"))
    schema = None
    try:
        if backend == "sqlite":
            yield Fresh(home, None)
        else:
            schema = f"agentcron_bench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(pg_url, autocommit=True) as connection:
                connection.execute(f'CREATE SCHEMA "{schema}"')
            yield Fresh(home, f"{pg_url}?options=-csearch_path%3D{schema}")
    finally:
        if schema is not None:
            with psycopg.connect(pg_url, autocommit=True) as connection:
                connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
        shutil.rmtree(home, ignore_errors=True)


async def prepare(settings: Settings) -> None:
    """Migrate the store and create its one owner (what the first CLI command would do)."""
    store = open_store(settings)
    try:
        await store.migrate()
        await build_service(settings, store).ensure_user(OWNER, timezone="UTC")
    finally:
        await store.close()


# --- timed work ------------------------------------------------------------------------------


def reminder(title: str) -> dict[str, Any]:
    due = datetime.now(UTC) + timedelta(hours=1)
    return {"title": title, "when": due.isoformat(), "payload": {"message": f"{title}!"}}


async def drive(
    count: int, callers: int, one: Callable[[int], Awaitable[None]]
) -> tuple[float, list[float]]:
    """``count`` calls of ``one`` by ``callers`` concurrent loops: the wall time of them all
    and each call's latency, in seconds."""
    numbers = itertools.count()
    latencies: list[float] = []

    async def caller() -> None:
        while (number := next(numbers)) < count:
            began = time.perf_counter()
            await one(number)
            latencies.append(time.perf_counter() - began)

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(min(callers, count))))
    return time.perf_counter() - started, latencies


async def timed_creates(settings: Settings, n: int, callers: int, warmup: int) -> Rep:
    store = open_store(settings)
    service = build_service(settings, store)

    async def create(number: int) -> None:
        await service.create(OWNER, reminder(f"rate {number}"))

    async def warm(number: int) -> None:
        await service.create(OWNER, reminder(f"warm-up {number}"))

    try:
        await store.migrate()  # as every front door does first: here, one read
        await drive(warmup, callers, warm)
        elapsed, latencies = await drive(n, callers, create)
        await expect_tasks(store.engine, n + warmup)
    finally:
        await store.close()
    return summarize(n, elapsed, latencies)


async def timed_inserts(settings: Settings, n: int, callers: int, warmup: int) -> Rep:
    """Bare INSERTs of a row copied from one task the service created (so every column
    holds what the service would write), each in its own transaction on the store's engine.

    Statements run through ``run_sync`` on the engine's async connections: that works with
    whichever driver the store uses, whether it awaits (aiosqlite, psycopg) or not."""
    store = open_store(settings)
    engine = store.engine
    try:
        await store.migrate()
        await build_service(settings, store).create(OWNER, reminder("template"))
        async with engine.connect() as connection:
            template = await connection.run_sync(
                lambda sync: dict(sync.execute(select(TASKS)).mappings().one())
            )
        del template["id"]

        def row(title: str) -> dict[str, Any]:
            now = datetime.now(UTC)
            return template | {
                "title": title,
                "payload": {"message": f"{title}!"},
                "next_run_at": now + timedelta(hours=1),
                "created_at": now,
                "updated_at": now,
            }

        async def insert_row(title: str) -> None:
            values = row(title)
            async with engine.begin() as connection:
                await connection.run_sync(lambda sync: sync.execute(insert(TASKS), values))

        async def insert_one(number: int) -> None:
            await insert_row(f"insert {number}")

        async def warm(number: int) -> None:
            await insert_row(f"warm-up {number}")

        await drive(warmup, callers, warm)
        elapsed, latencies = await drive(n, callers, insert_one)
        await expect_tasks(engine, n + warmup + 1)
    finally:
        await store.close()
    return summarize(n, elapsed, latencies)


def count_tasks(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(TASKS)).scalar_one())


async def expect_tasks(engine: AsyncEngine, expected: int) -> None:
    async with engine.connect() as connection:
        count = await connection.run_sync(count_tasks)
    if count != expected:
        raise SystemExit(f"the store holds {count} tasks, expected {expected}")


def summarize(n: int, elapsed: float, latencies: list[float]) -> Rep:
    milliseconds = [value * 1000 for value in latencies]
    return Rep(
        rate_per_s=n / elapsed,
        elapsed_s=elapsed,
        p50_ms=percentile(milliseconds, 0.5),
        p99_ms=percentile(milliseconds, 0.99),
        max_ms=max(milliseconds),
    )


def run_rep(row: Row, n: int, warmup: int, pg_url: str) -> Rep:
    with fresh_store(row.backend, pg_url) as fresh:
        settings = fresh.settings(n)
        asyncio.run(prepare(settings))
        if row.kind == "insert":
            return asyncio.run(timed_inserts(settings, n, row.callers, warmup))
        if not row.serve:
            return asyncio.run(timed_creates(settings, n, row.callers, warmup))
        log = fresh.home / "serve.log"
        serve = start_serve(fresh.serve_env(), log)
        try:
            rep = asyncio.run(timed_creates(settings, n, row.callers, warmup))
            if serve.poll() is not None:
                raise SystemExit(f"agentcron serve stopped during the run:\n{log.read_text()}")
            return rep
        finally:
            serve.terminate()
            serve.wait(30)


# --- report ----------------------------------------------------------------------------------


def build_rows(backends: list[str], with_serve: str, callers: int | None) -> list[Row]:
    rows = []
    for backend in backends:
        count = callers or (1 if backend == "sqlite" else 20)
        who = f"{count} caller" + ("s" if count > 1 else "")
        rows.append(
            Row(
                f"{backend}:insert",
                f"{backend}, bare INSERT (floor), {who}",
                backend,
                "insert",
                False,
                count,
            )
        )
        for serve in {"no": [False], "yes": [True], "both": [False, True]}[with_serve]:
            rows.append(
                Row(
                    f"{backend}:create" + (":serve" if serve else ""),
                    f"{backend}, TaskService.create, {who}, "
                    + ("with agentcron serve" if serve else "no serve"),
                    backend,
                    "service",
                    serve,
                    count,
                )
            )
    return rows


def evaluate_targets(rows: list[Row]) -> list[tuple[str, bool]]:
    return [
        (
            f"{row.label}: median {row.median:,.0f} tasks/s >= {TARGET_PER_S:,.0f} tasks/s",
            row.median >= TARGET_PER_S,
        )
        for row in rows
        if row.kind == "service"
    ]


def render(
    *,
    rows: list[Row],
    targets: list[tuple[str, bool]],
    info: dict[str, str],
    n: int,
    reps: int,
    warmup: int,
) -> str:
    lines = heading("create rate", info)
    lines += [
        f"- {n:,} tasks per repetition (after {warmup} warm-up calls), {reps} repetitions, "
        "each in a fresh store",
        "",
        "| Row | tasks/s median | min | max | per call p50 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.label} | {row.median:,.0f} | {min(row.rates):,.0f} | {max(row.rates):,.0f} "
            f"| {row.latency('p50_ms'):.2f} | {row.latency('p99_ms'):.2f} |"
        )
    floors = {row.backend: row for row in rows if row.kind == "insert"}
    lines += ["", "Service against its floor (ratio of median rates):"]
    for row in rows:
        if row.kind == "service":
            floor = floors[row.backend]
            lines.append(
                f"- {row.label}: {row.median / floor.median:.0%} of the bare INSERT rate, "
                f"{1000 / row.median - 1000 / floor.median:.2f} ms more per task"
            )
    lines += target_lines(targets)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--backend", choices=["sqlite", "postgresql", "both"], default="sqlite", help="the store"
    )
    parser.add_argument("--n", type=int, default=5000, help="tasks created per repetition")
    parser.add_argument("--reps", type=int, default=5, help="repetitions, each in a fresh store")
    parser.add_argument(
        "--with-serve",
        choices=["no", "yes", "both"],
        default="both",
        help="service rows without and/or with an agentcron serve on the store",
    )
    parser.add_argument(
        "--callers",
        type=int,
        help="concurrent callers sharing one service (default: 1 on sqlite, 20 on postgresql)",
    )
    parser.add_argument("--warmup", type=int, default=20, help="uncounted calls before each row")
    parser.add_argument("--pg-url", default=PG_SERVER, help="the PostgreSQL server (a database)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results here")
    parser.add_argument("--strict", action="store_true", help="exit with 1 when a target fails")
    args = parser.parse_args(argv)
    if args.n < 1 or args.reps < 1 or args.warmup < 0:
        parser.error("--n and --reps must be at least 1, --warmup at least 0")
    if args.callers is not None and args.callers < 1:
        parser.error("--callers must be at least 1")

    for name in [name for name in os.environ if name.startswith("AGENTCRON_")]:
        del os.environ[name]  # the caller's configuration must not reach these stores
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    rows = build_rows(backends, args.with_serve, args.callers)
    info = machine_info(
        ("agentcron", "sqlalchemy", "psycopg"),
        sqlite_driver=async_url("sqlite:///agentcron.db").drivername,
        postgresql_driver=async_url("postgresql://localhost/test").drivername,
    )
    for rep in range(args.reps):
        for row in rows:
            print(f"repetition {rep + 1}: {row.label}", file=sys.stderr, flush=True)
            row.reps.append(run_rep(row, args.n, args.warmup, args.pg_url))
            print(f"  {row.reps[-1].rate_per_s:,.0f} tasks/s", file=sys.stderr, flush=True)
    info["load_average_at_end"] = load_average()
    targets = evaluate_targets(rows)
    print(
        render(rows=rows, targets=targets, info=info, n=args.n, reps=args.reps, warmup=args.warmup)
    )
    if args.json is not None:
        write_json(
            args.json,
            info=info,
            settings={
                "n": args.n,
                "reps": args.reps,
                "warmup": args.warmup,
                "backends": backends,
                "with_serve": args.with_serve,
                "pg_server": args.pg_url if "postgresql" in backends else None,
            },
            results={row.key: row.as_json() for row in rows},
            targets=targets,
        )
    return 1 if args.strict and not all(ok for _, ok in targets) else 0


if __name__ == "__main__":
    sys.exit(main())
