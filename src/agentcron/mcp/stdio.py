"""``agentcron mcp``: the server on stdin and stdout, for the CLI's person. The process is
one client's connection, so it is one session."""

from __future__ import annotations

import uuid
from typing import Any

from mcp.server.context import ServerRequestContext

from agentcron.mcp.acting import Acting
from agentcron.mcp.server import build_server
from agentcron.service import TaskService


async def serve_stdio(service: TaskService, owner: str) -> None:
    """Serve until the client closes stdin."""
    who = Acting(service, owner, session=uuid.uuid4().hex)

    async def resolve(_ctx: ServerRequestContext[Any, Any]) -> Acting:
        return who

    await build_server(resolve, service.settings.log_level).run_stdio_async()
