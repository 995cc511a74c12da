"""The web page's tasks page for a person with 1,000 tasks: its first byte over HTTP, and its
full load in headless Chromium (Debian's, driven by Playwright), beside the JSON API's page
of the same tasks measured in the same run.

Each run makes a fresh home on SQLite (the embedded default; ``--postgres`` for a private
database on the local PostgreSQL instead), seeds one person with ``--tasks`` tasks of mixed
schedules (every fifth one paused, every tenth with a run that failed, every tenth with one
that succeeded), starts ``agentcron api`` and signs in as a browser does (the sign-in form,
its cookie). Then, after ``--warmup`` requests not counted:

- ``first byte``: ``--n`` requests one after another from an HTTP client in this process,
  each timed from sending to the first byte of the answer's body (headers read): the tasks
  page as it opens (its first 100 tasks), the page with all 1,000 rows (``?limit=1000``), and
  for a baseline ``GET /v1/tasks?limit=100`` (the API's JSON for the same 100 tasks) and
  ``/healthz``;
- ``browser``: ``--n`` loads of each page in one Chromium tab, each a new navigation, read
  from the browser's own Navigation Timing: first byte (``responseStart``), DOM ready
  (``domContentLoadedEventEnd``) and fully loaded (``loadEventEnd``: the script and style
  sheet in, the script run).

With ``--runs`` above 1, each figure is the median of the runs' medians. Targets: first
byte under 100 ms and fully loaded under 1 s for the tasks page with 1,000 tasks.

Usage::

    uv run --frozen python bench/web_page.py [--tasks 1000] [--n 30] [--runs 3] [--postgres]
    uv run --frozen python bench/web_page.py --quick
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from agentcron.bootstrap import build_service, open_store
from agentcron.config import Settings
from agentcron.testing.browser import chromium
from machine import heading, machine_info, target_lines, write_json
from serve_process import percentile

ZONE = "Europe/Paris"
POSTGRES = os.environ.get("AGENTCRON_BENCH_POSTGRES", "postgresql://127.0.0.1:5432/test")
PERSON = "ana"
SCHEDULES = (
    "every day at 9am", "every weekday at 8:30", "every monday at 18:00", "every 2 hours",
    "every month on the 1st at 10am", "in 3 days at noon", "0 */6 * * *", "every friday at 17:00",
)  # fmt: skip
PAGES = {
    "tasks page as it opens (its first 100)": "/",
    "tasks page with every row (?limit=1000)": "/?limit=1000",
}
BASELINES = {"API: GET /v1/tasks?limit=100 (JSON)": "/v1/tasks?limit=100", "/healthz": "/healthz"}
FIRST_BYTE_TARGET_MS = 100.0
LOADED_TARGET_MS = 1000.0


async def seed(settings: Settings, tasks: int) -> str:
    """The person, their key, and their tasks (some paused, some with a run that ended)."""
    store = open_store(settings)
    try:
        await store.migrate()
        service = build_service(settings, store)
        await service.people.add_user(PERSON, name="Ana", timezone=ZONE)
        key = (await service.people.create_key(PERSON, name="bench"))[1]
        lines = [
            {"title": f"Task {number}: {SCHEDULES[number % len(SCHEDULES)]}",
             "when": SCHEDULES[number % len(SCHEDULES)], "action": "reminder",
             "payload": {"message": f"reminder {number}"}}
            for number in range(tasks)
        ]  # fmt: skip
        made = []
        for first in range(0, tasks, 500):
            made += await service.create_many(PERSON, lines[first : first + 500])
        for number, task in enumerate(made):
            if number % 10 == 0:
                await service.trigger(PERSON, task.id)
            if number % 5 == 1:
                await service.pause(PERSON, task.id)
        await finish_runs(settings)
    finally:
        await store.close()
    return key


async def finish_runs(settings: Settings) -> None:
    """End the runs ``trigger`` queued: half failed, half succeeded, as a worker would
    record them, so that the page shows last runs of both kinds."""
    from sqlalchemy import update

    from agentcron.store.models import runs

    store = open_store(settings)
    try:
        async with store.transaction() as repositories:
            session = repositories._session
            now = settings_now()
            await session.execute(
                update(runs)
                .where(runs.c.id % 2 == 0)
                .values(
                    status="failed", started_at=now, finished_at=now, error="HTTP 503 from the API"
                )
            )
            await session.execute(
                update(runs)
                .where(runs.c.id % 2 == 1)
                .values(status="succeeded", started_at=now, finished_at=now, output="done")
            )
    finally:
        await store.close()


def settings_now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


@contextmanager
def api_process(env: dict[str, str], log: Path) -> Iterator[str]:
    """``agentcron api`` on a free port until the block ends; its base URL."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCRON_")} | env
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "agentcron", "api", "--port", str(port)],
            env=environment, stdout=handle, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"agentcron api did not start:\n{log.read_text()}")
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(30)


