"""Task commands as a person types them: clear errors, exit status 2, nothing half-written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.acceptance.test_cli_schedule import agentcron


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"AGENTCRON_HOME": str(tmp_path), "AGENTCRON_TIMEZONE": "Europe/Paris"}


def tasks_in_store(env: dict[str, str]) -> list[dict[str, object]]:
    listed = agentcron("ls", "--all", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    return list(json.loads(listed.stdout))


def test_add_show_edit_pause_resume_run_runs_cancel(env: dict[str, str]) -> None:
    added = agentcron("add", "Water plants", "--when", "every monday at 9", "--json", env=env)
    assert added.returncode == 0, added.stderr
    task = json.loads(added.stdout)
    assert task["description"] == "every Monday at 09:00 (Europe/Paris)"
    assert task["payload"] == {"message": "Water plants"}
    shown = json.loads(agentcron("show", str(task["id"]), "--json", env=env).stdout)
    assert shown["id"] == task["id"]
    edited = agentcron(
        "edit", str(task["id"]), "--when", "every tuesday at 18:00", "--json", env=env
    )
    assert json.loads(edited.stdout)["description"] == "every Tuesday at 18:00 (Europe/Paris)"
    assert (
        json.loads(agentcron("pause", str(task["id"]), "--json", env=env).stdout)["status"]
        == "paused"
    )
    assert (
        json.loads(agentcron("resume", str(task["id"]), "--json", env=env).stdout)["status"]
        == "active"
    )
    queued = json.loads(agentcron("run", str(task["id"]), "--json", env=env).stdout)
    assert queued["trigger"] == "manual"
    history = json.loads(agentcron("runs", str(task["id"]), "--json", env=env).stdout)
    assert [r["id"] for r in history] == [queued["id"]]
    cancelled = agentcron("cancel", str(task["id"]), "--json", env=env)
    assert json.loads(cancelled.stdout)["status"] == "cancelled"
    human = agentcron("ls", "--all", env=env)
    assert "Water plants" in human.stdout


def test_idempotency_key_gives_one_task_and_says_so(env: dict[str, str]) -> None:
    once = ("add", "Once", "--when", "in 1 hour", "--idempotency-key", "k1")
    first = agentcron(*once, env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith('Created task 1 "Once": once on ')
    again = agentcron(*once, env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith('Task 1 "Once" already exists: once on ')
    existing = json.loads(agentcron(*once, "--json", env=env).stdout)
    assert existing.pop("created") is False
    assert existing == tasks_in_store(env)[0]
    other = agentcron(
        "add", "Other", "--when", "in 1 hour", "--idempotency-key", "k2", "--json", env=env
    )
    assert json.loads(other.stdout)["created"] is True
    assert len(tasks_in_store(env)) == 2


@pytest.mark.parametrize("as_json", [False, True], ids=["line", "json"])
def test_idempotency_key_with_a_different_request_is_refused(
    env: dict[str, str], as_json: bool
) -> None:
    first = agentcron("add", "Once", "--when", "in 1 hour", "--idempotency-key", "k1", env=env)
    assert first.returncode == 0, first.stderr
    different = agentcron(
        "add", "Once", "--when", "in 2 hours", "--idempotency-key", "k1",
        *(["--json"] if as_json else []), env=env,
    )  # fmt: skip
    assert different.returncode == 2
    assert different.stdout == ""
    message = (
        "The idempotency key 'k1' was used for task 1 with a different request (schedule "
        "differs); repeat that request to get the task, or use a new key."
    )
    if as_json:
        assert json.loads(different.stderr) == {"error": {"code": "conflict", "message": message}}
    else:
        assert different.stderr == f"error: {message}\n"
    assert len(tasks_in_store(env)) == 1


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ["add", "t", "--when", "tomorrow at 9am", "--tz", "Mars/Base"],
            "Unknown time zone 'Mars/Base'",
        ),
        (["add", "t", "--when", "2020-01-01 09:00"], "is in the past"),
        (["add", "", "--when", "tomorrow at 9am"], "title"),
        (
            ["add", "t", "--when", "tomorrow at 9am", "--message", "@/nonexistent/file"],
            "cannot read",
        ),
        (
            ["add", "t", "--when", "tomorrow at 9am", "--payload", "{not json"],
            "--payload is not valid JSON",
        ),
        (["add", "t", "--when", "tomorrow at 9am", "--payload", "[1, 2]"], "must be a JSON object"),
        (
            [
                "add",
                "t",
                "--when",
                "tomorrow at 9am",
                "--action",
                "shell",
                "--payload",
                '{"command": "ls"}',
            ],
            "may not run 'ls'",
        ),
        (["add", "t", "--when", "whenever"], "Could not understand 'whenever'"),
        (
            ["add", "t", "--when", "in 1 hour", "-m", "hi", "--payload", '{"message": "ho"}'],
            '--message and the "message" of --payload both give the message; keep one of them.',
        ),
        (
            [
                "add",
                "t",
                "--when",
                "in 1 hour",
                "--instructions",
                "x",
                "--model",
                "test",
                "--payload",
                '{"instructions": "y", "model": "test"}',
            ],
            '--instructions and the "instructions" of --payload both give the instructions',
        ),
        (
            [
                "add",
                "t",
                "--when",
                "in 1 hour",
                "--model",
                "test",
                "--payload",
                '{"instructions": "y", "model": "test"}',
            ],
            '--model and the "model" of --payload both give the model',
        ),
        (
            ["add", "t", "--when", "tomorrow at 9am", "--tz", ""],
            "timezone: is empty; give an IANA zone such as Europe/Paris, or leave it out",
        ),
        (["add", "Call\nmom", "--when", "in 1 hour"], "title: must be one line, but has a line"),
        (["add", "Call\rmom", "--when", "in 1 hour"], "title: must be one line, but has a line"),
        (["add", "Call\x1b[2Jmom", "--when", "in 1 hour"], "the control character U+001B"),
        (
            ["add", "t", "--when", "in 1 hour", "--instructions", "x", "--mcp", "weather"],
            "Unknown MCP server 'weather'",
        ),
        (
            ["add", "t", "--when", "in 1 hour", "--instructions", "x", "--model", "gpt4"],
            "Model 'gpt4' is not of the form 'provider:model'",
        ),
        (["show", "42"], "There is no task 42"),
        (["cancel", "42"], "There is no task 42"),
        (["retry", "42"], "There is no run 42"),
        (["show", "forty-two"], "Invalid value for 'task_id'"),
        (["edit", "1"], "Nothing to change"),
        (["edit", "1", "--title", "x"], "There is no task 1"),
    ],
)
def test_bad_input_is_one_clear_line_and_writes_nothing(
    env: dict[str, str], args: list[str], fragment: str
) -> None:
    result = agentcron(*args, env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[:500]
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr
    assert tasks_in_store(env) == []


def test_a_one_megabyte_message_is_refused(env: dict[str, str]) -> None:
    result = agentcron(
        "add", "t", "--when", "tomorrow at 9am", "--message", "-", env=env, stdin="x" * 1_000_000
    )
    assert result.returncode == 2
    assert "1,000,000 characters long; at most 20,000" in result.stderr
    assert tasks_in_store(env) == []


def test_shell_is_refused_unless_allow_listed(env: dict[str, str]) -> None:
    args = [
        "add",
        "t",
        "--when",
        "in 1 hour",
        "--action",
        "shell",
        "--payload",
        '{"command": "echo hi"}',
    ]
    refused = agentcron(*args, env=env)
    assert refused.returncode == 2
    assert "no command is allowed; the operator sets AGENTCRON_SHELL_ALLOW" in refused.stderr
    allowed = agentcron(*args, env=env | {"AGENTCRON_SHELL_ALLOW": "echo"})
    assert allowed.returncode == 0, allowed.stderr


def test_agent_tasks_from_flags_or_from_a_payload(env: dict[str, str]) -> None:
    env["AGENTCRON_MCP_SERVERS"] = json.dumps({"prices": {"url": "http://127.0.0.1:9/mcp"}})
    env["AGENTCRON_MODEL"] = "openai:gpt-4o-mini"  # what a payload without a model runs with
    flags = agentcron(
        "add",
        "BTC watch",
        "--when",
        "every hour",
        "--instructions",
        "Tell me when BTC drops below 50k.",
        "--model",
        "openai:gpt-4o-mini",
        "--mcp",
        "prices:get_price",
        "--json",
        env=env,
    )
    assert flags.returncode == 0, flags.stderr
    task = json.loads(flags.stdout)
    assert task["action"] == "agent"
    assert task["payload"] == {
        "instructions": "Tell me when BTC drops below 50k.",
        "model": "openai:gpt-4o-mini",
        "mcp": ["prices:get_price"],
    }
    payload = agentcron(
        "add",
        "Quote",
        "--when",
        "every day at 9am",
        "--payload",
        '{"instructions": "A short quote.", "mcp": ["prices"]}',
        "--json",
        env=env,
    )
    assert payload.returncode == 0, payload.stderr
    task = json.loads(payload.stdout)
    assert (task["action"], task["payload"]["mcp"]) == ("agent", ["prices"])
    edited = agentcron(
        "edit",
        str(task["id"]),
        "--model",
        "ollama:llama3.1",
        "--mcp",
        "prices:get_price",
        "--json",
        env=env,
    )
    assert edited.returncode == 0, edited.stderr
    assert json.loads(edited.stdout)["payload"] == {
        "instructions": "A short quote.",
        "model": "ollama:llama3.1",
        "mcp": ["prices:get_price"],
    }


def test_edit_refuses_conflicting_flags_and_changes_nothing(env: dict[str, str]) -> None:
    added = agentcron("add", "Gym", "--when", "every monday at 7am", "-m", "go", "--json", env=env)
    assert added.returncode == 0, added.stderr
    task = json.loads(added.stdout)
    assert task.pop("created") is True
    for args, fragment in [
        (["-m", "run", "--payload", '{"message": "swim"}'], '--message and the "message" of'),
        (["--tz", ""], "timezone: is empty"),
        (["--title", "Gym\nand swim"], "title: must be one line"),
        (["--title", "Gym\tswim"], "the control character U+0009"),
    ]:
        refused = agentcron("edit", str(task["id"]), *args, env=env)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert refused.stdout == ""
        assert len(refused.stderr.splitlines()) == 1
        assert fragment in refused.stderr
    assert tasks_in_store(env) == [task]


def test_an_agent_task_needs_a_model(env: dict[str, str]) -> None:
    agent = ("add", "Quote", "--when", "every day at 9am", "--instructions", "A short quote.")
    refused = agentcron(*agent, env=env)
    assert refused.returncode == 78, refused.stderr
    assert refused.stdout == ""
    assert refused.stderr == (
        "error: No model is configured for agent tasks: set AGENTCRON_MODEL=provider:model "
        "(for example 'openai:gpt-4o-mini') in the environment or agentcron.toml, or give the "
        "task its own (--model).\n"
    )
    assert tasks_in_store(env) == []
    own = agentcron(*agent, "--model", "ollama:llama3.1", "--json", env=env)
    assert own.returncode == 0, own.stderr
    configured = agentcron(*agent, "--json", env=env | {"AGENTCRON_MODEL": "openai:gpt-4o-mini"})
    assert configured.returncode == 0, configured.stderr
    assert [t["payload"].get("model") for t in tasks_in_store(env)] == ["ollama:llama3.1", None]
