"""``agentcron mcp``: agentcron's tools for an MCP client (Claude Desktop, an IDE, an agent)."""

from __future__ import annotations


def mcp() -> None:
    """Serve agentcron to an MCP client on stdin/stdout, for the CLI's person
    (AGENTCRON_USER); see docs/mcp.md for a client's configuration."""
    from agentcron.cli._context import run_with_service  # noqa: PLC0415
    from agentcron.mcp.stdio import serve_stdio  # noqa: PLC0415 - the MCP SDK is heavy

    run_with_service(serve_stdio)
