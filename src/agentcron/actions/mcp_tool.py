"""``mcp_tool``: call one tool of a configured MCP server with fixed arguments, no model.

A task is refused at creation when its server is not configured (``check``) and, when the
server answers, when it has no such tool or the arguments do not fit the tool's input
schema (``confirm``). A server that cannot be reached then (down for a moment, or slow to
start) does not refuse the task: a warning is logged, and the server's own answer at run
time is what counts. Runs share the connections of ``agentcron.mcp_clients`` with agent
runs. A tool's error, a protocol error or a server out of reach fails the run, and the
task's retry policy applies.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentcron.abc import Action, ActionContext, ActionResult
from agentcron.errors import ActionFailed, InvalidInputError
from agentcron.mcp_clients import shared_toolset, unknown_server
from agentcron.secrets import mask_text

MAX_TEXT_RECORDED = 4096
MAX_STRUCTURED_RECORDED = 65536
"""Bytes of a run's structured content kept (as JSON); more is left out, its size said."""
LISTING_SECONDS = 30.0
"""How long creating a task waits for a server's list of tools before taking the task
unchecked: a task's default timeout, for a stdio server may take seconds to start."""
MAX_PROBLEMS_SAID = 3

log = logging.getLogger("agentcron.actions.mcp_tool")


class McpToolPayload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    server: str = Field(
        min_length=1, description="an MCP server of the configuration (AGENTCRON_MCP_SERVERS)"
    )
    tool: str = Field(
        min_length=1, description="the tool to call (checked when the server can be reached)"
    )
    arguments: dict[str, Any] = Field(
        default_factory=dict,
        description="the tool's arguments, the same on every run (checked against its "
        "input schema when the server can be reached)",
    )


class McpToolAction(Action):
    """Call one tool of an MCP server with fixed arguments; its text and structured content
    are recorded."""

    name: ClassVar[str] = "mcp_tool"
    payload_model = McpToolPayload
    summary: ClassVar[str] = (
        "Call one tool of a configured MCP server with fixed arguments (no model); its "
        "output is recorded."
    )
    payload_example: ClassVar[Mapping[str, Any]] = {
        "server": "time",
        "tool": "get_current_time",
        "arguments": {"timezone": "Europe/Paris"},
    }
    defaults: ClassVar[Mapping[str, Any]] = {"notify_policy": "failure"}  # told when it fails

    def check(self, payload: BaseModel) -> None:
        assert isinstance(payload, McpToolPayload)
        if payload.server not in self.settings.mcp_servers:
            raise unknown_server(self.settings, payload.server)

    async def confirm(self, payload: dict[str, Any], seen: dict[str, Any]) -> None:
        try:
            call = McpToolPayload.model_validate(payload)
        except ValidationError:
            return  # validate refuses it, in its words
        if call.server not in self.settings.mcp_servers:
            return  # check refuses it
        key = f"{self.name}:{call.server}"
        if key not in seen:
            seen[key] = await self._tools(call.server)
        tools: dict[str, dict[str, Any]] | None = seen[key]
        if tools is not None:
            check_call(call, tools)

    async def _tools(self, server: str) -> dict[str, dict[str, Any]] | None:
        """The server's tools with their input schemas, or None when it cannot be reached."""
        try:
            async with asyncio.timeout(LISTING_SECONDS):
                toolset = shared_toolset(self.settings, server)
                async with toolset:
                    listed = await toolset.list_tools()
        except Exception as error:  # any failure to reach it: the task is taken unchecked
            log.warning(
                "MCP server '%s' could not be reached to check the task's tool (%s); the task "
                "is taken, and its tool and arguments are checked when it runs",
                server,
                _in_words(error),
                extra={"mcp_server": server},
            )
            return None
        return {tool.name: dict(tool.input_schema or {}) for tool in listed}

    async def run(self, context: ActionContext) -> ActionResult:
        call = McpToolPayload.model_validate(context.payload)
        self.check(call)  # the server may have left the configuration since
        where = f"Tool '{call.tool}' of MCP server '{call.server}'"
        toolset = shared_toolset(self.settings, call.server)
        try:
            async with toolset:
                # the raw result: its content blocks, structured content and error flag as sent
                result = await toolset.client.call_tool_mcp(call.tool, call.arguments)
        except Exception as error:  # not reached, or a protocol error: may work next time
            raise ActionFailed(f"{where} could not be called: {_in_words(error)}") from None
        texts = [block.text for block in result.content if block.type == "text"]
        text = "\n".join(texts)
        if result.is_error:
            raise ActionFailed(mask_text(f"{where} failed: {text[:500] or 'no message given'}"))
        output, recorded = text, dict[str, Any]()
        if result.structured_content is not None:
            encoded = json.dumps(result.structured_content, ensure_ascii=False)
            size = len(encoded.encode())
            if size <= MAX_STRUCTURED_RECORDED:
                recorded["structured_content"] = result.structured_content
            else:
                recorded["structured_content_bytes"] = size
            output = output or encoded  # no text: the structured content is what it said
        if others := sorted({block.type for block in result.content if block.type != "text"}):
            recorded["other_content"] = others  # images, resources: named, not kept
        recorded["truncated"] = len(output) > MAX_TEXT_RECORDED
        return ActionResult(output=output[:MAX_TEXT_RECORDED], result=recorded)


def check_call(call: McpToolPayload, tools: Mapping[str, dict[str, Any]]) -> None:
    """Refuse a tool the server does not have, or arguments its input schema refuses."""
    schema = tools.get(call.tool)
    if schema is None:
        listed = ", ".join(sorted(tools)) or "none"
        raise InvalidInputError(
            f"MCP server '{call.server}' has no tool '{call.tool}'; its tools: {listed}."
        )
    problems = argument_problems(schema, call.arguments)
    if problems:
        said = "; ".join(problems[:MAX_PROBLEMS_SAID])
        more = len(problems) - MAX_PROBLEMS_SAID
        raise InvalidInputError(
            f"The arguments do not fit tool '{call.tool}' of MCP server '{call.server}' "
            f"({said}{f'; and {more} more' if more > 0 else ''}); {_takes(schema)}."
        )


def argument_problems(schema: dict[str, Any], arguments: dict[str, Any]) -> list[str]:
    """What ``arguments`` break of the JSON schema, each naming its field; none when the
    server's schema is itself broken (the server judges at run time)."""
    from jsonschema import SchemaError, validators  # type: ignore[import-untyped]  # noqa: PLC0415

    checker = validators.validator_for(schema)
    try:
        checker.check_schema(schema)
    except SchemaError:
        return []
    found = sorted(checker(schema).iter_errors(arguments), key=lambda e: [*map(str, e.path)])
    return [f"{_field(error.path)}: {_short(error.message)}" for error in found]


def _field(path: Any) -> str:
    """``arguments.when.hour``, ``arguments.items[2]``: where in the payload."""
    return "arguments" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _takes(schema: dict[str, Any]) -> str:
    """The tool's arguments in words: 'it takes timezone (required), format'."""
    required = set(schema.get("required", []))
    names = [
        f"{name} (required)" if name in required else name for name in schema.get("properties", {})
    ]
    return f"it takes {', '.join(names)}" if names else "it takes no arguments"


def _short(message: str) -> str:
    """A problem said in at most 200 characters (a message may quote a long value)."""
    return message if len(message) <= 200 else message[:199] + "…"


def _in_words(error: BaseException) -> str:
    """An error from reaching a server, as a person reads it (a group: its first leaf),
    masked: it may quote the server's URL."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    if isinstance(error, TimeoutError):
        return "no answer in time"
    return mask_text(str(error) or type(error).__name__)
