"""Batched writes wait while runs of a burst are starting, but never for long."""

from __future__ import annotations

import asyncio
import time

import pytest

from agentcron.engine import batches
from agentcron.engine.batches import BatchWriter
from agentcron.engine.supervisor import Supervisor
from agentcron.testing import FakeClock
from tests.conftest import START


async def written(writer: Collected, count: int) -> list[tuple[float, list[int]]]:
    """The batches once ``count`` are written, polled for up to 5 s (a busy machine)."""
    deadline = time.monotonic() + 5.0
    while len(writer.written) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    return writer.written


class Collected(BatchWriter[int]):
    def __init__(self) -> None:
        super().__init__(batch=10, interval=0.001)
        self.written: list[tuple[float, list[int]]] = []

    async def write(self, batch: list[int]) -> None:
        self.written.append((time.monotonic(), batch))


async def test_writes_wait_while_runs_start_and_go_once_they_have() -> None:
    writer = Collected()
    starting = True
    writer.defer_to = lambda: starting
    writer.start(Supervisor(FakeClock(START), give_up_seconds=60))
    writer.add(1)
    await asyncio.sleep(0.1)
    assert writer.written == []  # the starts come first
    starting = False
    ended = time.monotonic()
    done = await written(writer, 1)
    assert [items for _, items in done] == [[1]]
    assert done[0][0] >= ended
    await writer.close()


async def test_a_write_waits_at_most_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batches, "_DEFER_AT_MOST_SECONDS", 0.1)
    writer = Collected()
    writer.defer_to = lambda: True  # a burst that never ends
    writer.start(Supervisor(FakeClock(START), give_up_seconds=60))
    added = time.monotonic()
    writer.add(1)
    writer.add(2)
    done = await written(writer, 1)
    assert [items for _, items in done] == [[1, 2]]
    assert done[0][0] - added >= 0.1
    await writer.close()


async def test_closing_writes_what_is_pending_at_once() -> None:
    writer = Collected()
    writer.defer_to = lambda: True
    writer.start(Supervisor(FakeClock(START), give_up_seconds=60))
    writer.add(7)
    await writer.close(timeout=1.0)
    assert [items for _, items in writer.written] == [[7]]


class Slow(Collected):
    """Each write takes 50 ms; ``writing`` is set while one is on its way."""

    def __init__(self) -> None:
        super().__init__()
        self.writing = asyncio.Event()

    async def write(self, batch: list[int]) -> None:
        self.writing.set()
        await asyncio.sleep(0.05)
        await super().write(batch)


async def test_what_comes_while_a_batch_is_written_waits_its_own_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(batches, "_DEFER_AT_MOST_SECONDS", 0.2)
    writer = Slow()
    writer.defer_to = lambda: True
    writer.start(Supervisor(FakeClock(START), give_up_seconds=60))
    writer.add(1)
    await asyncio.wait_for(writer.writing.wait(), 5)
    added = time.monotonic()
    writer.add(2)  # young: it does not follow the write of 1 in a batch of its own at once
    done = await written(writer, 2)
    assert [items for _, items in done] == [[1], [2]]
    assert done[1][0] - added >= 0.2
    await writer.close()
