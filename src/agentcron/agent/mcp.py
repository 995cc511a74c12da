"""Tools of MCP servers named in the configuration, offered to a task's agent by allow-list.

A task lists what it may use as ``server`` (all of that server's tools) or
``server:tool``; the agent sees them as ``server_tool``. The connections are those of
``agentcron.mcp_clients``: runs of one event loop share one per server.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentcron.config import Settings
from agentcron.mcp_clients import shared_toolset, unknown_server


def check_allowed(settings: Settings, allowed: Sequence[str]) -> None:
    """Refuse entries naming servers the operator did not configure."""
    for entry in allowed:
        server = entry.partition(":")[0]
        if server not in settings.mcp_servers:
            raise unknown_server(settings, server, f" in '{entry}'")


def mcp_toolsets(settings: Settings, allowed: Sequence[str]) -> list[Any]:
    """One toolset per allowed server, showing only the allowed tools, prefixed by server."""
    if not allowed:
        return []
    check_allowed(settings, allowed)
    whole = {entry for entry in allowed if ":" not in entry}
    named: dict[str, set[str]] = {}
    for entry in allowed:
        server, _, tool = entry.partition(":")
        if tool:
            named.setdefault(server, set()).add(tool)
    toolsets = []
    for server in dict.fromkeys(entry.partition(":")[0] for entry in allowed):
        toolset: Any = shared_toolset(settings, server)
        if server not in whole:
            names = named[server]
            toolset = toolset.filtered(lambda ctx, tool, names=names: tool.name in names)
        toolsets.append(toolset.prefixed(server))
    return toolsets
