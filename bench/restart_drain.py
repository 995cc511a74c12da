"""Restart drain: how soon a new ``agentcron serve`` starts the runs a killed one left behind.

A serve writes runs ahead of their instant, claimed by itself. Killed (SIGKILL) before the
instant, it leaves N of them claimed and not started. The next serve recovers them at
start-up and must start them all quickly, not a slot's worth per safety-net sleep.

1. ``make``: N one-off reminders due in 15 s (misfire grace of a day, so the runs are only
   late, never missed, however long the trials take); a serve writes their runs 10 s
   ahead and is killed; the store is kept as a snapshot.
2. each trial copies the snapshot, starts ``agentcron serve`` and polls the store until
   every run succeeded. Figures: seconds from the restart (just before the process is
   started) to the serve being ready, and to the last run's start (``started_at``).

``--src`` runs the trials against other source trees too (a checkout's ``src`` put first
on ``PYTHONPATH``), interleaved, so that a baseline is measured in the same run::

    uv run --frozen python bench/restart_drain.py --n 10000 --reps 5
    git worktree add /tmp/before <commit>
    uv run --frozen python bench/restart_drain.py --n 10000 --reps 5 --src /tmp/before/src
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from agentcron.bootstrap import build_service
from agentcron.config import Settings
from agentcron.store import SqlStore
from serve_process import start_serve

_SNAPSHOT_IGNORED = shutil.ignore_patterns("*.wake", "*.log")  # the wake-up socket


def environment(home: Path, src: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCRON_")}
    env |= {"AGENTCRON_HOME": str(home), "AGENTCRON_TIMEZONE": "UTC", **extra}
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    return env


async def create_reminders(url: str, n: int, due: datetime) -> None:
    store = SqlStore(url)
    await store.migrate()
    service = build_service(Settings(timezone="UTC", max_active_tasks=n + 10), store)
    await service.ensure_user("local", timezone="UTC")
    requests = [
        {
            "title": f"r{i}",
            "when": due.isoformat(),
            "misfire_grace_seconds": 86_400,
            "payload": {"message": f"m{i}"},
        }
        for i in range(n)
    ]
    await service.create_many("local", requests)
    await store.close()


def counts(database: Path) -> tuple[int, int, str | None]:
    """(runs, succeeded runs, the last start) read straight from the SQLite file."""
    with sqlite3.connect(database, timeout=10) as db:
        total, succeeded, last = db.execute(
            "SELECT count(*), count(*) FILTER (WHERE status = 'succeeded'), max(started_at)"
            " FROM runs"
        ).fetchone()
    return int(total), int(succeeded or 0), last


def wait_for(check: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        time.sleep(0.05)


def make_snapshot(workdir: Path, n: int) -> Path:
    home = workdir / "killed"
    home.mkdir()
    database = home / "agentcron.db"
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=15)
    asyncio.run(create_reminders(f"sqlite:///{database}", n, due))
    ahead = environment(home, AGENTCRON_SCHEDULER_LOOKAHEAD_SECONDS="10")
    first = start_serve(ahead, home / "serve.log")
    wait_for(lambda: counts(database)[0] == n, timeout=60)
    first.send_signal(signal.SIGKILL)
    first.wait()
    if datetime.now(UTC) >= due:
        raise SystemExit("the serve wrote its runs too late: they started before the kill")
    snapshot = workdir / "snapshot"
    shutil.copytree(home, snapshot, ignore=_SNAPSHOT_IGNORED)
    time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 0.5)
    return snapshot


def trial(snapshot: Path, workdir: Path, n: int, src: str | None) -> tuple[float, float]:
    """(seconds to ready, seconds to the last start), from the restart."""
    home = workdir / "trial"
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(snapshot, home)
    database = home / "agentcron.db"
    restarted = datetime.now(UTC)
    serve = start_serve(environment(home, src), home / "serve.log")
    ready = (datetime.now(UTC) - restarted).total_seconds()
    try:
        wait_for(lambda: counts(database)[1] == n, timeout=120)
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(30)
    last = counts(database)[2]
    assert last is not None
    last_start = datetime.fromisoformat(last).replace(tzinfo=UTC)
    return ready, (last_start - restarted).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--src", action="append", default=[], help="another source tree")
    args = parser.parse_args()
    trees: list[str | None] = [None, *args.src]
    with tempfile.TemporaryDirectory(prefix="agentcron-restart-") as folder:
        workdir = Path(folder)
        snapshot = make_snapshot(workdir, args.n)
        results: dict[str | None, list[tuple[float, float]]] = {tree: [] for tree in trees}
        for rep in range(args.reps):
            for tree in trees:
                ready, last = trial(snapshot, workdir, args.n, tree)
                results[tree].append((ready, last))
                name = tree or "this checkout"
                print(f"rep {rep} {name}: ready {ready:.2f} s, last start {last:.2f} s")
    print(f"\nN = {args.n:,}, {args.reps} trials each, medians:")
    for tree, figures in results.items():
        ready = statistics.median(f[0] for f in figures)
        last = statistics.median(f[1] for f in figures)
        print(f"  {tree or 'this checkout'}: ready {ready:.2f} s, last start {last:.2f} s")


if __name__ == "__main__":
    main()
