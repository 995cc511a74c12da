"""agentcron as an MCP server, driven by the official ``mcp`` client on both transports:
``agentcron mcp`` on stdio (a subprocess, for the CLI's person) and streamable HTTP at
``agentcron api``'s ``/mcp`` (uvicorn in a subprocess, for the API key's person). A task
scheduled through a tool fires under ``serve --once`` and its run is read back by tools."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult, TextResourceContents

from tests.acceptance.test_cli_schedule import agentcron
from tests.support.api_server import Api, Server, api_serving

pytestmark = pytest.mark.xdist_group("mcp")

TOOLS = {
    "schedule_task", "list_tasks", "get_task", "update_task", "pause_task", "resume_task",
    "cancel_task", "run_task_now", "list_runs", "get_run", "preview_schedule",
}  # fmt: skip
Connect = Callable[..., AbstractAsyncContextManager[Client]]


@dataclass
class Door:
    """One transport: how to open a client session, the store's environment (for ``serve
    --once``), and whose tasks the tools see."""

    name: str
    connect: Connect
    env: dict[str, str]
    owner: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("mcp-api")
    env = {"AGENTCRON_HOME": str(home), "AGENTCRON_TIMEZONE": "Europe/Paris"}
    with api_serving(env, home / "api.log") as served:
        yield served


def over_stdio(env: dict[str, str]) -> Connect:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCRON_")}
    parameters = StdioServerParameters(
        command=sys.executable, args=["-m", "agentcron", "mcp"], env=environment | env
    )

    def connect(**options: Any) -> AbstractAsyncContextManager[Client]:
        return Client(parameters, **options)

    return connect


def over_http(url: str, key: str) -> Connect:
    @asynccontextmanager
    async def connect(**options: Any) -> AsyncIterator[Client]:
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}) as http:
            transport = streamable_http_client(f"{url}/mcp", http_client=http)
            async with Client(transport, **options) as client:
                yield client

    return connect


@pytest.fixture(params=["stdio", "http"])
def door(request: pytest.FixtureRequest, tmp_path: Path) -> Door:
    if request.param == "stdio":
        env = {"AGENTCRON_HOME": str(tmp_path), "AGENTCRON_TIMEZONE": "Europe/Paris"}
        return Door("stdio", over_stdio(env), env, "local")
    served: Server = request.getfixturevalue("server")
    api = Api(served.env, served.url, served.log)
    return Door("http", over_http(served.url, api.keys["ann"]), served.env, api.people["ann"])


def answer(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    return result.structured_content


def refusal(result: CallToolResult) -> str:
    assert result.is_error
    (text,) = result.content
    assert text.type == "text"
    assert "Traceback" not in text.text
    return text.text


async def test_the_tools_are_listed_with_what_a_model_needs(door: Door) -> None:
    async with door.connect() as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.description, tool.name
        assert len(tool.description) > 40, tool.name
        assert tool.input_schema["type"] == "object", tool.name
    schedule = tools["schedule_task"]
    assert {"title", "when"} <= set(schedule.input_schema["required"])
    assert "every weekday at 8:30" in (schedule.description or "")
    assert {"timezone", "action", "payload", "max_attempts", "notify"} <= set(
        schedule.input_schema["properties"]
    )


async def test_a_task_scheduled_by_a_tool_fires_and_its_run_is_read_back(door: Door) -> None:
    async with door.connect() as client:
        task = answer(
            await client.call_tool("schedule_task", {"title": "Stretch", "when": "in 2 seconds"})
        )
        assert (task["title"], task["status"], task["action"]) == ("Stretch", "active", "reminder")
        assert (task["owner_id"], task["payload"], task["created"]) == (
            door.owner, {"message": "Stretch"}, True
        )  # fmt: skip
        due = datetime.fromisoformat(task["next_run_at"]).timestamp()
        await asyncio.sleep(max(0.0, due - time.time() + 0.2))
        once = await asyncio.to_thread(agentcron, "serve", "--once", env=door.env)
        assert once.returncode == 0, once.stderr
        runs = answer(await client.call_tool("list_runs", {"task_id": task["id"]}))["runs"]
        assert [(run["status"], run["output"]) for run in runs] == [("succeeded", "Stretch")]
        run = answer(await client.call_tool("get_run", {"run_id": runs[0]["id"]}))
        assert (run["task_id"], run["status"], run["output"]) == (
            task["id"],
            "succeeded",
            "Stretch",
        )
        assert [attempt["status"] for attempt in run["attempts"]] == ["succeeded"]
        again = answer(await client.call_tool("get_task", {"task_id": task["id"]}))
        assert (again["status"], again["last_run"]["status"]) == ("completed", "succeeded")


async def test_a_bad_request_is_a_tool_error_in_words_and_makes_nothing(door: Door) -> None:
    async with door.connect() as client:
        bad = await client.call_tool(
            "schedule_task", {"title": "Gym", "when": "every day at 7 please"}
        )
        assert refusal(bad).startswith("Could not understand 'please' in 'every day at 7 please'.")
        zone = await client.call_tool(
            "schedule_task", {"title": "Gym", "when": "every day at 7", "timezone": "Mars/Olympus"}
        )
        assert "Mars/Olympus" in refusal(zone)
        past = await client.call_tool("schedule_task", {"title": "Gym", "when": "2020-01-01 09:00"})
        assert refusal(past)
        payload = await client.call_tool(
            "schedule_task", {"title": "Hook", "when": "in 1 hour", "action": "http", "payload": {}}
        )
        assert "url" in refusal(payload)
        missing = await client.call_tool("get_task", {"task_id": 987654321})
        assert refusal(missing).startswith("There is no task 987654321")
        assert answer(await client.call_tool("list_tasks", {}))["tasks"] == []


async def test_a_repeated_call_in_one_session_makes_one_task(door: Door) -> None:
    request = {"title": "Call mom", "when": "tomorrow at 6pm"}
    # Sessions are the handshake's: the 2026-07-28 revision over HTTP has none.
    async with door.connect(mode="legacy") as client:
        first = answer(await client.call_tool("schedule_task", request))
        second = answer(await client.call_tool("schedule_task", request))
    assert (first["created"], second["created"], second["id"]) == (True, False, first["id"])
    async with door.connect(mode="legacy") as client:
        other = answer(await client.call_tool("schedule_task", request))
        assert (other["created"], other["id"] != first["id"]) == (True, True)
        listed = answer(await client.call_tool("list_tasks", {"text": "Call mom"}))["tasks"]
    assert sorted(task["id"] for task in listed) == sorted([first["id"], other["id"]])


@pytest.fixture
def api(server: Server) -> Api:
    return Api(server.env, server.url, server.log)


async def test_over_http_without_a_session_a_repeat_by_the_same_key_is_one_task(
    server: Server, api: Api
) -> None:
    """The client's default, the 2026-07-28 revision, keeps no session over HTTP: a retried
    call with the same key (within the repeat window) still makes one task."""
    connect = over_http(server.url, api.keys["ann"])
    request = {"title": "Renew passport", "when": "in 5 days"}
    async with connect() as client:
        first = answer(await client.call_tool("schedule_task", request))
        again = answer(await client.call_tool("schedule_task", request))
    async with connect() as client:  # a new connection, the same key: the same retry
        later = answer(await client.call_tool("schedule_task", request))
    assert (first["created"], again["created"], later["created"]) == (True, False, False)
    assert again["id"] == later["id"] == first["id"]
    async with over_http(server.url, api.keys["bob"])() as client:  # another person
        theirs = answer(await client.call_tool("schedule_task", request))
    assert theirs["created"]


async def test_an_idempotency_key_holds_across_sessions(door: Door) -> None:
    request = {"title": "Water plants", "when": "every sunday at 10", "idempotency_key": "plants"}
    async with door.connect() as client:
        first = answer(await client.call_tool("schedule_task", request))
    async with door.connect() as client:
        again = answer(await client.call_tool("schedule_task", request))
    assert (again["id"], again["created"]) == (first["id"], False)


async def test_the_upcoming_runs_resource_lists_the_person_s_next_runs(door: Door) -> None:
    async with door.connect() as client:
        later = answer(
            await client.call_tool("schedule_task", {"title": "Later", "when": "in 3 hours"})
        )
        soon = answer(
            await client.call_tool("schedule_task", {"title": "Soon", "when": "every day at 9"})
        )
        resources = (await client.list_resources()).resources
        assert [str(resource.uri) for resource in resources] == ["agentcron://upcoming"]
        read = await client.read_resource("agentcron://upcoming")
    (content,) = read.contents
    assert isinstance(content, TextResourceContents)
    upcoming = json.loads(content.text)["upcoming"]
    ats = [item["at"] for item in upcoming]
    assert ats == sorted(ats)
    assert {later["id"], soon["id"]} <= {item["task_id"] for item in upcoming}
    assert [item["title"] for item in upcoming].count("Soon") == 7


async def test_the_other_tools_change_and_preview(door: Door) -> None:
    async with door.connect() as client:
        task = answer(
            await client.call_tool("schedule_task", {"title": "Tea", "when": "in 1 hour"})
        )
        ident = {"task_id": task["id"]}
        changed = answer(
            await client.call_tool(
                "update_task", {**ident, "title": "Green tea", "when": "every day at 16"}
            )
        )
        assert (changed["title"], changed["schedule_kind"]) == ("Green tea", "rrule")
        assert answer(await client.call_tool("pause_task", ident))["status"] == "paused"
        assert answer(await client.call_tool("resume_task", ident))["status"] == "active"
        run = answer(await client.call_tool("run_task_now", ident))
        assert (run["task_id"], run["trigger"], run["status"]) == (task["id"], "manual", "queued")
        assert answer(await client.call_tool("cancel_task", ident))["status"] == "cancelled"
        ended = await client.call_tool("pause_task", ident)
        assert "cancelled" in refusal(ended)
        preview = answer(
            await client.call_tool(
                "preview_schedule", {"when": "every weekday at 8:30", "count": 3}
            )
        )
    assert (preview["kind"], preview["timezone"], len(preview["next"])) == (
        "rrule",
        "Europe/Paris",
        3,
    )


async def test_payload_secrets_are_masked_as_the_api_masks_them(door: Door) -> None:
    hook = {
        "url": "https://hooks.example.com/report?token=SecretToken123",
        "headers": {"Authorization": "Bearer SecretHeader456"},
    }
    async with door.connect() as client:
        made = await client.call_tool(
            "schedule_task",
            {"title": "Report", "when": "in 1 hour", "action": "http", "payload": hook},
        )
        shown = await client.call_tool("get_task", {"task_id": answer(made)["id"]})
    for result in (made, shown):
        said = json.dumps(answer(result)) + "".join(
            block.text for block in result.content if block.type == "text"
        )
        assert "SecretToken123" not in said
        assert "SecretHeader456" not in said
        assert "****" in said


def test_a_request_without_a_live_key_is_refused(server: Server) -> None:
    api = Api(server.env, server.url, server.log)
    for headers in ({}, {"Authorization": "Bearer not-a-key"}, {"Authorization": "Basic x"}):
        refused = httpx.post(f"{server.url}/mcp", json={}, headers=headers)
        assert refused.status_code == 401, refused.text
        assert refused.json()["error"]["code"] == "unauthorized"
    asyncio.run(revoked_key_is_refused(api))


async def revoked_key_is_refused(api: Api) -> None:
    from agentcron.bootstrap import build_service, open_store

    settings = api.settings()
    store = open_store(settings)
    try:
        people = build_service(settings, store).people
        key, secret = await people.create_key(api.people["bob"])
        await people.revoke_key(key.id)
    finally:
        await store.close()
    async with httpx.AsyncClient() as http:
        refused = await http.post(
            f"{api.url}/mcp", json={}, headers={"Authorization": f"Bearer {secret}"}
        )
    assert refused.status_code == 401
    assert refused.json()["error"] == {
        "code": "unauthorized",
        "message": "This API key is not valid (unknown or revoked).",
    }
