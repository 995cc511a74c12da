"""The API inside another process's event loop (``agentcron serve --http HOST:PORT``)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn

from agentcron.api.app import create_app
from agentcron.api.log_config import uvicorn_log_config
from agentcron.config import Settings
from agentcron.errors import ConfigurationError, InvalidInputError
from agentcron.service import TaskService


class _InProcess(uvicorn.Server):
    """uvicorn's server, leaving signals to the process that runs it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def parse_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (an IPv6 host in brackets) as (host, port)."""
    host, colon, port = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidInputError(f"--http takes HOST:PORT, such as 127.0.0.1:8080, not '{text}'.")
    return host, int(port)


class EmbeddedApi:
    """The API on ``service``, served by uvicorn on this event loop until ``stop``."""

    def __init__(self, settings: Settings, service: TaskService, host: str, port: int) -> None:
        config = uvicorn.Config(
            create_app(settings, service),
            host=host,
            port=port,
            log_level=settings.log_level.lower(),
            server_header=False,
            log_config=uvicorn_log_config(),
            timeout_graceful_shutdown=5,  # event streams never end by themselves
        )
        self._server = _InProcess(config)
        self._address = (host, port)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Serve; once this returns, the API answers. The address is taken here, first: one
        in use is an error of agentcron's, not an exit of uvicorn's."""
        host, port = self._address
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            listening = socket.create_server((host, port), family=family, backlog=2048)
        except OSError as error:
            raise ConfigurationError(
                f"The API cannot listen on {host}:{port} ({error.strerror or error}); "
                "give --http another HOST:PORT."
            ) from None
        self._task = asyncio.create_task(
            self._server.serve(sockets=[listening]), name="agentcron-http"
        )
        while not self._server.started and not self._task.done():
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        if self._task is not None:
            self._server.should_exit = True
            await asyncio.gather(self._task, return_exceptions=True)
