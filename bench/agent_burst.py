"""Agent burst: N agent tasks due at once, against a local model server that answers after 2 s.

Each trial:

1. measures the baseline: the same agent definition and model client driven by pydantic-ai
   alone, N runs with the same concurrency, no store and no scheduling (in the distributed
   shape, in as many processes as workers, each with its share of the runs, starting
   together);
2. starts the model server in its own process (``ScriptedModelServer`` from
   ``agentcron.testing.model_server``, answering every request with the agent's report
   after ``--model-delay`` s);
3. creates N one-off agent tasks due at ``T0 + delay``: in a fresh SQLite store
   (``--shape embedded``), or in a private schema of PostgreSQL's ``test`` database
   (``--shape distributed``);
4. starts ``agentcron serve`` (embedded, ``--concurrency``), or one ``agentcron scheduler``
   and ``--workers`` ``agentcron worker --concurrency C`` processes (Celery over Redis,
   ``AGENTCRON_BENCH_BROKER``, db 9 by default), pointed at the server;
5. waits until every task has a succeeded run, then reads the runs.

Figures: time from due to the last run finished, and its ratio to the baseline's; lateness
(started - due); agentcron's own overhead per run = (finished - started) - the server's
delay, i.e. time outside the model call (the HTTP round trip on loopback included), split at
the moment the request reached the server; the CPU per run of agentcron's processes together
(from the due time; PostgreSQL's and Redis's own not counted) against the baseline's; peak
RSS (VmHWM) of the largest process; and both per process.

Usage::

    uv run --frozen python bench/agent_burst.py --n 1000 --concurrency 200 --reps 5
    uv run --frozen python bench/agent_burst.py --shape distributed --workers 2 \\
        --n 1000 --concurrency 500 --reps 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from pydantic_ai.exceptions import ModelConnectionError, ModelTimeoutError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agentcron.agent.clients import close_clients
from agentcron.agent.models import build_model
from agentcron.agent.scheduled import function_toolset, scheduled_agent
from agentcron.bootstrap import build_service
from agentcron.cli.serve import fast_event_loop
from agentcron.config import Settings
from agentcron.domain import RunStatus
from agentcron.store import SqlStore
from agentcron.store.models import runs as RUNS
from agentcron.store.models import tasks as TASKS
from serve_process import (
    agentcron_processes,
    busy_cores,
    cpu_seconds,
    memory_mb,
    percentile,
    store_url,
)

ROOT = Path(__file__).resolve().parent.parent
_BASELINE_ATTEMPTS = 3
SERVER = """
import json, re, signal, sys, time
from agentcron.testing.model_server import Dynamic, ScriptedModelServer, Text, ToolCall, ToolCalls

delay = float(sys.argv[1])

def answer(request):
    if "final_result" in request.tool_names:
        report = {"message": "Done.", "notify": True, "complete": False}
        return ToolCalls([ToolCall("final_result", report)], delay=delay)
    return Text("Done.", delay=delay)

def report(*_):
    found = ((re.search(r"kind to person (\\d+)", r.text), r) for r in server.requests)
    arrivals = {m.group(1): r.received_at.timestamp() for m, r in found if m}
    print(json.dumps(arrivals), flush=True)
    raise SystemExit(0)

signal.signal(signal.SIGTERM, report)
with ScriptedModelServer() as server:
    server.default = Dynamic(answer)
    print(server.base_url, flush=True)
    while True:
        time.sleep(3600)
"""


@dataclass
class Trial:
    shape: str
    workers: int
    n: int
    concurrency: int
    model_delay_s: float
    succeeded: int
    failed: int
    retried: int
    """Runs that took more than one attempt."""
    due_to_last_finish_s: float
    baseline_last_finish_s: float
    baseline_retried: int
    ratio_to_baseline: float
    lateness_p50_ms: float
    lateness_p99_ms: float
    overhead_p50_ms: float
    overhead_p99_ms: float
    before_request_p50_ms: float
    after_answer_p50_ms: float
    cpu_ms_per_run: float
    baseline_cpu_ms_per_run: float
    peak_rss_mb: float
    model_server_cpu_ms_per_run: float
    machine_busy_cores: float
    """Cores in use on the whole machine from due to the last run done (every process)."""
    by_process: dict[str, tuple[float, float]]
    """Each process's CPU ms per run and peak RSS (MB)."""


