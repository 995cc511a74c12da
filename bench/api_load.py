"""HTTP API under load: ``agentcron api`` on PostgreSQL holding 100,000 tasks of 100 people,
driven open-loop by a load generator in its own process, beside the same work done by
``TaskService`` in process.

Each run:

1. seeds a fresh database (``bench_api_seed`` on ``--pg-url``'s server, dropped first if a
   run before left it): ``--users`` people, each with a key of their own, and ``--tasks``
   varied tasks spread evenly over them, created in process by ``TaskService.create_many``
   (1,000 a transaction), then ``VACUUM ANALYZE``, as a store that has been running would
   have been. Every trial below gets its own copy (``CREATE DATABASE bench_api TEMPLATE``),
   so each starts from the same 100,000 tasks; the copies and the seed are dropped after.
2. for each ``--workers`` count: starts ``agentcron api --host 127.0.0.1 --workers N``
   (a real process, the per-key rate limit raised to ``--rate-limit`` a minute, the
   per-person task limit to ``--max-tasks``: 1,000 tasks a person is the default limit and
   ``--rate-limit`` is there so that the limiter answers no 429), waits until every worker
   holds its connection to the store, then runs phases, each with a new load generator
   in its own process (``--generate``, on uvloop): by default a lean HTTP/1.1 client
   (``Connection``, ``Pool``), or ``--client httpx``. httpx costs about 1 ms of CPU a
   request, and its pool slows further as answers queue, until the generator, not the
   API, sets the pace on a machine of two cores; the lean one costs a sixth of that.

   a. the mix: creates (``POST /v1/tasks``, a reminder with a schedule in words) and lists
      (``GET /v1/tasks?limit=50``), ``--list-share`` of them lists, each request for a
      person drawn at random, ``--mix-rate`` requests a second offered for ``--duration``
      seconds (after ``--warmup`` seconds at the same rate, not counted);
   b. creates alone at each rate of ``--steps`` in turn, ``--step-duration`` seconds each,
      until a step is not sustained: its p99 over ``--p99-bound-ms``, fewer answers a second
      than 95 % of the offered rate, or any error (any answer but 2xx, by status, or a
      transport error, by name). The peak is the last step sustained.
3. the baseline, on its own copy of the seed: the same phases, the same requests, sent by
   the same open-loop driver to ``TaskService.create`` and ``TaskService.list_tasks`` in
   this process (uvloop, as the API runs): what the HTTP layer and the API's key check add.

Open loop: request *i* is sent at ``start + i / rate`` whether or not earlier ones have been
answered, and its latency counts from that scheduled instant, so a server that falls behind
shows its queue in the latencies instead of slowing the generator down (coordinated
omission). The generator's own lateness (scheduled to sent, p99) and CPU are reported, so a
generator that could not keep up shows too. CPU figures are cores in use over a phase's
counted window: the API's processes, the PostgreSQL backends serving the trial's database,
the generator, and the whole machine (anyone else on it included).

Figures are medians over ``--runs`` runs. ``--quick`` is a small smoke run. ``--breakdown
CALLS`` measures instead the CPU a call of each layer a request goes through (the key check,
the service's create and list, the ASGI app without uvicorn), in process, one call at a time.

Usage::

    .venv/bin/python bench/api_load.py --runs 3 --json api_load.json
    .venv/bin/python bench/api_load.py --runs 3 --mix-rate 100 --steps 100
    .venv/bin/python bench/api_load.py --breakdown 500 --tasks 20000 --runs 1
    .venv/bin/python bench/api_load.py --quick
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
import psutil
import psycopg
from sqlalchemy.engine import make_url

from agentcron.bootstrap import build_service, open_store
from agentcron.cli.serve import fast_event_loop
from agentcron.config import Settings
from agentcron.errors import AgentCronError
from import_bench import SCHEDULES, ZONES, line
from machine import heading, load_average, machine_info, target_lines, write_json
from serve_process import PG_SERVER, busy_cores, launch, percentile

TARGET_P99_MS = 30.0
SEED_BATCH = 1000
WORDS = tuple(text for text in SCHEDULES if text[0].isalpha())
"""The schedules in words of the import benchmark's (its cron expressions left out)."""
KINDS = ("create", "list")
REQUEST_TIMEOUT_S = 30.0
IDLE_S = 4.0
SEED_DB, TRIAL_DB = "bench_api_seed", "bench_api"


@dataclass(frozen=True)
class Spec:
    """What one invocation measures."""

    users: int
    tasks: int
    mix_rate: float
    list_share: float
    duration: float
    warmup: float
    steps: tuple[float, ...]
    step_duration: float
    p99_bound_ms: float
    workers: tuple[int, ...]
    runs: int
    rate_limit: int
    max_tasks: int
    connections: int
    client: str
    pg_url: str


@dataclass(frozen=True)
class Load:
    """One phase's requests: ``rate`` a second for ``duration`` seconds after ``warmup``."""

    name: str
    rate: float
    duration: float
    warmup: float
    list_share: float
    seed: int

    def requests(self, users: Sequence[str]) -> list[tuple[str, str, dict[str, Any] | None]]:
        """(kind, person, body) of every request, warm-up included, the same for any driver."""
        rng = random.Random(self.seed)
        count = round(self.rate * (self.warmup + self.duration))
        made: list[tuple[str, str, dict[str, Any] | None]] = []
        for number in range(count):
            user = rng.choice(users)
            if rng.random() < self.list_share:
                made.append(("list", user, None))
            else:
                title = f"{self.name} {number}"
                when = rng.choice(WORDS)
                made.append(("create", user, {"title": title, "when": when,
                                              "payload": {"message": title}}))  # fmt: skip
        return made


