"""Notification burst: N reminders due at one instant, each told on a json:// channel to a
local receiver, beside the same N notifications sent with no store, and beside the same
burst with no channel.

Each repetition:

1. the receiver (``http_burst.py --receive``: asyncio on 127.0.0.1, HTTP/1.1 keep-alive,
   ``200 ok`` at once) counts requests and notes when the first and the last arrived;
2. baselines, no store: N JSON documents POSTed from one shared aiohttp session through a
   semaphore of ``--concurrency`` (the client agentcron sends webhooks with), and
   ``--apprise-n`` notifications through a bare loop over Apprise's ``async_notify`` to the
   same json:// URL (Apprise's JSON plugin opens one connection per message; its time for
   N is scaled from ``--apprise-n``, which defaults to N);
3. agentcron with a channel: a fresh SQLite store, one person whose default channel is the
   json:// receiver, N one-off reminders due at ``T0 + --delay``; ``agentcron serve``; the
   harness waits until every delivery is sent, then reads the runs (lateness = started -
   due) and the receiver's counts: due -> last delivery received;
4. the same burst with no channel: the lateness it has without deliveries.

Loopback only. Figures are medians over ``--reps`` repetitions; the report is markdown.

Usage::

    uv run --frozen python bench/notify_burst.py --n 10000 --reps 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from agentcron.bootstrap import build_service
from agentcron.cli.serve import fast_event_loop
from agentcron.config import Settings
from agentcron.domain import DeliveryStatus, RunStatus
from agentcron.store import SqlStore
from http_burst import read_runs, receiver
from machine import heading, load_average, machine_info, target_lines
from serve_process import cpu_seconds, memory_mb, percentile, start_serve

DOCUMENT = {"version": "1.0", "title": "t", "message": "m", "attachments": [], "type": "info"}


# baselines, no store


async def bare_posts(url: str, n: int, concurrency: int) -> float:
    """N JSON POSTs from one shared aiohttp session: seconds from the first to the last."""
    limit = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:
        async with session.post(url, data=json.dumps(DOCUMENT)) as warm:
            warm.raise_for_status()

        async def one(i: int) -> None:
            body = json.dumps(DOCUMENT | {"message": f"m{i}"})
            async with limit, session.post(url, data=body) as response:
                response.raise_for_status()

        began = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        return time.perf_counter() - began


async def bare_apprise(url: str, n: int, concurrency: int) -> float:
    """N notifications through a bare loop over Apprise: seconds from the first to the last."""
    import apprise

    sender = apprise.Apprise()
    sender.add(url.replace("http://", "json://"))
    await sender.async_notify(body="warm up", title="t")
    limit = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with limit:
            if not await sender.async_notify(body=f"m{i}", title="t"):
                raise SystemExit("Apprise failed to notify the local receiver")

    began = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    return time.perf_counter() - began


def run_baselines(n: int, apprise_n: int, concurrency: int) -> dict[str, float]:
    with receiver() as (url, counts), asyncio.Runner(loop_factory=fast_event_loop()) as runner:
        posts = runner.run(bare_posts(url, n, concurrency))
    with receiver() as (url, apprise_counts), asyncio.Runner() as runner:
        apprise_s = runner.run(bare_apprise(url, apprise_n, concurrency))
    return {
        "aiohttp_s": posts,
        "aiohttp_received": counts["requests"] - 1,
        "apprise_s": apprise_s * n / apprise_n,
        "apprise_measured_n": apprise_n,
        "apprise_received": apprise_counts["requests"] - 1,
    }


# agentcron


async def create_tasks(database: str, hook: str | None, n: int, due: datetime) -> None:
    settings = Settings(timezone="UTC", max_active_tasks=n + 10)
    store = SqlStore(database)
    await store.migrate()
    service = build_service(settings, store)
    await service.ensure_user("local", timezone="UTC")
    if hook is not None:
        await service.notifications.add_channel("local", "hook", hook, default=True)
    for first in range(0, n, 2000):
        await service.create_many(
            "local",
            [
                {"title": f"burst {i}", "when": due.isoformat(), "payload": {"message": f"m{i}"}}
                for i in range(first, min(n, first + 2000))
            ],
        )
    await store.close()


def done_count(database: Path, told: bool) -> int:
    """Deliveries sent (or, with no channel, runs succeeded), read with the standard library:
    polling must cost serve's machine little."""
    with closing(sqlite3.connect(database)) as connection:
        if told:
            query = "SELECT count(*) FROM deliveries WHERE status = ?"
            (count,) = connection.execute(query, (DeliveryStatus.SENT.value,)).fetchone()
        else:
            query = "SELECT count(*) FROM runs WHERE status = ?"
            (count,) = connection.execute(query, (RunStatus.SUCCEEDED.value,)).fetchone()
    return int(count)