async def create_tasks(url: str, n: int, due: datetime) -> None:
    settings = Settings(timezone="UTC", max_active_tasks=n + 10, model="openai:scripted-model")
    store = SqlStore(url)
    await store.migrate()
    service = build_service(settings, store)
    await service.ensure_user("local", timezone="UTC")
    requests = [
        {
            "title": f"agent {i}",
            "when": due.isoformat(),
            "action": "agent",
            "payload": {"instructions": f"Say something kind to person {i}."},
        }
        for i in range(n)
    ]
    await service.create_many("local", requests)
    await store.close()


async def read_runs(
    url: str,
) -> tuple[list[tuple[str, datetime, datetime | None, datetime | None, str]], int]:
    """Every run (status, due, started, finished, its task's title), and how many took more
    than one attempt."""
    store = SqlStore(url)
    async with AsyncSession(store.engine) as session:
        rows = await session.execute(
            select(
                RUNS.c.status,
                RUNS.c.scheduled_for,
                RUNS.c.started_at,
                RUNS.c.finished_at,
                TASKS.c.title,
            ).join(TASKS, TASKS.c.id == RUNS.c.task_id)
        )
        result = [tuple(row) for row in rows]
        retried = await session.scalar(
            select(func.count()).select_from(RUNS).where(RUNS.c.attempt > 1)
        )
    await store.close()
    return result, int(retried or 0)


@contextmanager
def finished_count(url: str) -> Iterator[Callable[[], int]]:
    """How many runs are done, read with the drivers alone (the standard library's sqlite3, or
    psycopg): polling must cost agentcron's machine little."""
    done = (RunStatus.SUCCEEDED.value, RunStatus.FAILED.value)
    if url.startswith("sqlite:///"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as connection:
            query = "SELECT count(*) FROM runs WHERE status IN (?, ?)"
            yield lambda: int(connection.execute(query, done).fetchone()[0])
        return
    with psycopg.connect(url, autocommit=True) as pg:
        query = "SELECT count(*) FROM runs WHERE status IN (%s, %s)"
        yield lambda: int(pg.execute(query, done).fetchone()[0])  # type: ignore[index]


def server_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCRON_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env


@contextmanager
def model_server(model_delay: float) -> Iterator[tuple[str, dict[str, float], int]]:
    """The scripted model server in its own process: its URL, (once it stopped) when each
    person's request arrived, and its pid."""
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(model_delay)],
        env=server_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    arrivals: dict[str, float] = {}
    try:
        assert server.stdout is not None
        yield server.stdout.readline().strip(), arrivals, server.pid
    finally:
        server.terminate()
        arrivals.update(json.loads(server.communicate(timeout=10)[0] or "{}"))


async def bare_agent_runs(
    base_url: str, people: range, concurrency: int, start_at: float | None = None
) -> tuple[float, float, float, int]:
    """The baseline: the same agent definition (instructions, report, tools offered) and model
    client driven by pydantic-ai alone, one run per person at once with the same concurrency,
    no store and no scheduling, from ``start_at`` (a wall time; default: once warmed up).
    Returns when the runs began and the last finished (wall times), the CPU seconds, and
    how many runs were tried again (after failing to connect in time)."""
    settings = Settings(model="openai:scripted-model", openai_base_url=base_url)
    model = build_model(settings)
    agent = scheduled_agent()
    tools = [function_toolset(with_http_get=False)]  # offered; the scripted model calls none
    await agent.run("Say hello.", model=model, toolsets=tools)  # connect and warm up
    limit = asyncio.Semaphore(concurrency)

    retried = 0

    async def one(i: int) -> None:
        nonlocal retried
        prompt = f"Instructions:\nSay something kind to person {i}."
        async with limit:
            for attempt in range(_BASELINE_ATTEMPTS):
                try:
                    await agent.run(prompt, model=model, toolsets=tools)
                    return
                except (ModelConnectionError, ModelTimeoutError):
                    # what a run's retry policy does in agentcron; with hundreds of requests
                    # at once the client's 5 s to connect can pass while the loop is busy
                    if attempt + 1 == _BASELINE_ATTEMPTS:
                        raise
                    retried += 1

    if start_at is not None:
        await asyncio.sleep(max(0.0, start_at - time.time()))
    cpu, began = time.process_time(), time.time()
    await asyncio.gather(*(one(i) for i in people))
    ended, cpu = time.time(), time.process_time() - cpu
    await close_clients()
    return began, ended, cpu, retried