# --- the open-loop driver, for both the generator and the in-process baseline ------------


@dataclass
class Sample:
    kind: str
    status: str
    latency_ms: float
    """From the instant the request was scheduled to its answer."""
    lag_ms: float
    """From the instant the request was scheduled to the instant it was sent."""
    done_s: float
    """When the answer came, in seconds from the counted window's start."""


async def open_loop(
    load: Load,
    send: Callable[[int], Awaitable[tuple[str, str]]],
    count: int,
    on_window: Callable[[bool], None],
) -> list[Sample]:
    """Send request ``i`` (``send(i)`` -> kind, status) at ``start + i / rate``, whatever
    earlier ones are doing; the samples of those scheduled after the warm-up.
    ``on_window(True)`` is called when the counted window starts, ``on_window(False)`` once
    its last request is answered."""
    warm = round(load.rate * load.warmup)
    start = time.perf_counter() + 0.05
    window = start + warm / load.rate
    samples: list[Sample] = []
    running: set[asyncio.Task[None]] = set()

    async def one(number: int, at: float) -> None:
        sent = time.perf_counter()
        kind, status = await send(number)
        done = time.perf_counter()
        if number >= warm:
            samples.append(
                Sample(kind, status, (done - at) * 1000, (sent - at) * 1000, done - window)
            )

    for number in range(count):
        at = start + number / load.rate
        if (delay := at - time.perf_counter()) > 0:
            await asyncio.sleep(delay)
        if number == warm:
            on_window(True)
        task = asyncio.create_task(one(number, at))
        running.add(task)
        task.add_done_callback(running.discard)
    while running:
        await asyncio.gather(*list(running))
    on_window(False)
    return samples


def process_cpu() -> float:
    times = os.times()
    return times.user + times.system


# --- the load generator, in its own process ----------------------------------------------


class Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection carrying one request at a time: the answer's
    status once its whole body (``Content-Length`` bytes) is in, read with no other parsing,
    so that the generator spends its CPU sending on time, not in a client library."""

    def __init__(self) -> None:
        self.transport: asyncio.WriteTransport | None = None
        self.buffer = bytearray()
        self.answer: asyncio.Future[str] | None = None
        self.end = 0  # where the answer being read ends in the buffer (0: its head is not in)
        self.status = ""
        self.closed = False
        self.freed_at = 0.0  # time.monotonic() when its last answer was in

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.WriteTransport, transport)  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.end:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = bytes(self.buffer[:head_end]).decode("latin-1").lower().split("\r\n")
            self.status = head[0].split(" ", 2)[1]
            length = next(int(h[15:]) for h in head if h.startswith("content-length:"))
            self.end = head_end + 4 + length
        if len(self.buffer) >= self.end:
            del self.buffer[: self.end]
            self.end = 0
            if self.answer is not None and not self.answer.done():
                self.answer.set_result(self.status)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(ConnectionError("the API closed the connection"))

    async def ask(self, request: bytes) -> str:
        assert self.transport is not None
        self.answer = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.answer


class Pool:
    """One person's client: at most ``limit`` keep-alive connections to ``host:port``, the
    last one freed used first; a request beyond the limit waits its turn, its time counted.
    A client per person, as many people's programs would be, spreads the requests over
    connections, hence over the API's workers (which one serves a connection is the
    kernel's choice, made when it is accepted). A connection idle for ``IDLE_S`` is closed
    rather than used: uvicorn closes those idle for 5 s, and a request sent as it does so
    would fail for the client's sake, not the API's."""

    def __init__(self, host: str, port: int, limit: int) -> None:
        self.host, self.port, self.limit = host, port, limit
        self.idle: list[Connection] = []
        self.opened = 0
        self.waiting: deque[asyncio.Future[Connection | None]] = deque()

    async def acquire(self) -> Connection:
        while self.idle:
            connection = self.idle.pop()
            if not connection.closed and time.monotonic() - connection.freed_at < IDLE_S:
                return connection
            self.opened -= 1
            if connection.transport is not None:
                connection.transport.close()
        if self.opened >= self.limit:
            handed = asyncio.get_running_loop().create_future()
            self.waiting.append(handed)
            if (connection := await handed) is not None:
                return connection
        self.opened += 1  # None: a connection closed, open one in its place
        try:
            _, made = await asyncio.get_running_loop().create_connection(
                Connection, self.host, self.port
            )
        except OSError:
            self.opened -= 1
            raise
        return made

    def release(self, connection: Connection, reusable: bool) -> None:
        if not reusable:
            self.opened -= 1
            if connection.transport is not None:
                connection.transport.close()
        if self.waiting:
            self.waiting.popleft().set_result(connection if reusable else None)
        elif reusable:
            connection.freed_at = time.monotonic()
            self.idle.append(connection)

    async def ask(self, request: bytes) -> str:
        connection = await self.acquire()
        reusable = False
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT_S):
                status = await connection.ask(request)
            reusable = not connection.closed
            return status
        finally:
            self.release(connection, reusable)


def http_request(method: str, target: str, host: str, key: str, body: bytes = b"") -> bytes:
    head = f"{method} {target} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + body


async def generate(plan: dict[str, Any]) -> dict[str, Any]:
    """Run ``plan`` (a Load, the API's URL, the keys by person, the client) against the API,
    printing ``window`` and ``done`` as the counted window starts and ends, for the parent
    to read the API's CPU at those instants."""
    load = Load(**plan["load"])
    keys: dict[str, str] = plan["keys"]
    requests = load.requests(sorted(keys))
    cpu: dict[bool, float] = {}
    clock: dict[bool, float] = {}

    def on_window(starting: bool) -> None:
        cpu[starting], clock[starting] = process_cpu(), time.perf_counter()
        print("window" if starting else "done", flush=True)

    bodies = [json.dumps(body).encode() if body is not None else b"" for _, _, body in requests]
    if plan["client"] == "httpx":
        samples = await httpx_load(plan, load, requests, bodies, on_window)
    else:
        url = httpx.URL(plan["url"])
        host = f"{url.host}:{url.port}"
        wire = [
            http_request("POST", "/v1/tasks", host, keys[user], bodies[number])
            if kind == "create"
            else http_request("GET", "/v1/tasks?limit=50", host, keys[user])
            for number, (kind, user, _) in enumerate(requests)
        ]
        pools = {user: Pool(url.host, url.port or 80, plan["connections"]) for user in keys}
        for pool in pools.values():  # each person's first connection, before the clock starts,
            pool.release(await pool.acquire(), True)
            await asyncio.sleep(0.01)  # one at a time: a worker accepts all that are waiting

        async def send(number: int) -> tuple[str, str]:
            kind, user, _ = requests[number]
            try:
                return kind, await pools[user].ask(wire[number])
            except (OSError, TimeoutError) as error:
                return kind, type(error).__name__

        samples = await open_loop(load, send, len(requests), on_window)
    wall = clock[False] - clock[True]
    return {
        "samples": [[s.kind, s.status, s.latency_ms, s.lag_ms, s.done_s] for s in samples],
        "cpu_cores": (cpu[False] - cpu[True]) / wall,
    }


async def httpx_load(
    plan: dict[str, Any],
    load: Load,
    requests: list[tuple[str, str, dict[str, Any] | None]],
    bodies: list[bytes],
    on_window: Callable[[bool], None],
) -> list[Sample]:
    """The same requests through one shared ``httpx.AsyncClient``."""
    keys: dict[str, str] = plan["keys"]
    headers = {user: {"Authorization": f"Bearer {key}"} for user, key in keys.items()}
    json_headers = {
        user: value | {"Content-Type": "application/json"} for user, value in headers.items()
    }
    limits = httpx.Limits(
        max_connections=plan["connections"] * len(keys),
        max_keepalive_connections=plan["connections"] * len(keys),
    )
    timeout = httpx.Timeout(REQUEST_TIMEOUT_S)
    async with httpx.AsyncClient(base_url=plan["url"], limits=limits, timeout=timeout) as client:
        await asyncio.gather(*(client.get("/healthz") for _ in range(16)))  # open connections

        async def send(number: int) -> tuple[str, str]:
            kind, user, _ = requests[number]
            try:
                if kind == "create":
                    answer = await client.post(
                        "/v1/tasks", content=bodies[number], headers=json_headers[user]
                    )
                else:
                    answer = await client.get(
                        "/v1/tasks", params={"limit": 50}, headers=headers[user]
                    )
            except httpx.HTTPError as error:
                return kind, type(error).__name__
            return kind, str(answer.status_code)

        return await open_loop(load, send, len(requests), on_window)


def generator_main() -> None:
    plan = json.loads(sys.stdin.read())  # on stdin: the keys stay out of the process list
    with asyncio.Runner(loop_factory=fast_event_loop()) as runner:
        found = runner.run(generate(plan))
    Path(plan["results"]).write_text(json.dumps(found))


# --- a phase's figures -------------------------------------------------------------------


@dataclass
class Phase:
    """One load's figures, from one driver."""

    name: str
    offered: float
    duration: float
    kinds: dict[str, dict[str, float]]
    statuses: dict[str, int]
    errors: int
    achieved: float
    lag_p99_ms: float
    generator_cores: float | None
    server_cores: float
    store_cores: float
    machine_cores: float
    server_split: list[float]
    """The server's cores by process, busiest first (with workers: the parent is one)."""

    def sustained(self, bound_ms: float) -> bool:
        """The offered rate is kept: p99 within the bound, answers keeping up, no error."""
        p99 = max(kind["p99_ms"] for kind in self.kinds.values())
        return self.errors == 0 and p99 <= bound_ms and self.achieved >= 0.95 * self.offered


def figures(
    load: Load,
    samples: Sequence[Sample],
    *,
    generator_cores: float | None,
    cores: dict[str, Any],
) -> Phase:
    kinds: dict[str, dict[str, float]] = {}
    for kind in KINDS:
        latencies = [s.latency_ms for s in samples if s.kind == kind]
        if latencies:
            kinds[kind] = {
                "count": len(latencies),
                "errors": sum(1 for s in samples if s.kind == kind and not answered(s.status)),
                **{f"p{q}_ms": percentile(latencies, q / 100) for q in (50, 90, 99)},
                "max_ms": max(latencies),
            }
    statuses = Counter(s.status for s in samples)
    ok = sum(count for status, count in statuses.items() if answered(status))
    span = max([load.duration, *(s.done_s for s in samples)])
    return Phase(
        name=load.name,
        offered=load.rate,
        duration=load.duration,
        kinds=kinds,
        statuses=dict(sorted(statuses.items())),
        errors=len(samples) - ok,
        achieved=ok / span,
        lag_p99_ms=percentile([s.lag_ms for s in samples], 0.99),
        generator_cores=generator_cores,
        server_cores=cores["server"],
        store_cores=cores["store"],
        machine_cores=cores["machine"],
        server_split=cores["split"],
    )


def answered(status: str) -> bool:
    """A 2xx over HTTP, ``ok`` in process: anything else is an error."""
    return status == "ok" or status.startswith("2")


class Meter:
    """Cores in use over a window: the server's processes, the PostgreSQL backends serving
    the trial's database (its own connections excluded), and the whole machine (anyone else
    on it included). A backend born during the window counts from its birth."""

    def __init__(self, server: Callable[[], list[psutil.Process]], pg_url: str) -> None:
        self.server = server
        self.connection = psycopg.connect(pg_url, autocommit=True)
        self.marks: dict[bool, tuple[float, dict[int, float], dict[int, float], float]] = {}

    def backends(self) -> list[psutil.Process]:
        rows = self.connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (TRIAL_DB,),
        ).fetchall()
        return [psutil.Process(pid) for (pid,) in rows if psutil.pid_exists(pid)]

    def __call__(self, starting: bool) -> None:
        mark = (time.perf_counter(), cpu_by_pid(self.server()), cpu_by_pid(self.backends()))
        self.marks[starting] = (*mark, busy_cores())

    def cores(self) -> dict[str, Any]:
        (began, server0, store0, busy0), (ended, server1, store1, busy1) = (
            self.marks[True], self.marks[False]
        )  # fmt: skip
        wall = ended - began

        def used(before: dict[int, float], after: dict[int, float]) -> float:
            return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items()) / wall

        split = sorted(
            ((cpu - server0.get(pid, 0.0)) / wall for pid, cpu in server1.items()), reverse=True
        )
        return {
            "server": used(server0, server1),
            "store": used(store0, store1),
            "machine": (busy1 - busy0) / wall,
            "split": split,
        }

    def close(self) -> None:
        self.connection.close()


