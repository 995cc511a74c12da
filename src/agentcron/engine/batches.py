"""Writing in batches: one transaction per batch of results instead of one per result."""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Generic, TypeVar

from agentcron.abc import Supervisor

log = logging.getLogger("agentcron.engine")
T = TypeVar("T")
_DEFER_SECONDS = 0.005
_DEFER_AT_MOST_SECONDS = 2.0


class BatchWriter(ABC, Generic[T]):
    """Collects items; writes them every ``interval`` seconds or ``batch`` items.

    A batch that cannot be written (the store locked, full or unreachable) is kept and
    written when the store comes back: the loop is supervised, and nothing pending is
    dropped while the process lives.
    """

    name = "writer"
    what = "items"

    def __init__(self, *, batch: int = 500, interval: float = 0.01) -> None:
        self.batch = batch
        self.interval = interval
        self.defer_to: Callable[[], bool] | None = None
        """While this says so (runs of a burst are starting), writing waits, up to
        ``_DEFER_AT_MOST_SECONDS`` after the oldest item pending: the starts are the promise
        kept on time, and the writes would take the processor (and the store) from them."""
        self._pending_since = 0.0
        self._pending: list[T] = []
        self._writing: list[T] = []
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def start(self, supervisor: Supervisor) -> None:
        def written_all() -> bool:
            return self._closing and not self._pending

        self._task = asyncio.create_task(
            supervisor.keep(self.name, self._step, until=written_all), name=f"agentcron-{self.name}"
        )

    def add(self, item: T) -> None:
        if not self._pending:
            self._pending_since = time.monotonic()
        self._pending.append(item)
        self._ready.set()

    @property
    def pending(self) -> int:
        return len(self._pending)

    def held(self) -> list[T]:
        """Every item not written yet: the batch being written, then those pending."""
        return [*self._writing, *self._pending]

    async def flush(self) -> None:
        """Write everything pending now; what fails to be written stays pending."""
        while self._pending:
            await self._write_next()

    async def _write_next(self) -> None:
        batch, self._pending = self._pending[: self.batch], self._pending[self.batch :]
        self._writing = batch
        try:
            await self.write(batch)
        except BaseException:
            self._pending[:0] = batch
            raise
        finally:
            self._writing = []

    async def close(self, timeout: float = 10.0) -> None:
        """Write what is pending, then stop; give up after ``timeout`` seconds."""
        self._closing = True
        self._ready.set()
        if self._task is None:
            return
        _, late = await asyncio.wait({self._task}, timeout=timeout)
        if late:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            log.error("%d %s could not be written before stopping", len(self._pending), self.what)

    async def _step(self) -> None:
        if not self._pending:
            await self._ready.wait()
        if self._deferred():
            await asyncio.sleep(_DEFER_SECONDS)
            return
        if not self._closing and len(self._pending) < self.batch:
            await asyncio.sleep(self.interval)  # let a burst fill the batch
        self._ready.clear()
        # One batch a step, not all that is pending: what comes while it is written is
        # young, and may wait (``defer_to``) to fill a batch of its own, rather than follow
        # in a small one after each write.
        await (self.flush() if self._closing else self._write_next())

    def _deferred(self) -> bool:
        if self._closing or self.defer_to is None or not self.defer_to():
            return False
        return time.monotonic() - self._pending_since < _DEFER_AT_MOST_SECONDS

    @abstractmethod
    async def write(self, batch: list[T]) -> None:
        """Write ``batch`` in one transaction."""