def delivery_counts(database: Path) -> dict[str, int]:
    with closing(sqlite3.connect(database)) as connection:
        rows = connection.execute("SELECT status, count(*) FROM deliveries GROUP BY status")
        return {str(status): int(count) for status, count in rows}


def run_agentcron(n: int, concurrency: int, delay: float, told: bool) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="agentcron-notify-burst-"))
    database = workdir / "agentcron.db"
    with receiver() as (url, counts):
        hook = url.replace("http://", "json://") if told else None
        due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=delay)
        asyncio.run(create_tasks(f"sqlite:///{database}", hook, n, due))
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCRON_")}
        env |= {
            "AGENTCRON_HOME": str(workdir),
            "AGENTCRON_TIMEZONE": "UTC",
            "AGENTCRON_CONCURRENCY": str(concurrency),
        }
        serve = start_serve(env, workdir / "serve.log")
        if datetime.now(UTC) > due - timedelta(seconds=0.5):
            raise SystemExit("serve was not ready before the tasks were due; use a larger --delay")
        time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
        cpu_before = cpu_seconds(serve.pid)
        deadline = time.monotonic() + 180
        while done_count(database, told) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        cpu = cpu_seconds(serve.pid) - cpu_before
        peak = memory_mb(serve.pid)
        serve.terminate()
        serve.wait(30)
    runs = read_runs(database)
    done = [r for r in runs if r.status == RunStatus.SUCCEEDED and r.started_at]
    deliveries = delivery_counts(database)
    lateness = [
        (r.started_at - r.scheduled_for).total_seconds() * 1000 for r in done if r.started_at
    ]
    last_finish = max((r.finished_at for r in done if r.finished_at), default=None)
    received_all = counts.get("last_at", 0.0) - due.timestamp() if told else float("nan")
    ok = len(done) == n and (not told or deliveries.get("sent", 0) == n)
    if ok:
        shutil.rmtree(workdir)  # kept, with serve.log, only when something went wrong
    else:
        print(f"kept {workdir} for a look: {len(done)} runs, {deliveries}", file=sys.stderr)
    return {
        "due_to_last_received_s": received_all,
        "due_to_last_run_s": (last_finish - due).total_seconds() if last_finish else float("nan"),
        "lateness_p50_ms": percentile(lateness, 0.5),
        "lateness_p99_ms": percentile(lateness, 0.99),
        "cpu_ms": cpu * 1000 / n,
        "peak_rss_mb": peak,
        "succeeded": len(done),
        "sent": deliveries.get("sent", 0),
        "other_deliveries": sum(v for k, v in deliveries.items() if k != "sent"),
        "received": counts["requests"],
        "connections": counts["connections"],
    }


# the report


def median(trials: list[dict[str, Any]], name: str) -> float:
    return float(statistics.median(t[name] for t in trials))


def each(trials: list[dict[str, Any]], name: str, digits: int) -> str:
    return ", ".join(f"{t[name]:.{digits}f}" for t in trials)


def cell(trials: list[dict[str, Any]], name: str, unit: str, digits: int) -> str:
    return f"{median(trials, name):.{digits}f}{unit} ({each(trials, name, digits)})"


def ratios(top: list[dict[str, Any]], name: str, bottom: list[dict[str, Any]], under: str) -> str:
    values = [t[name] / b[under] for t, b in zip(top, bottom, strict=True)]
    return f"{statistics.median(values):.2f} ({', '.join(f'{v:.2f}' for v in values)})"


