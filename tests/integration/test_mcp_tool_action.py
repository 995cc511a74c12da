"""The mcp_tool action against a real MCP server (``tests/support/mcp_tools.py``): what is
refused when a task is made, what a run records, and how its failures are retried."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from agentcron.config import McpServer, Settings
from agentcron.errors import BatchError, InvalidInputError
from agentcron.service import TaskService
from agentcron.testing import FakeClock
from tests.support.engine_rig import Rig
from tests.support.mcp_tools_server import TOOLS, http_tools, logged, stdio_tools


@pytest.fixture(scope="module")
def http_server() -> Iterator[McpServer]:
    with http_tools() as server:
        yield server


@pytest.fixture(params=["stdio", "streamable-http"])
def tools_server(request: pytest.FixtureRequest, settings: Settings, tmp_path: Path) -> McpServer:
    """The test server as the configured server 'tools', over either transport."""
    server: McpServer = (
        stdio_tools(tmp_path / "log")
        if request.param == "stdio"
        else request.getfixturevalue("http_server")
    )
    settings.mcp_servers = {"tools": server}
    return server


@pytest.fixture
def over_http(settings: Settings, http_server: McpServer) -> None:
    settings.mcp_servers = {"tools": http_server}


@pytest.fixture
def rig(service: TaskService, clock: FakeClock, settings: Settings) -> Rig:
    return Rig(service, clock, settings, claim=True)


def calling(tool: str, title: str = "t", **options: Any) -> dict[str, Any]:
    """A task calling ``tool`` of 'tools' in a minute; ``arguments`` among the options."""
    arguments = options.pop("arguments", {})
    payload = {"server": "tools", "tool": tool, "arguments": arguments}
    return {"title": title, "when": "in 1 minute", "action": "mcp_tool", "payload": payload,
            **options}  # fmt: skip


# refused when made


@pytest.mark.usefixtures("over_http")
@pytest.mark.parametrize(
    ("payload", "refusal"),
    [
        (
            {"server": "weather", "tool": "greet"},
            "Unknown MCP server 'weather'; configured servers: tools.",
        ),
        (
            {"server": "tools", "tool": "gret", "arguments": {"name": "Ann"}},
            f"MCP server 'tools' has no tool 'gret'; its tools: {', '.join(TOOLS)}.",
        ),
        (
            {"server": "tools", "tool": "greet", "arguments": {"name": "Ann", "times": 5}},
            "The arguments do not fit tool 'greet' of MCP server 'tools' (arguments.times: 5 "
            "is greater than the maximum of 3); it takes name (required), times.",
        ),
        (
            {"server": "tools", "tool": "greet", "arguments": {"times": "2"}},
            "The arguments do not fit tool 'greet' of MCP server 'tools' (arguments: 'name' "
            "is a required property; arguments.times: '2' is not of type 'integer'); it "
            "takes name (required), times.",
        ),
        (
            {"server": "tools", "tool": "greet", "arguments": ["Ann"]},
            "Invalid mcp_tool payload (arguments: Input should be a valid dictionary).",
        ),
        (
            {"server": "tools", "tool": "greet", "args": {"name": "Ann"}},
            "Invalid mcp_tool payload (args: Extra inputs are not permitted).",
        ),
    ],
    ids=["server", "tool", "argument", "arguments", "form", "field"],
)
async def test_a_bad_server_tool_or_arguments_are_refused_at_creation(
    service: TaskService, payload: dict[str, Any], refusal: str
) -> None:
    request = {"title": "t", "when": "in 1 hour", "action": "mcp_tool", "payload": payload}
    with pytest.raises(InvalidInputError) as refused:
        await service.create("ann", request)
    assert refused.value.message == refusal
    assert await service.list_tasks("ann") == []


async def test_a_batch_asks_the_server_once_and_names_each_refusal(
    service: TaskService, settings: Settings, tmp_path: Path
) -> None:
    settings.mcp_servers = {"tools": stdio_tools(tmp_path / "log")}
    good = [calling("greet", "hello", arguments={"name": "Ann"}), calling("weather", "sky",
            arguments={"city": "Paris"})]  # fmt: skip
    bad = [
        calling("gret", "typo"),
        calling("greet", "loud", arguments={"name": "Ann", "times": 9}),
        calling("gret", "typo and no time") | {"when": "at no time"},
    ]
    with pytest.raises(BatchError) as refused:
        await service.create_many("ann", [*good, *bad])
    assert [index for index, _ in refused.value.problems] == [2, 3, 4]
    assert refused.value.message.startswith("3 of 5 requests are refused")  # each once
    assert "#3: MCP server 'tools' has no tool 'gret'" in refused.value.message
    assert "#4: The arguments do not fit tool 'greet'" in refused.value.message
    assert await service.list_tasks("ann") == []
    assert logged(tmp_path / "log") == {"started": 1, "listed": 1}  # one listing for five
    made = await service.create_many("ann", good * 3)
    assert [task.payload["tool"] for task in made] == ["greet", "weather"] * 3
    assert logged(tmp_path / "log")["listed"] == 2  # another call, another listing


@pytest.mark.usefixtures("over_http")
async def test_a_change_of_payload_or_action_is_checked_against_the_server(
    service: TaskService,
) -> None:
    task = await service.create(
        "ann", {"title": "t", "when": "in 1 hour", "payload": {"message": "hi"}}
    )  # a reminder
    payload = {"server": "tools", "tool": "greet", "arguments": {"name": "Ann", "times": 4}}
    with pytest.raises(InvalidInputError, match=r"arguments\.times: 4 is greater than"):
        await service.update("ann", task.id, {"action": "mcp_tool", "payload": payload})
    payload["arguments"] = {"name": "Ann", "times": 3}
    changed = await service.update("ann", task.id, {"action": "mcp_tool", "payload": payload})
    assert (changed.action, changed.payload["arguments"]["times"]) == ("mcp_tool", 3)
    with pytest.raises(
        InvalidInputError, match="has no tool 'weathr'; its tools: chart, fail, greet"
    ):
        await service.update("ann", task.id, {"payload": payload | {"tool": "weathr"}})
    assert (await service.get("ann", task.id)).payload == payload


async def test_an_unreachable_server_takes_the_task_with_a_warning_and_fails_its_run(
    rig: Rig, settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings.mcp_servers = {"tools": McpServer(command=str(tmp_path / "no-such-server"))}
    task = await rig.service.create("ann", calling("greet", max_attempts=2, backoff_seconds=5))
    (warning,) = [r for r in caplog.records if r.name == "agentcron.actions.mcp_tool"]
    assert warning.levelno == logging.WARNING
    assert warning.getMessage().startswith(
        "MCP server 'tools' could not be reached to check the task's tool (Client failed to "
        "connect: [Errno 2] No such file or directory"
    )
    assert warning.getMessage().endswith("its tool and arguments are checked when it runs")
    rig.clock.advance(timedelta(minutes=1))
    await rig.tick()
    (run,) = await rig.runs(task.id)
    assert run.status == "retrying"  # the server may be back for the next attempt
    assert (run.error or "").startswith(
        "attempt 1 of 2: Tool 'greet' of MCP server 'tools' could not be called: Client "
        "failed to connect: [Errno 2] No such file or directory"
    )


# runs


async def test_runs_record_the_text_and_the_structured_content(
    rig: Rig, tools_server: McpServer
) -> None:
    greet, weather = await rig.service.create_many(
        "ann",
        [
            calling("greet", arguments={"name": "Ann", "times": 2}),
            calling("weather", arguments={"city": "Paris"}),
        ],
    )
    rig.clock.advance(timedelta(minutes=1))
    await rig.tick()
    (greeted,) = await rig.runs(greet.id)
    assert (greeted.status, greeted.output) == ("succeeded", "Hello, Ann! Hello, Ann!")
    assert greeted.result == {"truncated": False}  # text only: no structured content
    (forecast,) = await rig.runs(weather.id)
    assert forecast.status == "succeeded"
    assert forecast.result == {
        "truncated": False,
        "structured_content": {"city": "Paris", "celsius": 21.5, "sky": "clear"},
    }
    assert '"sky": "clear"' in (forecast.output or "")  # the server's own text of it


@pytest.mark.usefixtures("over_http")
async def test_a_long_text_is_cut_and_other_content_is_named(rig: Rig) -> None:
    long, chart = await rig.service.create_many(
        "ann",
        [
            calling("repeat", arguments={"text": "ab", "times": 3000}),
            calling("chart", arguments={"points": 12}),
        ],
    )
    rig.clock.advance(timedelta(minutes=1))
    await rig.tick()
    (cut,) = await rig.runs(long.id)
    assert (cut.output, cut.result) == ("ab" * 2048, {"truncated": True})
    (pictured,) = await rig.runs(chart.id)
    assert pictured.output == "a chart of 12 points"
    assert pictured.result == {"truncated": False, "other_content": ["image"]}


@pytest.mark.usefixtures("over_http")
async def test_a_tool_error_is_retried_by_the_policy_then_fails_with_its_message(
    rig: Rig,
) -> None:
    task = await rig.service.create(
        "ann", calling("fail", arguments={"reason": "the disk is full"}, max_attempts=2)
    )
    said = "Tool 'fail' of MCP server 'tools' failed: Error executing tool fail: the disk is full"
    rig.clock.advance(timedelta(minutes=1))
    await rig.tick()
    (run,) = await rig.runs(task.id)
    assert (run.status, run.error) == ("retrying", f"attempt 1 of 2: {said}")
    rig.clock.set(run.not_before)
    await rig.tick()
    (run,) = await rig.runs(task.id)
    assert (run.status, run.attempt, run.error) == (
        "failed",
        2,
        f"gave up after 2 attempts: {said}",
    )
    attempts = await rig.service.run_attempts("ann", run.id)
    assert [a.status for a in attempts] == ["failed", "failed"]


@pytest.mark.usefixtures("over_http")
async def test_a_protocol_error_fails_the_run_in_the_server_s_words(rig: Rig) -> None:
    task = await rig.service.create(
        "ann", calling("refuse", arguments={"reason": "not on Sundays"}, max_attempts=1)
    )
    rig.clock.advance(timedelta(minutes=1))
    await rig.tick()
    (run,) = await rig.runs(task.id)
    assert (run.status, run.error) == (
        "failed",
        "gave up after 1 attempt: Tool 'refuse' of MCP server 'tools' could not be called: "
        "not on Sundays",
    )


async def test_the_task_timeout_bounds_a_call_and_the_next_run_still_works(
    rig: Rig, tools_server: McpServer
) -> None:
    slow, quick = await rig.service.create_many(
        "ann",
        [
            calling("wait", arguments={"seconds": 30}, max_attempts=1, timeout_seconds=1),
            calling("greet", arguments={"name": "Bob"}) | {"when": "in 2 minutes"},
        ],
    )
    rig.clock.advance(timedelta(minutes=1))
    await rig.tick()
    (timed_out,) = await rig.runs(slow.id)
    assert (timed_out.status, timed_out.error) == (
        "failed",
        "gave up after 1 attempt: timed out after 1 s",
    )
    rig.clock.advance(timedelta(minutes=1))
    await rig.tick()
    (after,) = await rig.runs(quick.id)
    assert (after.status, after.output) == ("succeeded", "Hello, Bob!")


async def test_one_server_process_serves_the_listing_and_runs_at_the_same_time(
    rig: Rig, settings: Settings, tmp_path: Path
) -> None:
    settings.mcp_servers = {"tools": stdio_tools(tmp_path / "log")}
    tasks = await rig.service.create_many(
        "ann", [calling("wait", f"w{i}", arguments={"seconds": 0.5}) for i in range(3)]
    )
    assert logged(tmp_path / "log") == {"started": 1, "listed": 1}  # when they were made
    rig.clock.advance(timedelta(minutes=1))
    await rig.scheduler.run_pass()
    await rig.executor.drain(concurrently=True)
    outputs = [(await rig.runs(task.id))[0].output for task in tasks]
    assert outputs == ["waited 0.5 s"] * 3
    assert logged(tmp_path / "log")["started"] == 1  # not one process per run
