"""``agentcron add --action mcp_tool`` as a person types it, against a real stdio MCP server
(``tests/support/mcp_tools.py``): refusals in clear words, nothing half-written, and a run
by ``serve --once`` that records what the tool said."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tests.acceptance.test_cli_schedule import agentcron
from tests.acceptance.test_serve import environment
from tests.support.mcp_tools_server import SCRIPT, logged


def configured(home: Path, command: str = sys.executable) -> dict[str, str]:
    """The environment of a person whose operator configured the server as 'tools'."""
    server = {"command": command, "args": [str(SCRIPT), "--log", str(home / "log")]}
    return environment(home, AGENTCRON_MCP_SERVERS=json.dumps({"tools": server}))


def add(env: dict[str, str], payload: dict[str, Any], *more: str) -> Any:
    return agentcron(
        "add", "Daily greeting", "--when", "every day at noon", "--action", "mcp_tool",
        "--payload", json.dumps(payload), *more, env=env,
    )  # fmt: skip


def ok(env: dict[str, str], *args: str) -> Any:
    done = agentcron(*args, "--json", env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_bad_server_tool_or_arguments_are_refused_and_a_good_task_runs(tmp_path: Path) -> None:
    env = configured(tmp_path)
    refusals = [
        (
            {"server": "time", "tool": "greet"},
            "Unknown MCP server 'time'; configured servers: tools.",
        ),
        (
            {"server": "tools", "tool": "hello", "arguments": {"name": "Ann"}},
            "MCP server 'tools' has no tool 'hello'; its tools: chart, fail, greet, refuse, "
            "repeat, wait, weather.",
        ),
        (
            {"server": "tools", "tool": "greet", "arguments": {"name": "Ann", "times": 0}},
            "The arguments do not fit tool 'greet' of MCP server 'tools' (arguments.times: 0 "
            "is less than the minimum of 1); it takes name (required), times.",
        ),
    ]
    for payload, refusal in refusals:
        refused = add(env, payload)
        assert (refused.returncode, refused.stdout) == (2, "")
        assert refused.stderr == f"error: {refusal}\n"
    assert ok(env, "ls", "--all") == []
    assert logged(tmp_path / "log")["listed"] == 2  # the unknown server was not asked

    payload = {"server": "tools", "tool": "greet", "arguments": {"name": "Ann", "times": 2}}
    made = add(env, payload, "--json")
    assert made.returncode == 0, made.stderr
    task = json.loads(made.stdout)
    assert (task["action"], task["payload"]) == ("mcp_tool", payload)
    assert task["notify_policy"] == "failure"
    ok(env, "run", str(task["id"]))
    served = agentcron("serve", "--once", env=env)
    assert served.returncode == 0, served.stderr
    (run,) = ok(env, "runs", str(task["id"]))
    assert (run["status"], run["output"]) == ("succeeded", "Hello, Ann! Hello, Ann!")
    assert run["result"] == {"truncated": False}


def test_a_server_that_cannot_be_reached_takes_the_task_and_says_so(tmp_path: Path) -> None:
    env = configured(tmp_path, command=str(tmp_path / "not-installed"))
    payload = {"server": "tools", "tool": "greet", "arguments": {"name": "Ann"}}
    made = add(env, payload)
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith('Created task 1 "Daily greeting"')
    assert "MCP server 'tools' could not be reached to check the task's tool" in made.stderr
    assert "its tool and arguments are checked when it runs" in made.stderr
    assert [task["payload"] for task in ok(env, "ls")] == [payload]


def test_actions_ls_describes_the_payload(tmp_path: Path) -> None:
    env = environment(tmp_path)
    (action,) = [a for a in ok(env, "actions", "ls") if a["name"] == "mcp_tool"]
    assert [field["name"] for field in action["fields"]] == ["server", "tool", "arguments"]
    words = " ".join(agentcron("actions", "ls", env=env).stdout.split())
    assert "mcp_tool: Call one tool of a configured MCP server with fixed arguments" in words
    assert "server (string, required): an MCP server of the configuration" in words
    assert "arguments (object, optional): the tool's arguments, the same on every run" in words