def render(
    info: dict[str, str],
    options: argparse.Namespace,
    told: list[dict[str, Any]],
    quiet: list[dict[str, Any]],
    bare: list[dict[str, Any]],
) -> str:
    def pair(name: str, unit: str, digits: int) -> str:
        return f"{cell(told, name, unit, digits)} / {cell(quiet, name, unit, digits)}"

    scaled = f"scaled from {bare[0]['apprise_measured_n']:,}"
    rows = [
        ("agentcron: due -> last delivery received",
         f"**{cell(told, 'due_to_last_received_s', ' s', 3)}**"),
        ("bare aiohttp loop, no store: first -> last POST", cell(bare, "aiohttp_s", " s", 3)),
        ("ratio agentcron / bare aiohttp",
         ratios(told, "due_to_last_received_s", bare, "aiohttp_s")),
        (f"bare Apprise loop, no store ({scaled})", cell(bare, "apprise_s", " s", 3)),
        ("ratio agentcron / bare Apprise",
         ratios(told, "due_to_last_received_s", bare, "apprise_s")),
        ("lateness p50, with / without deliveries", pair("lateness_p50_ms", " ms", 1)),
        ("ratio p50 with / without", ratios(told, "lateness_p50_ms", quiet, "lateness_p50_ms")),
        ("lateness p99, with / without deliveries", pair("lateness_p99_ms", " ms", 1)),
        ("ratio p99 with / without", ratios(told, "lateness_p99_ms", quiet, "lateness_p99_ms")),
        ("due -> last run finished, with / without", pair("due_to_last_run_s", " s", 3)),
        ("serve CPU per run, with / without deliveries", pair("cpu_ms", " ms", 2)),
        ("peak RSS of serve, with / without", pair("peak_rss_mb", " MB", 1)),
        ("requests received / connections opened",
         f"{each(told, 'received', 0)} / {each(told, 'connections', 0)}"),
    ]  # fmt: skip
    title = f"notification burst: {options.n:,} reminders due at once, each told on json://"
    return "\n".join(
        [
            *heading(title, info),
            "",
            f"Medians of {len(told)} repetitions (each repetition's value in brackets); "
            f"serve concurrency {options.concurrency}.",
            "",
            "| figure | value |",
            "|---|---:|",
            *(f"| {label} | {value} |" for label, value in rows),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--apprise-n", type=int, help="notifications the Apprise loop sends")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--delay", type=float, help="seconds from creation to due")
    options = parser.parse_args()
    n = options.n
    delay = options.delay or max(6.0, 4.0 + n / 2000)
    info = machine_info(("agentcron", "apprise", "aiohttp", "uvloop"))
    told, quiet, bare = [], [], []
    for rep in range(options.reps):
        bare.append(run_baselines(n, options.apprise_n or n, options.concurrency))
        told.append(run_agentcron(n, options.concurrency, delay, told=True))
        quiet.append(run_agentcron(n, options.concurrency, delay, told=False))
        print(f"repetition {rep + 1}: {told[-1]} / {quiet[-1]} / {bare[-1]}", file=sys.stderr)
    info["load_average_at_end"] = load_average()
    p50 = [t["lateness_p50_ms"] / q["lateness_p50_ms"] for t, q in zip(told, quiet, strict=True)]
    p99 = [t["lateness_p99_ms"] / q["lateness_p99_ms"] for t, q in zip(told, quiet, strict=True)]
    targets = [
        (
            f"every delivery received within 5 s of the due instant (median of {len(told)})",
            median(told, "due_to_last_received_s") <= 5.0,
        ),
        (
            f"each of {n:,} runs succeeded, its delivery sent once and received once",
            all(t["succeeded"] == n and t["sent"] == n and t["received"] == n for t in told),
        ),
        ("lateness p50 with deliveries <= 1.2x without", statistics.median(p50) <= 1.2),
        ("lateness p99 with deliveries <= 1.2x without", statistics.median(p99) <= 1.2),
    ]
    print(render(info, options, told, quiet, bare))
    print("\n".join(target_lines(targets)))


if __name__ == "__main__":
    main()
