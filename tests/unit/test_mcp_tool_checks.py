"""The mcp_tool action's checks that need no server: its payload's form, the configured
server, and arguments read against a tool's input schema."""

from __future__ import annotations

from typing import Any

import pytest

from agentcron.actions import ActionRegistry
from agentcron.actions.catalog import describe
from agentcron.actions.mcp_tool import McpToolPayload, argument_problems, check_call
from agentcron.config import Settings
from agentcron.errors import InvalidInputError

SETTINGS = Settings(mcp_servers={"time": {"url": "http://127.0.0.1:9/mcp"}})

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "timezone": {"type": "string"},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
        "when": {
            "type": "object",
            "properties": {"hour": {"type": "integer"}},
            "additionalProperties": False,
        },
        "tags": {"type": "array", "items": {"type": "string"}},
        "unit": {"enum": ["C", "F"]},
    },
    "required": ["timezone"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    ("arguments", "problems"),
    [
        ({"timezone": "Europe/Paris"}, []),
        ({"timezone": "UTC", "days": 7, "when": {"hour": 9}, "tags": ["a"], "unit": "F"}, []),
        ({}, ["arguments: 'timezone' is a required property"]),
        ({"timezone": 3}, ["arguments.timezone: 3 is not of type 'string'"]),
        ({"timezone": "UTC", "days": 0}, ["arguments.days: 0 is less than the minimum of 1"]),
        ({"timezone": "UTC", "when": {"hour": "9"}},
         ["arguments.when.hour: '9' is not of type 'integer'"]),
        ({"timezone": "UTC", "tags": ["a", 2]}, ["arguments.tags[1]: 2 is not of type 'string'"]),
        ({"timezone": "UTC", "unit": "K"}, ["arguments.unit: 'K' is not one of ['C', 'F']"]),
        ({"timezone": "UTC", "colour": "red"},
         ["arguments: Additional properties are not allowed ('colour' was unexpected)"]),
        ({"days": 9, "timezone": None}, ["arguments.days: 9 is greater than the maximum of 7",
                                         "arguments.timezone: None is not of type 'string'"]),
    ],
)  # fmt: skip
def test_arguments_are_read_against_the_input_schema_naming_each_field(
    arguments: dict[str, Any], problems: list[str]
) -> None:
    assert argument_problems(SCHEMA, arguments) == problems


def test_a_long_value_is_not_quoted_whole() -> None:
    (problem,) = argument_problems(SCHEMA, {"timezone": "x" * 1000, "unit": "y" * 1000})
    assert problem.startswith("arguments.unit: 'yyy")
    assert len(problem) < 250


def test_a_broken_schema_of_the_server_leaves_the_judgement_to_it() -> None:
    assert argument_problems({"type": "no such type"}, {"anything": 1}) == []


def test_an_unknown_tool_is_refused_naming_the_server_s_tools() -> None:
    call = McpToolPayload(server="time", tool="get_time", arguments={})
    tools = {"get_current_time": SCHEMA, "convert_time": {"type": "object"}}
    with pytest.raises(InvalidInputError) as refused:
        check_call(call, tools)
    assert refused.value.message == (
        "MCP server 'time' has no tool 'get_time'; its tools: convert_time, get_current_time."
    )


def test_arguments_that_do_not_fit_are_refused_saying_what_the_tool_takes() -> None:
    call = McpToolPayload(server="time", tool="get_current_time", arguments={"days": "2"})
    with pytest.raises(InvalidInputError) as refused:
        check_call(call, {"get_current_time": SCHEMA})
    assert refused.value.message == (
        "The arguments do not fit tool 'get_current_time' of MCP server 'time' (arguments: "
        "'timezone' is a required property; arguments.days: '2' is not of type 'integer'); "
        "it takes timezone (required), days, when, tags, unit."
    )
    many = McpToolPayload(
        server="time", tool="t", arguments={"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}
    )
    strings = {"type": "object", "additionalProperties": {"type": "string"}}
    with pytest.raises(InvalidInputError) as refused:
        check_call(many, {"t": strings})
    assert refused.value.message.endswith(
        "arguments.c: 3 is not of type 'string'; and 2 more); it takes no arguments."
    )


def test_a_server_not_configured_is_refused_without_asking_anyone() -> None:
    action = ActionRegistry.load(SETTINGS).get("mcp_tool")
    with pytest.raises(InvalidInputError) as refused:
        action.validate({"server": "weather", "tool": "now"})
    assert refused.value.message == "Unknown MCP server 'weather'; configured servers: time."
    empty = ActionRegistry.load(Settings()).get("mcp_tool")
    with pytest.raises(InvalidInputError, match="configured servers: none are configured"):
        empty.validate({"server": "time", "tool": "now"})


def test_the_example_is_a_payload_it_takes_and_every_field_is_described() -> None:
    registry = ActionRegistry.load(SETTINGS)
    action = registry.get("mcp_tool")
    view = describe(action, registry.source("mcp_tool"))
    assert view.source.built_in
    assert action.validate(view.example) == view.example
    assert [(f.name, f.kind, f.required) for f in view.fields] == [
        ("server", "string", True),
        ("tool", "string", True),
        ("arguments", "object", False),
    ]
    assert all(field.description for field in view.fields)
    assert action.validate({"server": "time", "tool": "now"})["arguments"] == {}
    assert action.defaults == {"notify_policy": "failure"}
