"""A small MCP server for the ``mcp_tool`` tests: tools that answer text (short, long, or
with a picture), one that answers structured content, one that fails (a tool error), one
whose call is a protocol error, and one that takes its time.

``python mcp_tools.py`` serves over stdio; ``python mcp_tools.py http PORT`` over streamable
HTTP at ``http://127.0.0.1:PORT/mcp``. With ``--log FILE`` first, the server adds a line
to FILE when it starts ("started") and each time it is asked for its tools ("listed").
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated, Any, TypedDict

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.utilities.types import Image
from mcp.shared.exceptions import MCPError
from pydantic import Field

LOG: Path | None = None


def note(event: str) -> None:
    if LOG is not None:
        with LOG.open("a") as log:
            log.write(f"{event}\n")


class Tools(MCPServer):
    async def list_tools(self) -> Any:
        note("listed")
        return await super().list_tools()


server = Tools("tools", log_level="WARNING")


@server.tool(structured_output=False)
def greet(name: str, times: Annotated[int, Field(ge=1, le=3)] = 1) -> str:
    """Greet someone, up to three times (text only)."""
    return " ".join([f"Hello, {name}!"] * times)


@server.tool(structured_output=False)
def repeat(text: str, times: int) -> str:
    """The text, so many times over."""
    return text * times


@server.tool(structured_output=False)
def chart(points: int) -> list[Any]:
    """A caption, and a picture of the chart."""
    return [f"a chart of {points} points", Image(data=b"\x89PNG\r\n\x1a\n", format="png")]


class Weather(TypedDict):
    city: str
    celsius: float
    sky: str


@server.tool()
def weather(city: str) -> Weather:
    """Today's weather in a city (structured content, and its JSON as text)."""
    return {"city": city, "celsius": 21.5, "sky": "clear"}


@server.tool()
def fail(reason: str) -> str:
    """Always fail, saying why (a result marked as an error)."""
    raise ToolError(reason)


@server.tool()
def refuse(reason: str) -> str:
    """Always answer the call with a JSON-RPC error instead of a result."""
    raise MCPError(-32000, reason)


@server.tool(structured_output=False)
async def wait(seconds: float) -> str:
    """Answer after a while."""
    await asyncio.sleep(seconds)
    return f"waited {seconds:g} s"


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[:1] == ["--log"]:
        LOG = Path(arguments[1])
        note("started")
        arguments = arguments[2:]
    if arguments[:1] == ["http"]:
        server.run("streamable-http", host="127.0.0.1", port=int(arguments[1]))
    else:
        server.run("stdio")
