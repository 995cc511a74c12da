"""The http action's one HTTP client per process, made on first use and closed when serve
stops (``Engine.stop``).

Building an ``httpx.AsyncClient`` costs about 19 ms of CPU (its SSL context above all),
more than the request itself; one client shared by every run also keeps connections to a
webhook open between runs (``bench/http_burst.py``).
"""

from __future__ import annotations

import asyncio
import logging

import httpx

from agentcron.actions._addresses import public_transport
from agentcron.secrets import MaskingFilter

TIMEOUT = httpx.Timeout(5.0)
"""Per request, as a client of its own had it; the task's timeout bounds the whole run."""

LIMITS = httpx.Limits(max_connections=None, max_keepalive_connections=20)
"""No cap on connections: serve's concurrency bounds the runs already, and a capped pool
would make runs wait for each other's connections (and time out waiting). httpx's default
of 20 kept alive: httpcore scans every open connection for each request, so 64 kept alive
cost twice the CPU per run in ``bench/http_burst.py``, and fewer made runs reconnect (a TLS
handshake each, to a remote host)."""

_shared: dict[bool, tuple[asyncio.AbstractEventLoop, httpx.AsyncClient]] = {}
"""By whether the client may reach private addresses."""


def shared_client(*, allow_private: bool = False) -> httpx.AsyncClient:
    """The client of this process, for requests on the running event loop; one that reaches
    only public addresses unless ``allow_private`` (``agentcron.actions._addresses``).

    A client belongs to the loop it first ran on; serve has one loop, so one client. A
    process that runs another loop later (a test, a command) gets a client of its own.
    """
    loop = asyncio.get_running_loop()
    kept = _shared.get(allow_private)
    if kept is None or kept[0] is not loop or kept[1].is_closed:
        _mask_httpx_logs()
        transport = None if allow_private else public_transport(LIMITS)
        client = httpx.AsyncClient(
            follow_redirects=False, timeout=TIMEOUT, limits=LIMITS, transport=transport
        )
        kept = _shared[allow_private] = (loop, client)
    return kept[1]


async def close_shared_client() -> None:
    """Close the clients the running loop made (serve's shutdown, a test's end)."""
    loop = asyncio.get_running_loop()
    for allow_private, (owner, client) in list(_shared.items()):
        del _shared[allow_private]
        if owner is loop:
            await client.aclose()


def _mask_httpx_logs() -> None:
    """httpx logs every request's URL at INFO: mask passwords and tokens in it."""
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, MaskingFilter) for f in logger.filters):
        logger.addFilter(MaskingFilter())
