"""``agentcron serve``: the whole of agentcron in one process, until Ctrl-C or SIGTERM; with
``--once``, what is due now, then exit (for cron and scripts)."""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Callable
from datetime import UTC
from typing import TYPE_CHECKING, Annotated

import typer

from agentcron.agent import NOT_CONFIGURED
from agentcron.cli._context import current_settings
from agentcron.cli._output import console, fail
from agentcron.errors import AgentCronError, RuntimeFailure
from agentcron.plurals import plural
from agentcron.secrets import mask_log_records

if TYPE_CHECKING:
    import asyncio

    from agentcron.config import Settings
    from agentcron.domain import Outcome


async def print_outcomes(outcomes: list[Outcome]) -> None:
    """Until notification channels exist, a run's message goes to the serve console.

    One plain write per batch: a burst of thousands of runs must not wait on the terminal.
    """
    lines = []
    for outcome in outcomes:
        run = outcome.run
        stamp = f"{(outcome.finished_at or outcome.not_before).astimezone(UTC):%H:%M:%S}Z"
        label = f"{run.title} (task {run.task_id}, run {run.id})"
        if outcome.status == "succeeded" and outcome.notify:
            lines.append(f"{stamp} {label}: {outcome.output}\n")
        elif outcome.status != "succeeded":
            lines.append(f"{stamp} {label} {outcome.status}: {outcome.error}\n")
    if lines:
        sys.stdout.write("".join(lines))
        sys.stdout.flush()


# Generation 0 is collected after this many net allocations of tracked objects (Python's
# default is 700). Each agent run allocates thousands of short-lived objects, so at the
# default the collector ran about once per run and, with older generations, took an eighth
# of serve's CPU in bench/agent_burst.py; at this threshold, under 2 %.
GC_YOUNG_THRESHOLD = 20_000


def tune_garbage_collector() -> None:
    """Collect less often in the long-running process; what is loaded by now stays put."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)
    gc.freeze()


def fast_event_loop() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it is installed (not on Windows), else asyncio's own.

    Every agent run is dozens of loop callbacks and socket events; uvloop does them in C
    (bench/agent_burst.py: serve's CPU per run fell by about a fifth).
    """
    try:
        import uvloop  # noqa: PLC0415 - optional
    except ImportError:
        return None
    return uvloop.new_event_loop


async def serve_until_stopped(settings: Settings, http: tuple[str, int] | None = None) -> None:
    import asyncio  # noqa: PLC0415 - not needed to print help
    import signal  # noqa: PLC0415

    from agentcron.bootstrap import Engine  # noqa: PLC0415 - the engine loads with the command
    from agentcron.config import default_timezone  # noqa: PLC0415

    engine = Engine(settings, on_output=print_outcomes)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await engine.start()
    await engine.service.ensure_user(settings.user, timezone=default_timezone(settings))
    api = None
    if http is not None:
        from agentcron.api.embedded import EmbeddedApi  # noqa: PLC0415 - only with --http

        api = EmbeddedApi(settings, engine.service, *http)
        try:
            await api.start()
        except AgentCronError:
            await engine.stop(grace=2.0)
            raise
        console().print(f"agentcron api on http://{http[0]}:{http[1]}")
    where = engine.store.location
    console().print(
        f"agentcron serving ({where}; user {settings.user}, zone {default_timezone(settings)}, "
        f"concurrency {settings.concurrency}). Ctrl-C stops."
    )
    if settings.model is None:
        console().print(
            f"note: {NOT_CONFIGURED} Until then, agent runs fail saying so.", soft_wrap=True
        )
    stopping = asyncio.create_task(stop.wait())
    broken = asyncio.create_task(engine.done.wait())
    await asyncio.wait({stopping, broken}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    broken.cancel()
    if api is not None:
        await api.stop()
    if engine.supervisor.fatal is not None:
        await engine.stop(grace=2.0)
        raise RuntimeFailure(f"agentcron serve stopped: {engine.supervisor.fatal}")
    console().print("stopping: letting running runs finish...")
    await engine.stop(grace=10.0)
    console().print("stopped.")


async def serve_once(settings: Settings) -> None:
    """Run what is due now, wait for it to end and its notifications to go, then return.

    Runs are written for occurrences due now only (no lookahead): one due a second later is
    left to the next serve, and never held by a process about to exit.
    """
    import asyncio  # noqa: PLC0415
    import signal  # noqa: PLC0415

    from agentcron.bootstrap import Engine  # noqa: PLC0415

    done: list[Outcome] = []

    async def record(outcomes: list[Outcome]) -> None:
        done.extend(o for o in outcomes if o.status != "retrying")
        await print_outcomes(outcomes)

    now_only = settings.model_copy(update={"scheduler_lookahead_seconds": 0.0})
    engine = Engine(now_only, on_output=record, kind="serve --once")
    await engine.start(scheduling=False)
    loop = asyncio.get_running_loop()
    work = asyncio.create_task(engine.run_due())
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, work.cancel)
    broken = asyncio.create_task(engine.done.wait())
    try:
        await asyncio.wait({work, broken}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        broken.cancel()
        if not work.done():
            work.cancel()
        await asyncio.gather(work, return_exceptions=True)
        await engine.stop(grace=10.0)
    if engine.supervisor.fatal is not None:
        raise RuntimeFailure(f"agentcron serve --once stopped: {engine.supervisor.fatal}")
    if work.cancelled():
        raise RuntimeFailure("agentcron serve --once was stopped before its runs ended.")
    work.result()  # a store that failed during the pass says so
    failed = sum(o.status != "succeeded" for o in done)
    summary = f"{plural(len(done), 'run')} done" + (f", {failed} failed" if failed else "")
    console().print(f"agentcron serve --once: {summary}.")


OnceFlag = Annotated[
    bool,
    typer.Option(
        "--once",
        help="Run what is due now, wait for it and its notifications, then exit (for cron).",
    ),
]


HttpOption = Annotated[
    str | None,
    typer.Option(
        "--http",
        metavar="HOST:PORT",
        help="Also serve the HTTP API there, in this process ('agentcron api' alone).",
        show_default=False,
    ),
]


def serve(once: OnceFlag = False, http: HttpOption = None) -> None:
    """Run the scheduler and an in-process worker (migrates the store first)."""
    import asyncio  # noqa: PLC0415

    settings = current_settings()
    address = None
    if http is not None and once:
        fail("--http serves the API until serve is stopped; it does not go with --once.")
    if http is not None:
        from agentcron.api.embedded import parse_address  # noqa: PLC0415

        try:
            address = parse_address(http)
        except AgentCronError as error:
            fail(error)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    mask_log_records()  # URLs' passwords and tokens, whoever logs them
    tune_garbage_collector()
    try:
        with asyncio.Runner(loop_factory=fast_event_loop()) as runner:
            runner.run(serve_once(settings) if once else serve_until_stopped(settings, address))
    except AgentCronError as error:
        fail(error)
