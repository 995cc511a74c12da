"""Tools of MCP servers named in the configuration, offered to a task's agent by allow-list.

A task lists what it may use as ``server`` (all of that server's tools) or
``server:tool``; the agent sees them as ``server_tool``. Servers are reached over
stdio (a command) or streamable HTTP (a URL), through pydantic-ai's MCPToolset.

Runs of one event loop share one toolset per server: a burst of runs that use a server
opens one connection (one process, for stdio) rather than one per run. The toolset
connects when the first run enters it and disconnects when the last one leaves, so a
server that died is started afresh for the next runs.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Sequence
from typing import Any

from agentcron.config import McpServer, Settings
from agentcron.errors import InvalidInputError

# Toolsets by event loop (their locks and sessions belong to one), then by server and its
# configuration.
_SHARED: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str], Any]] = (
    weakref.WeakKeyDictionary()
)


def check_allowed(settings: Settings, allowed: Sequence[str]) -> None:
    """Refuse entries naming servers the operator did not configure."""
    for entry in allowed:
        server = entry.partition(":")[0]
        if server not in settings.mcp_servers:
            known = ", ".join(sorted(settings.mcp_servers)) or "none are configured"
            raise InvalidInputError(
                f"Unknown MCP server '{server}' in '{entry}'; configured servers: {known}."
            )


def mcp_toolsets(settings: Settings, allowed: Sequence[str]) -> list[Any]:
    """One toolset per allowed server, showing only the allowed tools, prefixed by server."""
    if not allowed:
        return []
    from pydantic_ai.mcp import MCPToolset  # noqa: PLC0415 - slow to import; only when used

    check_allowed(settings, allowed)
    whole = {entry for entry in allowed if ":" not in entry}
    named: dict[str, set[str]] = {}
    for entry in allowed:
        server, _, tool = entry.partition(":")
        if tool:
            named.setdefault(server, set()).add(tool)
    shared = _SHARED.setdefault(asyncio.get_running_loop(), {})
    toolsets = []
    for server in dict.fromkeys(entry.partition(":")[0] for entry in allowed):
        config = settings.mcp_servers[server]
        key = (server, config.model_dump_json())
        if key not in shared:
            shared[key] = MCPToolset(_client(config), id=f"mcp-{server}")
        toolset: Any = shared[key]
        if server not in whole:
            names = named[server]
            toolset = toolset.filtered(lambda ctx, tool, names=names: tool.name in names)
        toolsets.append(toolset.prefixed(server))
    return toolsets


def _client(server: McpServer) -> Any:
    if server.url:
        return server.url
    from fastmcp import Client  # noqa: PLC0415
    from fastmcp.client.transports import StdioTransport  # noqa: PLC0415

    assert server.command is not None  # the settings check that one of the two is given
    return Client(StdioTransport(server.command, list(server.args), env=server.env))
