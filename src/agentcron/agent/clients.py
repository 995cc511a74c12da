"""The model SDK clients opened on each event loop, to close on that loop when it ends.

Light on purpose: whoever ends a loop (serve, a command, a test) closes its clients
without importing pydantic-ai or the SDKs, which ``models`` loads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

_CLOSERS: dict[int, list[Callable[[], Awaitable[None]]]] = {}


def on_close(closer: Callable[[], Awaitable[None]]) -> None:
    """Call ``closer`` when the running loop's clients are closed."""
    _CLOSERS.setdefault(id(asyncio.get_running_loop()), []).append(closer)


async def close_clients() -> None:
    """Close the clients opened on the running loop (when serve or a command ends)."""
    for closer in _CLOSERS.pop(id(asyncio.get_running_loop()), []):
        await closer()
