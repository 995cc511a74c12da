"""``agentcron scheduler`` and ``agentcron worker``: the distributed shape's processes, on
one PostgreSQL (``AGENTCRON_DATABASE_URL``) and one Redis (``AGENTCRON_BROKER_URL``)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from typing import TYPE_CHECKING, Annotated

import typer

from agentcron.cli._context import current_settings
from agentcron.cli._output import console, fail
from agentcron.errors import AgentCronError, InvalidInputError, RuntimeFailure

if TYPE_CHECKING:
    from agentcron.config import Settings

INTAKE_THREADS = 2
"""Celery threads per worker that take messages in: each only reserves runs and hands them
to the engine, so two keep one message in hand while the next is read."""


def _prepared(settings: Settings) -> None:
    """Fail early, in one line, without the store or the broker the shape needs; then set
    up logging, masked, as serve does."""
    from agentcron.cli.serve import tune_garbage_collector  # noqa: PLC0415
    from agentcron.distributed.app import broker_url, shared_store  # noqa: PLC0415
    from agentcron.secrets import mask_log_records  # noqa: PLC0415

    try:
        shared_store(settings)
        broker_url(settings)
    except AgentCronError as error:
        fail(error)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    mask_log_records()
    tune_garbage_collector()


def scheduler() -> None:
    """Turn due occurrences into runs and hand them to the workers (any number may run)."""
    import asyncio  # noqa: PLC0415

    from agentcron.cli.serve import fast_event_loop  # noqa: PLC0415

    settings = current_settings()
    _prepared(settings)
    try:
        with asyncio.Runner(loop_factory=fast_event_loop()) as runner:
            runner.run(_schedule_until_stopped(settings))
    except AgentCronError as error:
        fail(error)


async def _schedule_until_stopped(settings: Settings) -> None:
    import asyncio  # noqa: PLC0415

    from agentcron.distributed.scheduler_process import SchedulerProcess  # noqa: PLC0415

    process = SchedulerProcess(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await process.start()
    console().print(f"agentcron scheduler running ({process.store.location}). Ctrl-C stops.")
    stopping = asyncio.create_task(stop.wait())
    broken = asyncio.create_task(process.done.wait())
    await asyncio.wait({stopping, broken}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    broken.cancel()
    await process.stop()
    if process.supervisor.fatal is not None:
        raise RuntimeFailure(f"agentcron scheduler stopped: {process.supervisor.fatal}")
    console().print("stopped.")


QueuesOption = Annotated[
    str | None,
    typer.Option(
        "--queues",
        "-Q",
        help="Queues to serve, comma-separated: agent, notify, default, maintenance "
        "(default: all of them).",
    ),
]
ConcurrencyOption = Annotated[
    int | None,
    typer.Option(
        "--concurrency",
        "-c",
        min=1,
        max=10_000,
        help="Runs in flight at once in this worker (default: AGENTCRON_CONCURRENCY, 64).",
    ),
]
HostnameOption = Annotated[
    str | None,
    typer.Option(
        "--hostname", "-n", help="The worker's Celery node name (default: agentcron-PID@HOST)."
    ),
]


def worker(
    queues: QueuesOption = None,
    concurrency: ConcurrencyOption = None,
    hostname: HostnameOption = None,
) -> None:
    """Perform runs handed over by the schedulers: a Celery worker with an asyncio engine."""
    from agentcron.distributed.queues import parse_queues  # noqa: PLC0415

    settings = current_settings()
    try:
        names = parse_queues(queues)
    except ValueError as error:
        fail(InvalidInputError(f"--queues: {error}."))
    if concurrency is not None:
        settings = settings.model_copy(update={"concurrency": concurrency})
    _prepared(settings)
    node = hostname or f"agentcron-{os.getpid()}@{socket.gethostname()}"
    try:
        code = _work(settings, names, node)
    except AgentCronError as error:
        fail(error)
    raise typer.Exit(code)


def _work(settings: Settings, queues: tuple[str, ...], node: str) -> int:
    from agentcron.distributed.app import make_app  # noqa: PLC0415
    from agentcron.distributed.worker import WorkerBridge, install  # noqa: PLC0415

    app = make_app(settings)
    details = {"queues": list(queues), "concurrency": settings.concurrency, "node": node}
    bridge = WorkerBridge(settings, details)
    bridge.start()
    install(bridge)

    def stop_celery_when_the_engine_stops() -> None:
        bridge.stopped.wait()
        os.kill(os.getpid(), signal.SIGTERM)  # Celery's warm shutdown

    threading.Thread(target=stop_celery_when_the_engine_stops, daemon=True).start()
    console().print(
        f"agentcron worker {node} serving {', '.join(queues)} "
        f"(concurrency {settings.concurrency}). Ctrl-C stops."
    )
    celery_worker = app.Worker(
        hostname=node,
        queues=list(queues),
        pool_cls="threads",
        concurrency=INTAKE_THREADS,
        loglevel=settings.log_level,
        without_mingle=True,
        without_gossip=True,
        quiet=True,
    )
    celery_worker.start()
    bridge.stop(grace=10.0)
    if bridge.fatal is not None:
        raise RuntimeFailure(f"agentcron worker stopped: {bridge.fatal}")
    return int(getattr(celery_worker, "exitcode", 0) or 0)