def sign_in(url: str, key: str) -> str:
    """The session cookie a browser gets from the sign-in form (sent by hand: the cookie is
    Secure, which browsers keep on loopback and httpx keeps for HTTPS only)."""
    with httpx.Client(base_url=url, follow_redirects=False) as client:
        form = client.get("/signin")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None, form.text
        signed = client.post(
            "/signin", data={"key": key, "csrf": csrf[1]},
            headers={"Cookie": f"agentcron_signin={csrf[1]}"},
        )  # fmt: skip
        assert signed.status_code == 303, signed.text
        session = re.search(r"agentcron_session=([^;]+)", signed.headers["set-cookie"])
        assert session is not None, signed.headers
        return session[1]


def first_bytes(url: str, path: str, headers: dict[str, str], n: int, warmup: int) -> list[float]:
    """Milliseconds from each request sent to the first byte of its body."""
    timings: list[float] = []
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        for index in range(warmup + n):
            started = time.perf_counter()
            with client.stream("GET", path) as response:
                chunks = response.iter_raw()
                next(chunks, b"")
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, response.status_code
                for _ in chunks:  # the rest read, the connection reused
                    pass
            if index >= warmup:
                timings.append(elapsed)
    return timings


NAVIGATION = """() => {
  const entry = performance.getEntriesByType("navigation")[0];
  return {first_byte: entry.responseStart, ready: entry.domContentLoadedEventEnd,
          loaded: entry.loadEventEnd, rows: document.querySelectorAll("#rows tr.task").length};
}"""


def browser_loads(url: str, session: str, n: int, warmup: int) -> dict[str, dict[str, list[float]]]:
    """Per page: the browser's first byte, DOM ready and fully loaded, in milliseconds."""
    found: dict[str, dict[str, list[float]]] = {}
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        context.add_cookies([{"name": "agentcron_session", "value": session, "url": url}])
        page = context.new_page()
        for name, path in PAGES.items():
            samples: dict[str, list[float]] = {"first_byte": [], "ready": [], "loaded": []}
            for index in range(warmup + n):
                page.goto(f"{url}{path}", wait_until="load")
                page.wait_for_function(
                    "performance.getEntriesByType('navigation')[0].loadEventEnd > 0"
                )
                timing = page.evaluate(NAVIGATION)
                assert timing["rows"] > 0, "the page shows no task"
                if index >= warmup:
                    for what, kept in samples.items():
                        kept.append(float(timing[what]))
            found[name] = samples
        context.close()
    return found


