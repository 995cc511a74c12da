"""HTTP burst: N http tasks due at the same instant, POSTing to a local receiver, beside the
same N POSTs from a bare shared httpx client.

Each repetition:

1. starts the receiver in its own process (asyncio on 127.0.0.1, HTTP/1.1 with keep-alive,
   answering every POST ``200 ok`` at once); it counts the requests and their distinct
   ``Idempotency-Key`` headers;
2. the baseline: one ``httpx.AsyncClient`` shared by N POSTs of the same JSON bodies,
   through a semaphore of ``--concurrency``, on uvloop as serve runs (one warm-up request
   first, not counted): wall time and CPU per request;
3. creates N one-off http tasks due at ``T0 + --delay`` in a fresh SQLite store, starts
   ``agentcron serve`` (embedded, ``--concurrency``), waits until every run has finished,
   then reads the runs: due -> last run finished, lateness (started - due), serve's CPU per
   run counted from the due time, peak RSS (VmHWM); and the receiver's counts, so that a
   run lost or sent twice shows.

Loopback only. Figures are medians over ``--reps`` repetitions; the report is markdown.

Usage::

    uv run --frozen python bench/http_burst.py --n 1000 --reps 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx

from agentcron.bootstrap import build_service
from agentcron.cli.serve import fast_event_loop
from agentcron.config import Settings
from agentcron.domain import RunStatus
from agentcron.store import SqlStore
from machine import heading, load_average, machine_info, target_lines
from serve_process import cpu_seconds, memory_mb, percentile, start_serve

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"


# the receiver, in its own process


@dataclass
class Counts:
    requests: int = 0
    connections: int = 0
    keys: set[str] = field(default_factory=set)
    first_at: float = 0.0
    last_at: float = 0.0
    """Wall-clock instants (time.time()) of the first and the latest request."""


class Receiving(asyncio.Protocol):
    """HTTP/1.1 requests on one connection, answered in order; nothing but counting."""

    def __init__(self, counts: Counts) -> None:
        self.counts = counts
        self.buffer = b""
        self.transport: asyncio.WriteTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.WriteTransport, transport)  # uvloop's is no subclass
        self.counts.connections += 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (head_end := self.buffer.find(b"\r\n\r\n")) >= 0:
            length, key = 0, None
            for line in self.buffer[:head_end].decode("latin-1").split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                elif name.lower() == "idempotency-key":
                    key = value.strip()
            end = head_end + 4 + length
            if len(self.buffer) < end:
                return
            self.buffer = self.buffer[end:]
            self.counts.requests += 1
            self.counts.last_at = time.time()
            self.counts.first_at = self.counts.first_at or self.counts.last_at
            if key is not None:
                self.counts.keys.add(key)
            assert self.transport is not None
            self.transport.write(RESPONSE)


async def receive() -> None:
    """Serve until SIGTERM, then print the counts as JSON."""
    counts = Counts()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Receiving(counts), "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    stopped = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stopped.set)
    await stopped.wait()
    server.close()
    found = {
        "requests": counts.requests, "connections": counts.connections,
        "first_at": counts.first_at, "last_at": counts.last_at,
    }  # fmt: skip
    print(json.dumps(found | {"keys": len(counts.keys)}), flush=True)


@contextmanager
def receiver() -> Iterator[tuple[str, dict[str, Any]]]:
    """The receiver's URL, and (once it stopped) what it counted."""
    process = subprocess.Popen(
        [sys.executable, __file__, "--receive"], stdout=subprocess.PIPE, text=True
    )
    counts: dict[str, Any] = {}
    try:
        assert process.stdout is not None
        yield f"http://127.0.0.1:{process.stdout.readline().strip()}/hook", counts
    finally:
        process.terminate()
        counts.update(json.loads(process.communicate(timeout=10)[0] or "{}"))


# the two sides


async def bare_posts(url: str, n: int, concurrency: int) -> tuple[float, float]:
    """N POSTs from one shared client: seconds from the first to the last, CPU ms per POST."""
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=5.0) as client:
        (await client.post(url, json={"n": -1})).raise_for_status()  # connect, warm up

        async def one(i: int) -> None:
            async with limit:
                (await client.post(url, json={"n": i})).raise_for_status()

        cpu, began = time.process_time(), time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        return time.perf_counter() - began, (time.process_time() - cpu) * 1000 / n


def run_baseline(n: int, concurrency: int) -> dict[str, float]:
    with receiver() as (url, counts), asyncio.Runner(loop_factory=fast_event_loop()) as runner:
        seconds, cpu_ms = runner.run(bare_posts(url, n, concurrency))
    received = {"received": counts["requests"] - 1, "connections": counts["connections"]}
    return {"seconds": seconds, "cpu_ms": cpu_ms} | received


async def create_tasks(database: str, url: str, n: int, due: datetime) -> None:
    settings = Settings(timezone="UTC", max_active_tasks=n + 10, http_allow_private=True)
    store = SqlStore(database)
    await store.migrate()
    service = build_service(settings, store)
    await service.ensure_user("local", timezone="UTC")
    await service.create_many(
        "local",
        [
            {"title": f"hook {i}", "when": due.isoformat(), "action": "http",
             "payload": {"url": url, "json": {"n": i}}}
            for i in range(n)
        ],
    )  # fmt: skip
    await store.close()


@dataclass
class Run:
    status: str
    scheduled_for: datetime
    started_at: datetime | None
    finished_at: datetime | None


def read_runs(database: Path) -> list[Run]:
    """The runs, read with the standard library (SQLite keeps instants as naive UTC text)."""
    with closing(sqlite3.connect(database)) as connection:
        rows = connection.execute(
            "SELECT status, scheduled_for, started_at, finished_at FROM runs"
        ).fetchall()
    return [
        Run(status, _utc(due), _instant(started), _instant(finished))
        for status, due, started, finished in rows
    ]


