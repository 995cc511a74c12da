"""A small MCP server (stdio) for tests: two tools, one of which tasks are not allowed."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

server = MCPServer("prices", log_level="WARNING")


@server.tool()
def get_price(symbol: str) -> str:
    """The current price of a symbol."""
    return f"{symbol.upper()} is at 49800 USD"


@server.tool()
def place_order(symbol: str, amount: float) -> str:
    """Buy something (never allowed in the tests)."""
    return f"bought {amount} {symbol}"


if __name__ == "__main__":
    server.run("stdio")
