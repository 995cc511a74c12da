"""A small MCP server for tests: two tools, one of which tasks are not allowed.

``python mcp_prices.py`` serves over stdio; ``python mcp_prices.py http PORT`` over
streamable HTTP at ``http://127.0.0.1:PORT/mcp``.
"""

from __future__ import annotations

import os
import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("prices", log_level="WARNING")


@server.tool()
def get_price(symbol: str) -> str:
    """The current price of a symbol."""
    return f"{symbol.upper()} is at 49800 USD (server process {os.getpid()})"


@server.tool()
def place_order(symbol: str, amount: float) -> str:
    """Buy something (never allowed in the tests)."""
    return f"bought {amount} {symbol}"


if __name__ == "__main__":
    if sys.argv[1:2] == ["http"]:
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run("stdio")
