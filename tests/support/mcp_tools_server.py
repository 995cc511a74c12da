"""The test MCP server of ``mcp_tools.py``, as agentcron is configured to reach it: a command
it starts (stdio) or a URL of a process started here (streamable HTTP)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agentcron.config import McpServer
from tests.support.local_http import free_port

SCRIPT = Path(__file__).with_name("mcp_tools.py")
TOOLS = ["chart", "fail", "greet", "refuse", "repeat", "wait", "weather"]


def stdio_tools(log: Path | None = None) -> McpServer:
    """The server as a command; with ``log``, it notes there its starts and listings."""
    logged = ["--log", str(log)] if log is not None else []
    return McpServer(command=sys.executable, args=[str(SCRIPT), *logged])


def logged(path: Path) -> dict[str, int]:
    """How many times the server with ``path`` as its ``--log`` was started and listed its
    tools: ``{"started": 1, "listed": 2}``."""
    lines = path.read_text().splitlines() if path.exists() else []
    return {event: lines.count(event) for event in ("started", "listed")}


@contextmanager
def http_tools() -> Iterator[McpServer]:
    """The server listening on a free port, for as long as the block lasts."""
    port = free_port()
    process = subprocess.Popen([sys.executable, str(SCRIPT), "http", str(port)])
    try:
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert process.poll() is None, "the MCP server did not start"
            assert time.monotonic() < deadline, "the MCP server did not listen in 30 s"
            time.sleep(0.05)
        yield McpServer(url=f"http://127.0.0.1:{port}/mcp")
    finally:
        process.terminate()
        process.wait(10)