def _utc(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _instant(value: str | None) -> datetime | None:
    return _utc(value) if value else None


def finished_count(database: Path) -> int:
    """Runs done, read with the standard library: polling must cost serve's machine little."""
    with closing(sqlite3.connect(database)) as connection:
        (count,) = connection.execute(
            "SELECT count(*) FROM runs WHERE status IN (?, ?)",
            (RunStatus.SUCCEEDED.value, RunStatus.FAILED.value),
        ).fetchone()
    return int(count)


def run_agentcron(n: int, concurrency: int, delay: float) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="agentcron-http-burst-"))
    database = workdir / "agentcron.db"
    with receiver() as (url, counts):
        due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=delay)
        asyncio.run(create_tasks(f"sqlite:///{database}", url, n, due))
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCRON_")}
        env |= {
            "AGENTCRON_HOME": str(workdir),
            "AGENTCRON_TIMEZONE": "UTC",
            "AGENTCRON_CONCURRENCY": str(concurrency),
            "AGENTCRON_HTTP_ALLOW_PRIVATE": "true",  # the receiver is on loopback
        }
        serve = start_serve(env, workdir / "serve.log")
        if datetime.now(UTC) > due - timedelta(seconds=0.5):
            raise SystemExit("serve was not ready before the tasks were due; use a larger --delay")
        time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
        cpu_before = cpu_seconds(serve.pid)  # from the due time: start-up is not the burst's
        deadline = time.monotonic() + 120
        while finished_count(database) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        cpu = cpu_seconds(serve.pid) - cpu_before
        peak = memory_mb(serve.pid)
        serve.terminate()
        serve.wait(30)
    runs = read_runs(database)
    done = [r for r in runs if r.status == RunStatus.SUCCEEDED and r.started_at and r.finished_at]
    if len(done) == n:
        shutil.rmtree(workdir)  # kept, with serve.log, only when something went wrong
    lateness = [
        (r.started_at - r.scheduled_for).total_seconds() * 1000 for r in done if r.started_at
    ]
    last = max((r.finished_at for r in done if r.finished_at), default=None)
    return {
        "seconds": (last - due).total_seconds() if last else float("nan"),
        "cpu_ms": cpu * 1000 / n,
        "lateness_p50_ms": percentile(lateness, 0.5),
        "lateness_p99_ms": percentile(lateness, 0.99),
        "peak_rss_mb": peak,
        "succeeded": len(done),
        "runs": len(runs),
        "received": counts["requests"],
        "connections": counts["connections"],
        "distinct_keys": counts["keys"],
    }


# the report


def median(trials: list[dict[str, float]], name: str) -> float:
    return statistics.median(t[name] for t in trials)


def each(trials: list[dict[str, float]], name: str, digits: int) -> str:
    return ", ".join(f"{t[name]:.{digits}f}" for t in trials)


def render(info: dict[str, str], n: int, concurrency: int, ours: list[Any], bare: list[Any]) -> str:
    def row(label: str, name: str, unit: str, digits: int, baseline: bool = True) -> str:
        unit = f" {unit}" if unit else ""
        theirs = (
            f"{median(bare, name):.{digits}f}{unit} ({each(bare, name, digits)})"
            if baseline
            else ""
        )
        mine = f"**{median(ours, name):.{digits}f}{unit}** ({each(ours, name, digits)})"
        return f"| {label} | {mine} | {theirs} |"

    ratio = [o["seconds"] / b["seconds"] for o, b in zip(ours, bare, strict=True)]
    lines = [
        *heading(f"HTTP burst: {n:,} http runs due at once, concurrency {concurrency}", info),
        "",
        f"Medians of {len(ours)} repetitions (each repetition's value in brackets).",
        "",
        "| figure | agentcron serve | bare shared httpx client |",
        "|---|---:|---:|",
        row("due -> last run finished / first to last POST", "seconds", "s", 3),
        f"| ratio agentcron / bare | {statistics.median(ratio):.2f} "
        f"({', '.join(f'{r:.2f}' for r in ratio)}) | |",
        row("CPU per run / per POST", "cpu_ms", "ms", 2),
        row("lateness p50", "lateness_p50_ms", "ms", 1, baseline=False),
        row("lateness p99", "lateness_p99_ms", "ms", 1, baseline=False),
        row("peak RSS of serve", "peak_rss_mb", "MB", 1, baseline=False),
        row("requests received", "received", "", 0),
        row("connections opened", "connections", "", 0),
        row("distinct Idempotency-Keys received", "distinct_keys", "", 0, baseline=False),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--delay", type=float, default=6.0, help="seconds from creation to due")
    parser.add_argument("--receive", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.receive:
        with asyncio.Runner(loop_factory=fast_event_loop()) as runner:
            runner.run(receive())
        return
    info = machine_info(("agentcron", "httpx", "uvloop"))
    ours, bare = [], []
    for rep in range(options.reps):
        bare.append(run_baseline(options.n, options.concurrency))
        ours.append(run_agentcron(options.n, options.concurrency, options.delay))
        print(f"repetition {rep + 1}: agentcron {ours[-1]}, bare {bare[-1]}", file=sys.stderr)
    info["load_average_at_end"] = load_average()
    n = options.n
    targets = [
        (f"every run succeeded ({n:,} per repetition)", all(o["succeeded"] == n for o in ours)),
        (
            f"the receiver got {n:,} requests with {n:,} distinct Idempotency-Keys",
            all(o["received"] == n and o["distinct_keys"] == n for o in ours),
        ),
    ]
    print(render(info, n, options.concurrency, ours, bare))
    print("\n".join(target_lines(targets)))


if __name__ == "__main__":
    main()
