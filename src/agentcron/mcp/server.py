"""The MCP server: agentcron's tools and its upcoming-runs resource, each request acting for
whom the transport's resolver says."""

from __future__ import annotations

import logging
from typing import Any, Literal, get_args

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.resources import FunctionResource

from agentcron import __version__
from agentcron.mcp.acting import ActingMiddleware, Resolver
from agentcron.mcp.tools import add_tools
from agentcron.mcp.upcoming import URI, read_upcoming
from agentcron.secrets import MaskingFilter

INSTRUCTIONS = (
    "agentcron schedules tasks that fire on time: reminders, agent runs, HTTP calls. Use "
    "schedule_task with a 'when' in plain words ('tomorrow at 6pm', 'every weekday at 8:30', "
    "'in 20 minutes'); preview_schedule checks one first. A refused call says why in words: "
    "correct the argument it names and call again. Ids are the person's own."
)

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


def build_server(resolve: Resolver, log_level: str = "WARNING") -> MCPServer[Any]:
    """The server, on any transport: ``resolve`` says who each request acts for."""
    level: LogLevel = next((name for name in get_args(LogLevel) if name == log_level), "WARNING")
    root = logging.getLogger()
    before = list(root.handlers)
    server: MCPServer[Any] = MCPServer(
        "agentcron",
        title="agentcron",
        instructions=INSTRUCTIONS,
        version=__version__,
        log_level=level,
        middleware=[ActingMiddleware(resolve)],
    )
    for handler in root.handlers:  # the SDK gives the root logger one when it has none
        if handler not in before:
            handler.addFilter(MaskingFilter())
    add_tools(server)
    server.add_resource(
        FunctionResource.from_function(
            read_upcoming,
            uri=URI,
            name="upcoming",
            title="Upcoming runs",
            description=(
                "The next runs of your active tasks within 7 days, soonest first (at most "
                "100), as JSON: task_id, title, action, at (UTC), local_time, schedule."
            ),
            mime_type="application/json",
        )
    )
    return server