def cpu_by_pid(processes: list[psutil.Process]) -> dict[int, float]:
    found = {}
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        found[process.pid] = times.user + times.system
    return found


# --- databases ---------------------------------------------------------------------------


def database_url(server: str, name: str) -> str:
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def drop_database(server: str, name: str) -> None:
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def database(server: str, name: str, template: str | None = None) -> Iterator[str]:
    """A fresh database ``name`` on ``server`` (one a run before left is dropped first),
    empty or a copy of ``template``, as its URL; dropped afterwards."""
    drop_database(server, name)
    # FILE_COPY: the copy is not written to the WAL (100 MB for 100,000 tasks), which the
    # first phase of a trial would otherwise wait behind as it is flushed and checkpointed
    copy = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield database_url(server, name)
    finally:
        drop_database(server, name)


def bench_settings(url: str, home: Path, spec: Spec) -> Settings:
    return Settings(
        timezone="UTC",
        home=home,
        database_url=url,
        max_active_tasks=spec.max_tasks,
        api_rate_limit_per_minute=spec.rate_limit,
    )


async def seed(url: str, home: Path, spec: Spec) -> dict[str, str]:
    """The people, their keys and their tasks, in process; the keys by person."""
    settings = bench_settings(url, home, spec)
    store = open_store(settings)
    rng = random.Random(7)
    keys: dict[str, str] = {}
    try:
        await store.migrate()
        service = build_service(settings, store)
        for number in range(spec.users):
            user = f"person{number:03d}"
            await service.people.add_user(user, name=user, timezone=ZONES[number % len(ZONES)])
            keys[user] = (await service.people.create_key(user, name="load"))[1]
        share, extra = divmod(spec.tasks, spec.users)
        made = 0
        for number, user in enumerate(keys):
            mine = share + (number < extra)
            for first in range(0, mine, SEED_BATCH):
                batch = [line(made + i, rng) for i in range(min(SEED_BATCH, mine - first))]
                await service.create_many(user, batch)
                made += len(batch)
    finally:
        await store.close()
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
    return keys


# --- the API process and its trials ------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Api:
    process: subprocess.Popen[bytes]
    url: str
    workers: list[psutil.Process] = field(default_factory=list)

    def tree(self) -> list[psutil.Process]:
        """The API's processes: the one started, and the workers it started."""
        return [psutil.Process(self.process.pid), *self.workers]


def store_connected(process: psutil.Process, port: int) -> bool:
    try:
        return any(c.raddr and c.raddr.port == port for c in process.net_connections("tcp"))
    except psutil.NoSuchProcess:
        return False