def baseline_process(
    base_url: str, people: range, concurrency: int, start_at: float | None = None
) -> tuple[float, float, float, int]:
    """``bare_agent_runs`` on uvloop, in this process."""
    with asyncio.Runner(loop_factory=fast_event_loop()) as runner:
        return runner.run(bare_agent_runs(base_url, people, concurrency, start_at))


def run_baseline(
    n: int, concurrency: int, model_delay: float, processes: int = 1
) -> tuple[float, float, int]:
    """The baseline in ``processes`` processes (as many as agentcron's workers), each with its
    share of the N runs and ``concurrency``, starting together: the seconds from start to the
    last run finished, the CPU milliseconds per run, and the runs tried again."""
    with model_server(model_delay) as (base_url, _, _):
        if processes == 1:
            began, ended, cpu, retried = baseline_process(base_url, range(n), concurrency)
            return ended - began, cpu * 1000 / n, retried
        start_at = time.time() + 10.0  # once every process has imported and warmed up
        shares = [range(i, n, processes) for i in range(processes)]
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(processes, mp_context=context) as pool:
            futures = [
                pool.submit(baseline_process, base_url, share, concurrency, start_at)
                for share in shares
            ]
            results = [future.result() for future in futures]
    ended = max(r[1] for r in results)
    cpu, retried = sum(r[2] for r in results), sum(r[3] for r in results)
    return ended - start_at, cpu * 1000 / n, retried


