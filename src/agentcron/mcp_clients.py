"""Connections to the MCP servers the operator configured (``mcp_servers``), shared by the
agent's tools (``agentcron.agent.mcp``) and the ``mcp_tool`` action.

A server is reached over stdio (a command) or streamable HTTP (a URL), through pydantic-ai's
MCPToolset (a fastmcp Client underneath). Runs of one event loop share one toolset per
server, whichever kind of run they are: a burst of runs that use a server opens one
connection (one process, for stdio) rather than one per run. The toolset connects when the
first run enters it and disconnects when the last one leaves, so a server that died is
started afresh for the next runs.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from agentcron.config import McpServer, Settings
from agentcron.errors import InvalidInputError

# Toolsets by event loop (their locks and sessions belong to one), then by server and its
# configuration.
_SHARED: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str], Any]] = (
    weakref.WeakKeyDictionary()
)


def unknown_server(settings: Settings, server: str, where: str = "") -> InvalidInputError:
    """The refusal of a server the operator did not configure, naming those they did."""
    known = ", ".join(sorted(settings.mcp_servers)) or "none are configured"
    return InvalidInputError(f"Unknown MCP server '{server}'{where}; configured servers: {known}.")


def shared_toolset(settings: Settings, server: str) -> Any:
    """The running event loop's MCPToolset of the configured ``server`` (made on first use;
    enter it with ``async with`` around each use)."""
    from pydantic_ai.mcp import MCPToolset  # noqa: PLC0415 - slow to import; only when used

    config = settings.mcp_servers.get(server)
    if config is None:
        raise unknown_server(settings, server)
    shared = _SHARED.setdefault(asyncio.get_running_loop(), {})
    key = (server, config.model_dump_json())
    if key not in shared:
        shared[key] = MCPToolset(_client(config), id=f"mcp-{server}")
    return shared[key]


def _client(server: McpServer) -> Any:
    if server.url:
        return server.url
    from fastmcp import Client  # noqa: PLC0415
    from fastmcp.client.transports import StdioTransport  # noqa: PLC0415

    assert server.command is not None  # the settings check that one of the two is given
    return Client(StdioTransport(server.command, list(server.args), env=server.env))