@contextmanager
def api_server(url: str, home: Path, workers: int, spec: Spec, log: Path) -> Iterator[Api]:
    """``agentcron api`` on the store at ``url``, once it answers ``/readyz`` and each of its
    ``workers`` holds a connection to the store (its start-up done); stopped afterwards."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCRON_")}
    env |= {
        "AGENTCRON_HOME": str(home),
        "AGENTCRON_DATABASE_URL": url,
        "AGENTCRON_TIMEZONE": "UTC",
        "AGENTCRON_API_RATE_LIMIT_PER_MINUTE": str(spec.rate_limit),
        "AGENTCRON_MAX_ACTIVE_TASKS": str(spec.max_tasks),
    }
    command = ["api", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    api = Api(launch(command, env, log), f"http://127.0.0.1:{port}")
    main = psutil.Process(api.process.pid)
    store_port = make_url(url).port or 5432
    try:
        deadline = time.monotonic() + 120
        while True:
            if api.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"agentcron api did not start:\n{log.read_text()}")
            serving = [main] if workers == 1 else main.children()
            ready = [p for p in serving if store_connected(p, store_port)]
            if len(ready) >= workers and answers(f"{api.url}/readyz"):
                api.workers = [] if workers == 1 else ready
                break
            time.sleep(0.2)
        yield api
    finally:
        started = api.workers
        api.process.terminate()
        try:
            api.process.wait(30)
        except subprocess.TimeoutExpired:
            api.process.kill()
            api.process.wait(10)
        for worker in started:  # the workers, by their own pids, if any outlived their parent
            if worker.is_running():
                worker.kill()


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def over_http(api: Api, keys: dict[str, str], load: Load, spec: Spec, home: Path) -> Phase:
    """One load from a generator process of its own (its samples in a file in ``home``),
    the CPU read as its counted window starts and ends."""
    generator = subprocess.Popen(
        [sys.executable, __file__, "--generate"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert generator.stdin is not None
    assert generator.stdout is not None
    plan = {"load": load.__dict__, "keys": keys, "url": api.url}
    results = home / "generator.json"
    plan |= {"connections": spec.connections, "client": spec.client, "results": str(results)}
    generator.stdin.write(json.dumps(plan))
    generator.stdin.close()
    meter = Meter(api.tree, spec.pg_url)
    try:
        for mark in (True, False):
            said = generator.stdout.readline().strip()
            if said != ("window" if mark else "done"):
                raise SystemExit(f"the load generator stopped ({said!r})")
            meter(mark)
    finally:
        meter.close()
        generator.stdout.close()
        if generator.wait(60) != 0:
            raise SystemExit("the load generator failed")
    found = json.loads(results.read_text())
    results.unlink()
    samples = [Sample(*values) for values in found["samples"]]
    return figures(load, samples, generator_cores=found["cpu_cores"], cores=meter.cores())


def loads(spec: Spec, run: int) -> tuple[Load, list[Load]]:
    """The mix and the steps of creates, seeded by run: every driver sends the same."""
    mix = Load("mix", spec.mix_rate, spec.duration, spec.warmup, spec.list_share, 1000 * run)
    steps = [
        Load(f"creates {rate:g}", rate, spec.step_duration, 1.0, 0.0, 1000 * run + number + 1)
        for number, rate in enumerate(spec.steps)
    ]
    return mix, steps


def stepped(steps: list[Load], spec: Spec, drive: Callable[[Load], Phase]) -> list[Phase]:
    """Each step in turn, until one is not sustained (it is the last one kept)."""
    done: list[Phase] = []
    for load in steps:
        done.append(drive(load))
        note(f"    {describe(done[-1])}")
        if not done[-1].sustained(spec.p99_bound_ms):
            break
    return done


def http_trial(
    seed_db: str, keys: dict[str, str], spec: Spec, *, workers: int, run: int, home: Path
) -> dict[str, Any]:
    mix, steps = loads(spec, run)
    with (
        database(spec.pg_url, TRIAL_DB, template=seed_db) as url,
        api_server(url, home, workers, spec, home / f"api-{workers}.log") as api,
    ):
        first = over_http(api, keys, mix, spec, home)
        note(f"    {describe(first)}")
        return {
            "mix": first,
            "steps": stepped(steps, spec, lambda load: over_http(api, keys, load, spec, home)),
        }


# --- the in-process baseline -------------------------------------------------------------


async def in_process_phases(
    url: str, home: Path, users: list[str], spec: Spec, run: int
) -> dict[str, Any]:
    settings = bench_settings(url, home, spec)
    store = open_store(settings)
    mix, steps = loads(spec, run)
    try:
        await store.migrate()
        service = build_service(settings, store)

        async def drive(load: Load) -> Phase:
            requests = load.requests(users)

            async def send(number: int) -> tuple[str, str]:
                kind, user, body = requests[number]
                try:
                    if body is not None:
                        await service.create(user, body)
                    else:
                        await service.list_tasks(user, limit=51)  # as the API asks, one more
                except AgentCronError as error:
                    return kind, error.code
                return kind, "ok"

            meter = Meter(lambda: [psutil.Process()], spec.pg_url)
            try:
                samples = await open_loop(load, send, len(requests), meter)
            finally:
                meter.close()
            return figures(load, samples, generator_cores=None, cores=meter.cores())

        first = await drive(mix)
        note(f"    {describe(first)}")
        done: list[Phase] = []
        for load in steps:
            done.append(await drive(load))
            note(f"    {describe(done[-1])}")
            if not done[-1].sustained(spec.p99_bound_ms):
                break
        return {"mix": first, "steps": done}
    finally:
        await store.close()


def baseline_trial(
    seed_db: str, keys: dict[str, str], spec: Spec, run: int, home: Path
) -> dict[str, Any]:
    with (
        database(spec.pg_url, TRIAL_DB, template=seed_db) as url,
        asyncio.Runner(loop_factory=fast_event_loop()) as runner,
    ):
        return runner.run(in_process_phases(url, home, sorted(keys), spec, run))


def one_run(spec: Spec, run: int) -> dict[str, Any]:
    """Seed, then the HTTP trials (one per workers count) and the baseline."""
    home = Path(tempfile.mkdtemp(prefix="agentcron-api-load-"))
    trials: dict[str, Any] = {}
    try:
        with database(spec.pg_url, SEED_DB) as seed_url:
            began = time.perf_counter()
            with asyncio.Runner(loop_factory=fast_event_loop()) as runner:
                keys = runner.run(seed(seed_url, home, spec))
            seeded = time.perf_counter() - began
            note(f"  seeded {spec.tasks:,} tasks of {spec.users} people in {seeded:.1f} s")
            for workers in spec.workers:
                note(f"  agentcron api --workers {workers}")
                trials[f"http-{workers}"] = http_trial(
                    SEED_DB, keys, spec, workers=workers, run=run, home=home
                )
            note("  in process")
            trials["in-process"] = baseline_trial(SEED_DB, keys, spec, run, home)
        return {"seed_s": seeded, "trials": trials}
    finally:
        shutil.rmtree(home, ignore_errors=True)


# --- where a request's CPU goes, one call at a time, in process -----------------------


async def asgi_request(
    app: Any, method: str, path: str, headers: list[tuple[bytes, bytes]], body: bytes = b""
) -> int:
    """One request handed to the ASGI app as uvicorn would hand it, without the HTTP
    parsing and the sockets: its status."""
    target, _, query = path.partition("?")
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": target, "raw_path": target.encode(), "root_path": "",
        "query_string": query.encode(), "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8080), "state": {},
    }  # fmt: skip
    given = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal given
        if given:
            await asyncio.Event().wait()  # no disconnect: the answer is read whole
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def layers(
    url: str, home: Path, keys: dict[str, str], calls: int, spec: Spec
) -> dict[str, Any]:
    """CPU and wall milliseconds a call of each layer a request goes through, the app and
    its service in this process, ``calls`` calls one after the other (after 20 not counted):
    the key check, the service's create and list, then the same through the ASGI app."""
    from agentcron.api.app import create_app

    settings = bench_settings(url, home, spec)
    app = create_app(settings)
    users = sorted(keys)
    rng = random.Random(3)

    def body(number: int) -> dict[str, Any]:
        title = f"layer {number}"
        return {"title": title, "when": rng.choice(WORDS), "payload": {"message": title}}

    def auth(number: int) -> list[tuple[bytes, bytes]]:
        return [(b"authorization", f"Bearer {keys[users[number % len(users)]]}".encode())]

    async with app.router.lifespan_context(app):
        service = app.state.service

        async def authenticate(number: int) -> None:
            assert await service.people.authenticate(keys[users[number % len(users)]])

        async def create(number: int) -> None:
            await service.create(users[number % len(users)], body(number))

        async def list_tasks(number: int) -> None:
            await service.list_tasks(users[number % len(users)], limit=51)

        async def healthz(number: int) -> None:
            assert await asgi_request(app, "GET", "/healthz", []) == 200

        async def post(number: int) -> None:
            data = json.dumps(body(number)).encode()
            headers = [(b"content-type", b"application/json"),
                       (b"content-length", str(len(data)).encode())]  # fmt: skip
            assert await asgi_request(app, "POST", "/v1/tasks", auth(number) + headers, data) == 201

        async def get(number: int) -> None:
            assert await asgi_request(app, "GET", "/v1/tasks?limit=50", auth(number)) == 200

        found: dict[str, Any] = {}
        for name, call in (
            ("PeopleService.authenticate(key)", authenticate),
            ("TaskService.create", create),
            ("TaskService.list_tasks(limit=51)", list_tasks),
            ("ASGI GET /healthz", healthz),
            ("ASGI POST /v1/tasks", post),
            ("ASGI GET /v1/tasks?limit=50", get),
        ):
            for number in range(20):
                await call(number)
            cpu, began = process_cpu(), time.perf_counter()
            for number in range(calls):
                await call(number)
            found[name] = {
                "cpu_ms": (process_cpu() - cpu) * 1000 / calls,
                "wall_ms": (time.perf_counter() - began) * 1000 / calls,
            }
        return found


