"""The agent action through real HTTP: a scripted OpenAI-compatible server, the real store.

The scheduler, runner and recorder are the real ones with a fake clock; the
model is pydantic-ai's OpenAI client talking to ``ScriptedModelServer``.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from agentcron.config import McpServer, Settings
from agentcron.errors import InvalidInputError
from agentcron.service import TaskService
from agentcron.testing import FakeClock
from agentcron.testing.model_server import (
    Dynamic,
    Error,
    Hang,
    RecordedRequest,
    ScriptedModelServer,
    ToolCall,
    ToolCalls,
)
from tests.support.agent_rig import AgentRig, report
from tests.support.local_http import free_port, serving


@pytest.fixture
def rig(service: TaskService, clock: FakeClock) -> AgentRig:
    return AgentRig(service, clock)


async def test_the_agent_is_told_the_task_the_time_and_earlier_outputs(
    rig: AgentRig, model_server: ScriptedModelServer
) -> None:
    task = await rig.agent_task("Give me a motivational quote.", "every day at 9am")
    model_server.script(report("Quote one."), report("Quote two."))
    await rig.until_next(task.id)
    await rig.until_next(task.id)
    first, second = model_server.requests
    assert "Give me a motivational quote." in first.text
    assert "Now: Monday 23 November 2026 09:00 (Europe/Paris)" in first.text
    assert "Schedule: every day at 09:00" in first.text
    assert "first run with an output" in first.text
    assert "Previous outputs of this task, newest first:\n- Mon 23 Nov 09:00: Quote one." in (
        second.text
    )
    assert "You cannot message anyone yourself" in first.text  # the standing instructions
    runs = await rig.runs(task.id)
    assert [(r.status, r.output) for r in runs] == [
        ("succeeded", "Quote one."),
        ("succeeded", "Quote two."),
    ]
    usage = runs[0].usage or {}
    assert (usage["input_tokens"], usage["output_tokens"], usage["requests"]) == (120, 30, 1)
    assert usage["cost"] == pytest.approx(120 * 2 / 1e6 + 30 * 8 / 1e6)
    assert usage["cost_source"] == "configured"
    trace = (runs[0].result or {})["trace"]
    assert trace["requests"][0]["tool_calls"] == ["final_result"]


async def test_a_known_model_without_a_configured_price_gets_the_price_lists_cost(
    rig: AgentRig, model_server: ScriptedModelServer
) -> None:
    task = await rig.service.create(
        "ann",
        {
            "title": "quote",
            "when": "in 10 minutes",
            "action": "agent",
            "payload": {"instructions": "Say hi.", "model": "openai:gpt-4o-mini"},
        },
    )
    model_server.script(report("Hi."))
    await rig.until_next(task.id)
    (run,) = await rig.runs(task.id)
    assert model_server.requests[0].model == "gpt-4o-mini"
    usage = run.usage or {}
    assert usage["model"] == "openai:gpt-4o-mini"
    assert usage["cost_source"] == "price list (USD)"
    assert usage["cost"] == pytest.approx(120 * 0.15 / 1e6 + 30 * 0.6 / 1e6)


async def test_tell_me_when_notifies_once_and_completes(
    rig: AgentRig, model_server: ScriptedModelServer
) -> None:
    task = await rig.agent_task("Tell me when BTC drops below 50k.", "every hour")
    model_server.script(
        report("BTC is at 61k.", notify=False),
        report("BTC is at 55k.", notify=False),
        report("BTC dropped to 49.8k.", notify=True, complete=True),
    )
    for _ in range(3):
        await rig.until_next(task.id)
    assert [(o.output, o.notify) for o in rig.outcomes] == [
        ("BTC is at 61k.", False),
        ("BTC is at 55k.", False),
        ("BTC dropped to 49.8k.", True),
    ]
    done = await rig.service.get("ann", task.id)
    assert (done.status, done.next_run_at) == ("completed", None)
    assert "BTC is at 55k." in model_server.requests[2].text


async def test_a_rate_limit_is_retried_after_retry_after(
    rig: AgentRig, model_server: ScriptedModelServer
) -> None:
    task = await rig.agent_task("Say hi.", "in 10 minutes")
    model_server.script(
        Error(429, "slow down", headers={"Retry-After": "120"}), report("Hi there.")
    )
    await rig.until_next(task.id)
    (run,) = await rig.runs(task.id)
    assert run.status == "retrying"
    assert "rate limiting" in (run.error or "")
    assert run.not_before >= rig.clock.now() + timedelta(seconds=119)
    run = await rig.retry_now(task.id)
    assert (run.status, run.attempt, run.output) == ("succeeded", 2, "Hi there.")


async def test_a_provider_that_never_answers_fails_the_run_after_its_attempts(
    rig: AgentRig, model_server: ScriptedModelServer
) -> None:
    task = await rig.agent_task(
        "Say hi.", "in 10 minutes", timeout_seconds=0.5, max_attempts=2, backoff_seconds=1
    )
    model_server.default = Hang()
    await rig.until_next(task.id)
    (run,) = await rig.runs(task.id)
    assert run.status == "retrying"
    run = await rig.retry_now(task.id)
    assert run.status == "failed"
    assert run.error == "gave up after 2 attempts: timed out after 0.5 s"


async def test_an_outage_is_retried_and_a_refusal_is_not(
    rig: AgentRig, model_server: ScriptedModelServer
) -> None:
    outage = await rig.agent_task("Say hi.", "in 10 minutes", backoff_seconds=5)
    model_server.script(Error(503, "overloaded"), report("Hi there."))
    await rig.until_next(outage.id)
    (run,) = await rig.runs(outage.id)
    assert run.status == "retrying"
    assert run.error == "attempt 1 of 3: openai:scripted-model failed (HTTP 503: overloaded)"
    run = await rig.retry_now(outage.id)
    assert (run.status, run.attempt, run.output) == ("succeeded", 2, "Hi there.")

    refused = await rig.agent_task("Say hi.", "in 20 minutes")
    model_server.script(Error(401, "Incorrect API key provided"))
    await rig.until_next(refused.id)
    (run,) = await rig.runs(refused.id)
    assert (run.status, run.attempt) == ("failed", 1)
    assert "refused the request (HTTP 401: Incorrect API key provided)" in (run.error or "")
    assert "check the model name and key" in (run.error or "")


async def test_an_unreachable_provider_fails_the_run_after_its_attempts(
    rig: AgentRig, settings: Settings
) -> None:
    port = free_port()  # nobody listens on it
    settings.openai_base_url = f"http://127.0.0.1:{port}/v1"
    task = await rig.agent_task("Say hi.", "in 10 minutes", max_attempts=2, backoff_seconds=1)
    await rig.until_next(task.id)
    (run,) = await rig.runs(task.id)
    assert run.status == "retrying"
    run = await rig.retry_now(task.id)
    assert run.status == "failed"
    assert (run.error or "").startswith(
        "gave up after 2 attempts: openai:scripted-model failed (cannot connect: "
    )
    assert f"127.0.0.1:{port}" in (run.error or "")


async def test_answers_that_break_the_report_are_fed_back_then_fail_the_run(
    rig: AgentRig, model_server: ScriptedModelServer
) -> None:
    task = await rig.agent_task("Say hi.", "in 10 minutes")
    broken = ToolCalls([ToolCall("final_result", {"notify": "perhaps"})])
    model_server.script(broken, broken, broken)
    await rig.until_next(task.id)
    (run,) = await rig.runs(task.id)
    assert run.status == "failed"
    assert "did not give a usable answer" in (run.error or "")
    assert len(model_server.requests) == 3
    assert "message" in model_server.requests[1].text  # the validation error went back
    assert len((run.result or {})["trace"]["requests"]) == 3


async def test_an_unconfigured_model_fails_clearly(
    service: TaskService, clock: FakeClock, settings: Settings
) -> None:
    """A task made while a model was configured (or by a process that had one), run where
    none is: the run says what to set."""
    rig = AgentRig(service, clock)
    task = await rig.agent_task("Say hi.", "in 10 minutes")
    settings.model = None
    await rig.until_next(task.id)
    (run,) = await rig.runs(task.id)
    assert run.status == "failed"
    assert "Set AGENTCRON_MODEL" in (run.error or "")


async def test_followups_are_one_off_limited_and_not_doubled_by_a_retry(
    rig: AgentRig, model_server: ScriptedModelServer
) -> None:
    task = await rig.agent_task("Check the parcel.", "in 10 minutes")
    follow = ToolCall("schedule_followup", {"when": "in 2 hours", "instructions": "Check again."})
    model_server.script(
        ToolCalls([ToolCall("schedule_followup", {"when": "every day at 9", "instructions": "x"})]),
        ToolCalls([follow]),
        ToolCalls([ToolCall("schedule_followup", {"when": "in 3 hours", "instructions": "y"})]),
        Error(500, "boom"),  # the attempt fails after the follow-up was planned
        ToolCalls([follow]),  # the retry plans the same follow-up again
        report("Not delivered yet; I will check again in 2 hours."),
    )
    await rig.until_next(task.id)
    first_attempt = rig.clock.now()
    (run,) = await rig.runs(task.id)
    assert run.status == "retrying"
    requests = model_server.requests
    assert "a follow-up happens once" in requests[1].text
    assert "at most 1 follow-up" in requests[3].text
    run = await rig.retry_now(task.id)
    assert run.status == "succeeded"
    tasks = await rig.service.list_tasks("ann")
    followups = [t for t in tasks if t.id != task.id]
    assert len(followups) == 1
    assert (followups[0].schedule_kind, followups[0].action) == ("once", "agent")
    assert followups[0].payload["instructions"] == "Check again."
    assert followups[0].next_run_at == first_attempt + timedelta(hours=2)
    assert (run.result or {})["followups"] == [followups[0].id]
    calls = (run.result or {})["trace"]["tools"]
    assert [(c["tool"], c["ok"]) for c in calls] == [("schedule_followup", True)]


async def test_complete_task_tool_ends_the_task(
    rig: AgentRig, model_server: ScriptedModelServer
) -> None:
    task = await rig.agent_task("Watch the price.", "every hour")
    model_server.script(
        ToolCalls([ToolCall("current_time"), ToolCall("complete_task", {"reason": "met"})]),
        report("The price is met."),
    )
    await rig.until_next(task.id)
    assert "Sunday 22 November 2026, 12:00:00 (Europe/Paris, UTC+0100)" in (
        model_server.requests[1].text
    )  # current_time answered in the person's zone
    done = await rig.service.get("ann", task.id)
    assert done.status == "completed"


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"path": self.path, "price": 49_800}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def pages() -> Iterator[str]:
    with serving(_Pages) as url:
        yield url


async def test_http_get_fetches_only_allowed_hosts_and_secrets_are_masked(
    service: TaskService,
    clock: FakeClock,
    settings: Settings,
    model_server: ScriptedModelServer,
    pages: str,
) -> None:
    settings.http_get_allow_hosts = ["127.0.0.1"]
    rig = AgentRig(service, clock)
    key = "sk-" + secrets.token_hex(12)  # made up here: no key-like text in the repository
    task = await rig.agent_task("Check the price.", "in 10 minutes")
    model_server.script(
        ToolCalls(
            [
                ToolCall("http_get", {"url": f"{pages}/price?api_key={key}"}),
                ToolCall("http_get", {"url": "https://example.org/"}),
            ]
        ),
        report("49.8k"),
    )
    await rig.until_next(task.id)
    answers = list(model_server.requests[1].tool_results.values())
    assert answers[0].startswith("HTTP 200")
    assert '"price": 49800' in answers[0]
    assert "example.org is not allowed" in answers[1]
    (run,) = await rig.runs(task.id)
    calls = (run.result or {})["trace"]["tools"]
    assert [(c["tool"], c["ok"]) for c in calls] == [("http_get", True), ("http_get", False)]
    assert key not in json.dumps(run.result)
    assert calls[0]["ms"] >= 0


async def test_http_get_is_not_offered_unless_hosts_are_allowed(
    rig: AgentRig, model_server: ScriptedModelServer
) -> None:
    task = await rig.agent_task("Say hi.", "in 10 minutes")
    model_server.script(report("Hi."))
    await rig.until_next(task.id)
    names = model_server.requests[0].tool_names
    assert {"current_time", "schedule_followup", "complete_task", "final_result"} <= set(names)
    assert "http_get" not in names


MCP_PRICES = Path(__file__).resolve().parents[2] / "support" / "mcp_prices.py"


@pytest.fixture(params=["stdio", "streamable-http"])
def prices_server(request: pytest.FixtureRequest) -> Iterator[McpServer]:
    """The test MCP server, as a command agentcron starts or as a URL it connects to."""
    if request.param == "stdio":
        yield McpServer(command=sys.executable, args=[str(MCP_PRICES)], env=dict(os.environ))
        return
    port = free_port()
    process = subprocess.Popen([sys.executable, str(MCP_PRICES), "http", str(port)])
    try:
        deadline = time.monotonic() + 20
        while True:
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert process.poll() is None, "the MCP server did not start"
            assert time.monotonic() < deadline, "the MCP server did not listen in 20 s"
            time.sleep(0.05)
        yield McpServer(url=f"http://127.0.0.1:{port}/mcp")
    finally:
        process.terminate()
        process.wait(10)


async def test_mcp_tools_are_offered_by_allow_list(
    service: TaskService,
    clock: FakeClock,
    settings: Settings,
    model_server: ScriptedModelServer,
    prices_server: McpServer,
) -> None:
    settings.mcp_servers = {"prices": prices_server}
    rig = AgentRig(service, clock)
    with pytest.raises(InvalidInputError, match="Unknown MCP server 'weather'"):
        await service.create(
            "ann",
            {
                "title": "w",
                "when": "in 1 hour",
                "action": "agent",
                "payload": {"instructions": "x", "mcp": ["weather"]},
            },
        )
    task = await service.create(
        "ann",
        {
            "title": "BTC",
            "when": "in 10 minutes",
            "action": "agent",
            "payload": {"instructions": "Check BTC.", "mcp": ["prices:get_price"]},
        },
    )
    model_server.script(
        ToolCalls([ToolCall("prices_get_price", {"symbol": "btc"})]), report("49.8k")
    )
    await rig.until_next(task.id)
    first, second = model_server.requests
    assert "prices_get_price" in first.tool_names
    assert "prices_place_order" not in first.tool_names
    (answer,) = second.tool_results.values()
    assert "BTC is at 49800 USD" in answer
    (run,) = await rig.runs(task.id)
    calls = (run.result or {})["trace"]["tools"]
    assert [(c["tool"], c["ok"], c["args"]) for c in calls] == [
        ("prices_get_price", True, {"symbol": "btc"})
    ]


async def test_runs_at_the_same_time_share_one_mcp_server_process(
    rig: AgentRig, settings: Settings, model_server: ScriptedModelServer
) -> None:
    settings.mcp_servers = {
        "prices": McpServer(command=sys.executable, args=[str(MCP_PRICES)], env=dict(os.environ))
    }

    def answer(request: RecordedRequest) -> ToolCalls:
        if not request.tool_results:  # first ask for the price, slowly, so the runs overlap
            return ToolCalls([ToolCall("prices_get_price", {"symbol": "btc"})], delay=0.3)
        return report("checked")

    model_server.default = Dynamic(answer)
    tasks = [
        await rig.service.create(
            "ann",
            {
                "title": f"BTC {i}",
                "when": "in 10 minutes",
                "action": "agent",
                "payload": {"instructions": "Check BTC.", "mcp": ["prices"]},
            },
        )
        for i in range(3)
    ]
    rig.clock.set(tasks[0].next_run_at)
    await rig.tick(concurrently=True)
    answers = [
        value for request in model_server.requests for value in request.tool_results.values()
    ]
    assert len(answers) == 3
    assert all("BTC is at 49800 USD" in text for text in answers)
    processes = {text.rpartition("server process ")[2] for text in answers}
    assert len(processes) == 1, answers
    for task in tasks:
        (run,) = await rig.runs(task.id)
        assert (run.status, run.output) == ("succeeded", "checked")
