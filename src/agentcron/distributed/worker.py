"""A Celery worker's agentcron side: the engine without its scheduler, on its own asyncio
loop, fed with run ids by Celery's messages.

Celery's threads only hand ids over (``take``): the runs are reserved in the database
under this worker's lease, then held by the in-process executor, which starts each at
its instant, renews the leases, and records the outcomes in batches. So one worker
process keeps as many actions in flight as ``--concurrency`` says (LLM calls, mostly
waiting on the network), whatever Celery's own pool size. A worker takes more runs only
when it has room to start them; until then its message waits, and other workers take
the next ones.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import Future
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from agentcron.config import Settings
from agentcron.engine.retention import purge_history
from agentcron.errors import StoreError

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from agentcron.bootstrap import Engine

log = logging.getLogger("agentcron.worker")
T = TypeVar("T")
_STARTING_TIMEOUT_SECONDS = 120.0


class WorkerBridge:
    """The engine of one worker process, on an event loop in a thread of its own."""

    def __init__(self, settings: Settings, details: dict[str, Any]) -> None:
        self.settings = settings
        self.details = details
        self.engine: Engine | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._stop: asyncio.Event | None = None
        self._failure: BaseException | None = None
        self.stopped = threading.Event()
        """Set when the engine has stopped, on request or because it could not go on."""

    def start(self) -> None:
        """Start the engine (migrating the store first); raise what stopped it starting."""
        self._thread = threading.Thread(target=self._run, name="agentcron-engine", daemon=True)
        self._thread.start()
        if not self._started.wait(_STARTING_TIMEOUT_SECONDS):
            raise StoreError("the worker's engine did not start within two minutes")
        if self._failure is not None:
            raise self._failure

    @property
    def fatal(self) -> str | None:
        """Why the engine stopped on its own, if it did."""
        return self.engine.supervisor.fatal if self.engine is not None else None

    def _run(self) -> None:
        from agentcron.cli.serve import fast_event_loop  # noqa: PLC0415

        factory = fast_event_loop()
        self._loop = factory() if factory is not None else asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._main())
        finally:
            self._loop.close()
            self.stopped.set()

    async def _main(self) -> None:
        from agentcron.bootstrap import Engine  # noqa: PLC0415

        self._stop = asyncio.Event()
        try:
            self.engine = Engine(self.settings, kind="worker", details=self.details)
            await self.engine.start(scheduling=False)
        except BaseException as error:
            self._failure = error
            self._started.set()
            return
        self._started.set()
        stopping = asyncio.create_task(self._stop.wait())
        broken = asyncio.create_task(self.engine.done.wait())
        await asyncio.wait({stopping, broken}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        broken.cancel()
        await self._give_back()
        await self.engine.stop(grace=self._grace)

    _grace = 10.0

    def stop(self, grace: float = 10.0) -> None:
        """Give back the runs held and not started, let running ones finish within
        ``grace`` seconds, write their outcomes, and stop."""
        if self._loop is None or self._stop is None or self.stopped.is_set():
            return
        self._grace = grace
        self._loop.call_soon_threadsafe(self._stop.set)
        self.stopped.wait(grace + 30.0)

    def _call(self, work: Coroutine[Any, Any, T]) -> T:
        if self._loop is None or self.stopped.is_set():
            work.close()
            raise StoreError("this worker is stopping; its runs go to another worker")
        future: Future[T] = asyncio.run_coroutine_threadsafe(work, self._loop)
        return future.result()

    def take(self, run_ids: list[int]) -> int:
        """Reserve ``run_ids`` for this worker and hold them until their instants; how many
        were taken. Called from Celery's threads."""
        return self._call(self._take(run_ids))

    def purge(self) -> int:
        """Delete finished runs past the retention; how many."""
        return self._call(self._purge())

    async def _take(self, run_ids: list[int]) -> int:
        engine = self.engine
        assert engine is not None
        await engine.executor.room()
        deadline = time.monotonic() + self.settings.redispatch_after_seconds
        pause = 0.1
        ahead = timedelta(seconds=self.settings.lease_seconds + self.settings.lookahead_seconds)
        while True:
            try:
                async with engine.store.transaction_at(engine.clock, flush=False) as (now, store):
                    reserved, in_line = await store.handover.reserve(
                        run_ids, now, now + ahead, engine.worker_id
                    )
                break
            except StoreError as error:  # a connection cut: the pool opens another
                if time.monotonic() + pause > deadline:
                    raise  # the runs are found again in the database: nothing is lost
                log.warning("reserving runs failed (%s); trying again", error.message)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 2.0)
        engine.executor.submit_claimed(reserved)
        engine.executor.submit_at(in_line)
        log.debug("took %d of %d runs", len(reserved) + len(in_line), len(run_ids))
        return len(reserved) + len(in_line)

    async def _give_back(self) -> None:
        """Runs reserved and not started go back to the outbox, for another worker now."""
        engine = self.engine
        assert engine is not None
        held = engine.executor.held()
        if not held:
            return
        try:
            async with engine.store.transaction() as store:
                released = await store.handover.release(held, engine.worker_id)
                await store.announce_change()
        except StoreError as error:
            log.warning("could not give back %d runs (%s): their lease ends", len(held), error)
            return
        log.info("gave back %d runs not started yet", released)

    async def _purge(self) -> int:
        engine = self.engine
        assert engine is not None
        return await purge_history(engine.store, engine.clock, self.settings.retention_days)


_bridge: WorkerBridge | None = None
_bridge_lock = threading.Lock()


def install(bridge: WorkerBridge) -> None:
    """Make ``bridge`` the one this process's Celery tasks hand their runs to."""
    global _bridge  # noqa: PLW0603 - one engine per worker process
    with _bridge_lock:
        _bridge = bridge


def bridge() -> WorkerBridge:
    """This process's bridge; a worker started by Celery's own command (``celery -A
    agentcron.distributed.app worker``) starts one from the settings on its first message."""
    global _bridge  # noqa: PLW0603
    with _bridge_lock:
        if _bridge is None:
            from agentcron.config import load_settings  # noqa: PLC0415

            started = WorkerBridge(load_settings(), {"queues": "as Celery was told"})
            started.start()
            _bridge = started
        return _bridge