def breakdown(spec: Spec, calls: int) -> str:
    """``layers`` on a fresh store seeded as the load runs' are, ``spec.runs`` times; the
    medians."""
    home = Path(tempfile.mkdtemp(prefix="agentcron-api-load-"))
    samples: list[dict[str, Any]] = []
    try:
        with (
            database(spec.pg_url, TRIAL_DB) as url,
            asyncio.Runner(loop_factory=fast_event_loop()) as runner,
        ):
            keys = runner.run(seed(url, home, spec))
            for run in range(spec.runs):
                note(f"layers, run {run + 1} of {spec.runs}")
                samples.append(runner.run(layers(url, home, keys, calls, spec)))
    finally:
        shutil.rmtree(home, ignore_errors=True)
    lines = [
        f"One call at a time, in process, {calls} calls a layer, medians of {spec.runs} runs "
        f"({spec.tasks:,} tasks of {spec.users} people):",
        "",
        "| layer | CPU ms a call | wall ms a call |",
        "|---|---:|---:|",
    ]
    for name in samples[0]:
        cpu = statistics.median(s[name]["cpu_ms"] for s in samples)
        wall = statistics.median(s[name]["wall_ms"] for s in samples)
        lines.append(f"| {name} | {cpu:.2f} | {wall:.2f} |")
    return "\n".join(lines)


# --- report ------------------------------------------------------------------------------


def note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def describe(phase: Phase) -> str:
    kinds = ", ".join(
        f"{kind} p50 {k['p50_ms']:.1f} p99 {k['p99_ms']:.1f} ms" for kind, k in phase.kinds.items()
    )
    return (
        f"{phase.name}: {phase.achieved:,.0f}/s of {phase.offered:g}/s, {kinds}, "
        f"errors {', '.join(f'{s} {n}' for s, n in _errors([phase]).items()) or 0}, "
        f"server {'+'.join(f'{c:.2f}' for c in phase.server_split)} cores, "
        f"store {phase.store_cores:.2f}"
    )


def peak(steps: list[Phase], bound_ms: float) -> float:
    """The highest rate sustained before the first step that was not (0: none was)."""
    return max((step.offered for step in steps if step.sustained(bound_ms)), default=0.0)


def median_of(values: Sequence[float | None]) -> float | None:
    found = [value for value in values if value is not None]
    return statistics.median(found) if found else None