def one_run(tasks: int, n: int, warmup: int, postgres: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="agentcron-web-bench-") as folder:
        home = Path(folder)
        env = {"AGENTCRON_HOME": str(home), "AGENTCRON_TIMEZONE": ZONE,
               "AGENTCRON_MAX_ACTIVE_TASKS": str(tasks * 2),
               "AGENTCRON_API_RATE_LIMIT_PER_MINUTE": "1000000"}  # fmt: skip
        with private_database(postgres) as database_url:
            if database_url:
                env["AGENTCRON_DATABASE_URL"] = database_url
            settings = Settings(
                home=home, timezone=ZONE, database_url=database_url, max_active_tasks=tasks * 2
            )
            key = asyncio.run(seed(settings, tasks))
            with api_process(env, home / "api.log") as url:
                session = sign_in(url, key)
                cookie = {"Cookie": f"agentcron_session={session}"}
                bearer = {"Authorization": f"Bearer {key}"}
                http = {
                    name: first_bytes(url, path, cookie, n, warmup) for name, path in PAGES.items()
                }
                http |= {
                    name: first_bytes(url, path, bearer, n, warmup)
                    for name, path in BASELINES.items()
                }
                browser = browser_loads(url, session, max(5, n // 3), min(warmup, 3))
    return {"http": http, "browser": browser}


@contextmanager
def private_database(postgres: bool) -> Iterator[str | None]:
    if not postgres:
        yield None
        return
    from agentcron.testing.postgres import private_schema

    with private_schema(POSTGRES, prefix="agentcron_web_bench") as url:
        yield url


def of_runs(
    runs: list[dict[str, Any]], path: tuple[str, ...], figure: Callable[[list[float]], float]
) -> float:
    """The median over runs of each run's ``figure`` of the samples at ``path``."""
    figures = []
    for run in runs:
        value: Any = run
        for part in path:
            value = value[part]
        figures.append(figure(value))
    return statistics.median(figures)


def median_of_runs(runs: list[dict[str, Any]], *path: str) -> float:
    return of_runs(runs, path, statistics.median)


def p90_of_runs(runs: list[dict[str, Any]], *path: str) -> float:
    return of_runs(runs, path, lambda samples: percentile(samples, 0.9))


def report(runs: list[dict[str, Any]], settings: dict[str, Any], info: dict[str, str]) -> str:
    lines = heading("web page: the tasks page with 1,000 tasks", info)
    lines += [
        "",
        f"Settings: {settings}",
        "",
        "First byte over HTTP (ms, one request at a time):",
        "",
    ]
    lines += ["| request | median | p90 | x API page |", "|---|---:|---:|---:|"]
    api = median_of_runs(runs, "http", "API: GET /v1/tasks?limit=100 (JSON)")
    for name in [*PAGES, *BASELINES]:
        median = median_of_runs(runs, "http", name)
        p90 = p90_of_runs(runs, "http", name)
        lines.append(f"| {name} | {median:.1f} | {p90:.1f} | {median / api:.2f} |")
    lines += ["", "In Chromium, each a new navigation (ms, the browser's Navigation Timing):", ""]
    lines += ["| page | first byte | DOM ready | fully loaded | fully loaded p90 |"]
    lines += ["|---|---:|---:|---:|---:|"]
    for name in PAGES:
        cells = [
            median_of_runs(runs, "browser", name, what)
            for what in ("first_byte", "ready", "loaded")
        ]
        p90 = p90_of_runs(runs, "browser", name, "loaded")
        lines.append(f"| {name} | {cells[0]:.1f} | {cells[1]:.1f} | {cells[2]:.1f} | {p90:.1f} |")
    return "\n".join(lines)


def targets(runs: list[dict[str, Any]]) -> list[tuple[str, bool]]:
    found = []
    for name in PAGES:
        first = median_of_runs(runs, "http", name)
        loaded = median_of_runs(runs, "browser", name, "loaded")
        found.append(
            (
                f"{name}: first byte {first:.1f} ms < {FIRST_BYTE_TARGET_MS:.0f} ms",
                first < FIRST_BYTE_TARGET_MS,
            )
        )
        found.append(
            (
                f"{name}: fully loaded in Chromium {loaded:.1f} ms < {LOADED_TARGET_MS:.0f} ms",
                loaded < LOADED_TARGET_MS,
            )
        )
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--n", type=int, default=30, help="requests per row and run")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--quick", action="store_true", help="one short run")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.warmup, args.runs = 6, 2, 1
    settings = {"tasks": args.tasks, "n": args.n, "warmup": args.warmup, "runs": args.runs,
                "store": "postgresql" if args.postgres else "sqlite"}  # fmt: skip
    info = machine_info(["fastapi", "jinja2", "uvicorn", "playwright"])
    runs = [one_run(args.tasks, args.n, args.warmup, args.postgres) for _ in range(args.runs)]
    met = targets(runs)
    print(report(runs, settings, info) + "\n" + "\n".join(target_lines(met)))
    if args.json is not None:
        write_json(args.json, info=info, settings=settings, results={"runs": runs}, targets=met)
    return 0 if all(ok for _, ok in met) else 1


if __name__ == "__main__":
    sys.exit(main())
