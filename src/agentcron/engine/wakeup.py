"""Waking the scheduler early when tasks change, in this process or in another one.

In one process an asyncio event does it. Another process (``agentcron add``
while ``agentcron serve`` runs on the same SQLite file) sends one datagram to a
Unix socket next to the database; on PostgreSQL the store carries the news itself
(``agentcron.store.changes``: ``NOTIFY agentcron_wake``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable, Sequence
from pathlib import Path

from agentcron.abc import Wakeup

log = logging.getLogger("agentcron.wakeup")


class WakeEvent:
    """The in-process ``Wakeup``: an asyncio event the scheduler sleeps on. ``also`` are told
    of every wake-up too (the executor rechecks the runs it holds: one may be cancelled)."""

    def __init__(self, also: Sequence[Callable[[], None]] = ()) -> None:
        self._event = asyncio.Event()
        self.also = list(also)

    def wake(self) -> None:
        self._event.set()
        for listener in self.also:
            listener()

    async def sleep(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True when woken early."""
        if seconds > 0 and not self._event.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(seconds):
                    await self._event.wait()
        woken = self._event.is_set()
        self._event.clear()
        return woken


def socket_path(database_file: Path) -> Path:
    return database_file.with_name(database_file.name + ".wake")


class SocketListener(asyncio.DatagramProtocol):
    """Turns datagrams on the wake socket into wake-ups."""

    def __init__(self, wakeup: Wakeup) -> None:
        self.wakeup = wakeup

    def datagram_received(self, data: bytes, addr: object) -> None:
        self.wakeup.wake()


async def listen_on_socket(path: Path, wakeup: Wakeup) -> asyncio.DatagramTransport:
    """Bind the wake socket (replacing a stale one left by a crashed process)."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    # Bound here rather than by the loop: uvloop takes a Unix datagram socket only ready-made.
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(str(path))
    receiver.setblocking(False)
    os.chmod(path, 0o600)
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: SocketListener(wakeup), sock=receiver
    )
    return transport


class SocketSender:
    """Wakes a serve process listening at ``path``; nothing happens when none is.

    One socket for every wake-up: a process creating tasks one by one sends one each.
    """

    def __init__(self, path: Path) -> None:
        self._path = str(path)
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.setblocking(False)

    def send(self) -> None:
        try:
            self._socket.sendto(b"wake", self._path)
        except OSError:  # nobody listening, or its queue full: it is awake anyway
            log.debug("no scheduler listening at %s", self._path)

    def close(self) -> None:
        self._socket.close()