def fmt(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def latency_cells(kinds: list[dict[str, float]]) -> list[str]:
    """The medians of p50, p90, p99 and max, in milliseconds."""
    return [fmt(median_of([k[f"{q}_ms"] for k in kinds])) for q in ("p50", "p90", "p99", "max")]


def cpu_cells(phases: list[Phase]) -> list[str]:
    """The medians of the cores the server, the store and the generator used, then the CPU
    milliseconds a request of the server and of the store, then the machine's cores."""
    per_request = [
        fmt(median_of([getattr(p, name) * 1000 / p.achieved for p in phases if p.achieved]), 2)
        for name in ("server_cores", "store_cores")
    ]
    cores = [fmt(median_of([getattr(p, name) for p in phases]), 2) for name in CORES]
    widest = max(len(p.server_split) for p in phases)
    if widest > 1:  # with workers, how evenly they shared the work
        split = [median_of([p.server_split[i] for p in phases if len(p.server_split) > i])
                 for i in range(widest)]  # fmt: skip
        cores[0] += " (" + "+".join(fmt(c, 2) for c in split) + ")"
    return [*cores[:3], *per_request, cores[3]]


CORES = ("server_cores", "store_cores", "generator_cores", "machine_cores")
CPU_HEAD = (
    "| server cores (by process) | store cores | generator cores | server CPU ms/request "
    "| store CPU ms/request | machine cores |"
)


def mix_rows(name: str, mixes: list[Phase]) -> list[str]:
    rows = []
    for kind in KINDS:
        got = [mix.kinds[kind] for mix in mixes if kind in mix.kinds]
        if got:
            cells = [
                fmt(median_of([k["count"] for k in got]), 0),
                *latency_cells(got),
                str(sum(int(k["errors"]) for k in got)),
                fmt(median_of([m.achieved for m in mixes]), 0),
                fmt(median_of([m.lag_p99_ms for m in mixes])),
                *cpu_cells(mixes),
            ]
            rows.append(f"| {name} | {kind} | " + " | ".join(cells) + " |")
    return rows


def trial_name(key: str) -> str:
    return "in process" if key == "in-process" else f"HTTP, --workers {key.split('-')[1]}"


def steps_at(runs: list[dict[str, Any]], key: str, rate: float) -> list[Phase]:
    return [p for r in runs for p in r["trials"][key]["steps"] if p.offered == rate]


def render(
    spec: Spec, info: dict[str, str], runs: list[dict[str, Any]]
) -> tuple[str, list[tuple[str, bool]]]:
    keys = list(runs[0]["trials"])
    bound = spec.p99_bound_ms
    lines = heading("HTTP API under load", info)
    lines += [
        f"- store: PostgreSQL, {spec.tasks:,} tasks of {spec.users} people (a key each), "
        f"seeded in {fmt(median_of([r['seed_s'] for r in runs]))} s (median)",
        f"- API: per-key rate limit raised to {spec.rate_limit:,}/min, task limit per person "
        f"to {spec.max_tasks:,}; load generator: {spec.client}, a client a person, at most "
        f"{spec.connections} connections each",
        f"- {spec.runs} run(s), medians; open loop, latency from each request's scheduled instant",
        "",
        f"Mix: {spec.mix_rate:g} requests/s offered for {spec.duration:g} s "
        f"({spec.list_share:.0%} GET /v1/tasks?limit=50, the rest POST /v1/tasks):",
        "",
        "| driver | kind | requests | p50 ms | p90 ms | p99 ms | max ms | errors (all runs) "
        f"| answered/s | send lag p99 ms {CPU_HEAD}",
        "|---|---|" + "---:|" * 15,
    ]
    for key in keys:
        lines += mix_rows(trial_name(key), [r["trials"][key]["mix"] for r in runs])
    lines += [
        "",
        f"Creates alone, stepped up ({spec.step_duration:g} s a step; sustained: p99 <= "
        f"{bound:g} ms, answered >= 95 % of offered, no error):",
        "",
        "| driver | peak sustained creates/s, each run | median | errors at sustained rates "
        "| the step that was not sustained, each run |",
        "|---|---|---:|---:|---|",
    ]
    peaks: dict[str, float] = {}
    for key in keys:
        steps = [r["trials"][key]["steps"] for r in runs]
        each = [peak(s, bound) for s in steps]
        peaks[key] = statistics.median(each)
        kept_errors = sum(p.errors for s in steps for p in s if p.sustained(bound))
        failed = "; ".join(describe(s[-1]) if not s[-1].sustained(bound) else "none" for s in steps)
        lines.append(
            f"| {trial_name(key)} | {', '.join(f'{p:g}' for p in each)} | {peaks[key]:g} "
            f"| {kept_errors} | {failed} |"
        )
    lines += [
        "",
        "Each step, medians over the runs that reached it:",
        "",
        "| driver | offered/s | runs | answered/s | p50 ms | p90 ms | p99 ms | max ms | errors "
        + CPU_HEAD,
        "|---|" + "---:|" * 14,
    ]
    for key in keys:
        for rate in spec.steps:
            if at := steps_at(runs, key, rate):
                errors = ", ".join(f"{s} {n}" for s, n in _errors(at).items()) or "0"
                cells = [
                    f"{rate:g}",
                    str(len(at)),
                    fmt(median_of([p.achieved for p in at]), 0),
                    *latency_cells([p.kinds["create"] for p in at]),
                    errors,
                    *cpu_cells(at),
                ]
                lines.append(f"| {trial_name(key)} | " + " | ".join(cells) + " |")
    lines += ["", "HTTP against in process (ratios of medians):", ""]
    base = peaks.get("in-process")
    for key in keys:
        if key == "in-process" or not base:
            continue
        lines.append(
            f"- {trial_name(key)}: peak sustained creates {peaks[key]:g}/s against "
            f"{base:g}/s ({peaks[key] / base:.2f}×)"
        )
        for rate in spec.steps:
            http, local = steps_at(runs, key, rate), steps_at(runs, "in-process", rate)
            if not (http and local and all(p.sustained(bound) for p in http + local)):
                break
            p50 = [
                median_of([p.kinds["create"]["p50_ms"] for p in ps]) or 0 for ps in (http, local)
            ]
            cpu = [
                median_of([p.server_cores / p.achieved for p in ps]) or 0 for ps in (http, local)
            ]
            lines.append(
                f"  - {rate:g} creates/s: p50 {p50[0]:.1f} ms against {p50[1]:.1f} ms "
                f"({p50[0] / p50[1]:.2f}×), server CPU {cpu[0] * 1000:.2f} ms a create "
                f"against {cpu[1] * 1000:.2f} ms ({cpu[0] / cpu[1]:.2f}×)"
            )
    targets: list[tuple[str, bool]] = []
    for key in keys:
        if key == "in-process":
            continue
        for kind in KINDS:
            p99 = median_of([r["trials"][key]["mix"].kinds[kind]["p99_ms"] for r in runs])
            if p99 is not None:
                label = (
                    f"{trial_name(key)}: {kind} p99 at {spec.mix_rate:g}/s mixed "
                    f"{p99:,.1f} ms < {TARGET_P99_MS:g} ms"
                )
                targets.append((label, p99 < TARGET_P99_MS))
        errors = sum(r["trials"][key]["mix"].errors for r in runs) + sum(
            p.errors for r in runs for p in r["trials"][key]["steps"] if p.sustained(bound)
        )
        label = f"{trial_name(key)}: {errors} errors in the mix and at the sustained rates"
        targets.append((label, errors == 0))
    lines += target_lines(targets)
    return "\n".join(lines), targets


def _errors(phases: list[Phase]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for phase in phases:
        total.update({s: n for s, n in phase.statuses.items() if not answered(s)})
    return dict(total)


def as_json(value: Any) -> Any:
    if isinstance(value, Phase):
        return value.__dict__
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument(
        "--breakdown",
        type=int,
        metavar="CALLS",
        help="instead of the load: CPU a call of each layer, in process, CALLS calls each",
    )
    parser.add_argument("--runs", type=int, help="runs, each on a fresh store (default 3)")
    parser.add_argument("--users", type=int, help="people, a key each (default 100)")
    parser.add_argument("--tasks", type=int, help="tasks seeded (default 100,000)")
    parser.add_argument("--mix-rate", type=float, default=200.0, help="requests/s in the mix")
    parser.add_argument("--list-share", type=float, default=0.5, help="lists in the mix")
    parser.add_argument("--duration", type=float, help="seconds of the mix (default 20)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before the mix")
    parser.add_argument(
        "--steps",
        default="100,200,300,400,500,600,800,1000,1200,1600,2000",
        help="offered creates/s, in turn",
    )
    parser.add_argument("--step-duration", type=float, help="seconds a step (default 10)")
    parser.add_argument("--p99-bound-ms", type=float, default=100.0, help="a step's p99 bound")
    parser.add_argument("--workers", default="1,2", help="agentcron api --workers, in turn")
    parser.add_argument("--rate-limit", type=int, default=1_000_000, help="requests/min a key")
    parser.add_argument("--max-tasks", type=int, default=1_000_000, help="tasks a person")
    parser.add_argument(
        "--connections",
        type=int,
        default=4,
        help="connections a person's client may open (httpx: this times the people, shared)",
    )
    parser.add_argument(
        "--client",
        choices=["raw", "httpx"],
        default="raw",
        help="the generator's HTTP client: a lean asyncio one, or httpx",
    )
    parser.add_argument("--pg-url", default=PG_SERVER, help="the PostgreSQL server (a database)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results here")
    parser.add_argument("--strict", action="store_true", help="exit with 1 when a target fails")
    args = parser.parse_args(argv)
    if args.generate:
        generator_main()
        return 0
    quick = args.quick
    spec = Spec(
        users=args.users or (10 if quick else 100),
        tasks=args.tasks if args.tasks is not None else (2_000 if quick else 100_000),
        mix_rate=args.mix_rate,
        list_share=args.list_share,
        duration=args.duration or (3.0 if quick else 20.0),
        warmup=args.warmup,
        steps=tuple(float(rate) for rate in args.steps.split(",")),
        step_duration=args.step_duration or (3.0 if quick else 10.0),
        p99_bound_ms=args.p99_bound_ms,
        workers=tuple(int(n) for n in args.workers.split(",")),
        runs=args.runs or (1 if quick else 3),
        rate_limit=args.rate_limit,
        max_tasks=args.max_tasks,
        connections=args.connections,
        client=args.client,
        pg_url=args.pg_url,
    )
    for name in [name for name in os.environ if name.startswith("AGENTCRON_")]:
        del os.environ[name]  # the caller's configuration must not reach these stores
    with psycopg.connect(spec.pg_url) as connection:
        server = connection.execute("SHOW server_version").fetchone()
    info = machine_info(
        ("agentcron", "fastapi", "starlette", "uvicorn", "uvloop", "httptools", "httpx",
         "sqlalchemy", "psycopg"),
        postgresql=server[0] if server else "unknown",
    )  # fmt: skip
    if args.breakdown:
        print("\n".join(heading("HTTP API layers", info)) + "\n")
        print(breakdown(spec, args.breakdown))
        return 0
    runs = []
    for run in range(spec.runs):
        note(f"run {run + 1} of {spec.runs}")
        runs.append(one_run(spec, run))
    info["load_average_at_end"] = load_average()
    report, targets = render(spec, info, runs)
    print(report)
    if args.json is not None:
        write_json(
            args.json,
            info=info,
            settings=dict(spec.__dict__),
            results={"runs": as_json(runs)},
            targets=targets,
        )
    return 1 if args.strict and not all(ok for _, ok in targets) else 0


if __name__ == "__main__":
    sys.exit(main())