def run_trial(
    shape: str, n: int, concurrency: int, *, workers: int, model_delay: float, delay: float
) -> Trial:
    processes = workers if shape == "distributed" else 1
    baseline_s, baseline_cpu, baseline_retried = run_baseline(
        n, concurrency, model_delay, processes
    )
    workdir = Path(tempfile.mkdtemp(prefix="agentcron-agent-burst-"))
    with store_url(shape, workdir) as url:
        with model_server(model_delay) as (base_url, arrivals, server_pid):
            due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=delay)
            asyncio.run(create_tasks(url, n, due))
            env = server_env() | {
                "AGENTCRON_HOME": str(workdir),
                "AGENTCRON_TIMEZONE": "UTC",
                "AGENTCRON_MODEL": "openai:scripted-model",
                "AGENTCRON_OPENAI_BASE_URL": base_url,
            }
            with (
                agentcron_processes(
                    shape, env, url, workdir, workers=workers, concurrency=concurrency
                ) as pids,
                finished_count(url) as count_finished,
            ):
                if datetime.now(UTC) > due:
                    raise SystemExit("agentcron started after the due time; use a larger --delay")
                time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
                # from the due time: start-up is not the burst's
                cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
                server_before, machine_before = cpu_seconds(server_pid), busy_cores()
                wall_before = time.monotonic()
                deadline = due + timedelta(seconds=180)
                while datetime.now(UTC) < deadline and count_finished() < n:
                    time.sleep(0.1)
                by_process = {
                    name: (
                        round((cpu_seconds(pid) - cpu_before[name]) * 1000 / n, 2),
                        round(memory_mb(pid), 1),
                    )
                    for name, pid in pids.items()
                }
                server_cpu = cpu_seconds(server_pid) - server_before
                machine = (busy_cores() - machine_before) / (time.monotonic() - wall_before)
        runs, retried = asyncio.run(read_runs(url))
    if all(r[0] == RunStatus.SUCCEEDED for r in runs) and len(runs) == n:
        shutil.rmtree(workdir)  # kept, with serve.log, only when something went wrong
    done = [r for r in runs if r[0] == RunStatus.SUCCEEDED and r[2] and r[3]]
    lateness = [(started - due_at).total_seconds() * 1000 for _, due_at, started, _, _ in done]
    overhead = [
        ((finished - started).total_seconds() - model_delay) * 1000
        for _, _, started, finished, _ in done
    ]
    # The overhead split at the model server's arrival time: before the request reached it
    # (building the agent run and the request, waiting for a connection) and after its answer.
    before, after = [], []
    for _, _, started, finished, title in done:
        arrived = arrivals.get(title.removeprefix("agent "))
        if arrived is not None:
            before.append((arrived - started.timestamp()) * 1000)
            after.append((finished.timestamp() - arrived - model_delay) * 1000)
    last = max(r[3] for r in done) if done else None
    last_finish = (last - due).total_seconds() if last else float("nan")
    return Trial(
        shape=shape,
        workers=workers if shape == "distributed" else 0,
        n=n,
        concurrency=concurrency,
        model_delay_s=model_delay,
        succeeded=len(done),
        failed=sum(1 for r in runs if r[0] == RunStatus.FAILED),
        retried=retried,
        due_to_last_finish_s=round(last_finish, 3),
        baseline_last_finish_s=round(baseline_s, 3),
        baseline_retried=baseline_retried,
        ratio_to_baseline=round(last_finish / baseline_s, 2),
        lateness_p50_ms=round(percentile(lateness, 0.5), 1),
        lateness_p99_ms=round(percentile(lateness, 0.99), 1),
        overhead_p50_ms=round(percentile(overhead, 0.5), 1),
        overhead_p99_ms=round(percentile(overhead, 0.99), 1),
        before_request_p50_ms=round(percentile(before, 0.5), 1),
        after_answer_p50_ms=round(percentile(after, 0.5), 1),
        cpu_ms_per_run=round(sum(cpu for cpu, _ in by_process.values()), 2),
        baseline_cpu_ms_per_run=round(baseline_cpu, 2),
        peak_rss_mb=max(rss for _, rss in by_process.values()),
        model_server_cpu_ms_per_run=round(server_cpu * 1000 / n, 2),
        machine_busy_cores=round(machine, 2),
        by_process=by_process,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shape", choices=["embedded", "distributed"], default="embedded")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (distributed)")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=200, help="per worker (distributed)")
    parser.add_argument("--model-delay", type=float, default=2.0)
    parser.add_argument(
        "--delay", type=float, help="seconds from creation to due (default: 6; distributed 20)"
    )
    parser.add_argument("--reps", type=int, default=3)
    options = parser.parse_args()
    trials = []
    for rep in range(options.reps):
        trial = run_trial(
            options.shape,
            options.n,
            options.concurrency,
            workers=options.workers,
            model_delay=options.model_delay,
            delay=options.delay or (6.0 if options.shape == "embedded" else 20.0),
        )
        trials.append(trial)
        print(f"trial {rep + 1}: {json.dumps(asdict(trial))}", flush=True)
    print(f"\nmedians of {len(trials)} trials:")
    for name in asdict(trials[0]):
        values = [getattr(t, name) for t in trials]
        if name == "by_process":
            for process in values[0]:
                cpu, rss = zip(*(v[process] for v in values), strict=True)
                print(
                    f"  {process}: CPU ms per run {statistics.median(cpu)} (runs: {list(cpu)}), "
                    f"peak RSS {statistics.median(rss)} MB (runs: {list(rss)})"
                )
        elif isinstance(values[0], str):
            print(f"  {name}: {values[0]}")
        else:
            print(f"  {name}: {statistics.median(values)}  (runs: {values})")


if __name__ == "__main__":
    main()
