"""Task commands as a person types them: clear errors, exit status 2, nothing half-written."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

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


AGENT_ENV = {
    "AGENTCRON_MCP_SERVERS": json.dumps({"prices": {"url": "http://127.0.0.1:9/mcp"}}),
    "AGENTCRON_MODEL": "openai:gpt-4o-mini",
}


def ok(env: dict[str, str], *args: str) -> str:
    result = agentcron(*args, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def shown(env: dict[str, str], task_id: int) -> tuple[dict[str, Any], str]:
    """The task as ``show --json`` gives it, and ``show``'s words, one space between words."""
    return json.loads(ok(env, "show", str(task_id), "--json")), " ".join(
        ok(env, "show", str(task_id)).split()
    )


def test_every_option_of_add_shows_in_show(env: dict[str, str]) -> None:
    env |= AGENT_ENV
    ok(env, "channels", "add", "phone", "ntfy://my-alerts")
    ok(env, "channels", "add", "desk", "ntfy://my-desk")
    added = json.loads(ok(
        env, "add", "--title", "BTC watch", "--when", "every day at 9am", "--tz", "Asia/Tokyo",
        "--instructions", "Tell me when BTC drops.", "--model", "ollama:llama3.1",
        "--mcp", "prices:get_price", "--misfire", "skip", "--grace", "10m", "--overlap", "queue",
        "--jitter", "30s", "--max-attempts", "4", "--backoff", "1m", "--timeout", "90",
        "--starts", "2027-01-04 08:00", "--ends", "2027-03-01T00:00:00+00:00", "--max-runs", "7",
        "--notify", "phone,desk", "--notify-when", "failure", "--urgent", "--json",
    ))  # fmt: skip
    task, words = shown(env, added["id"])
    assert task == {k: v for k, v in added.items() if k != "created"}
    expected = {
        "title": "BTC watch", "timezone": "Asia/Tokyo", "action": "agent",
        "payload": {"instructions": "Tell me when BTC drops.", "model": "ollama:llama3.1",
                    "mcp": ["prices:get_price"]},
        "misfire_policy": "skip", "misfire_grace_seconds": 600, "overlap_policy": "queue",
        "jitter_seconds": 30, "max_attempts": 4, "backoff_seconds": 60.0,
        "timeout_seconds": 90.0, "starts_at": "2027-01-03T23:00:00+00:00",
        "ends_at": "2027-03-01T00:00:00+00:00", "max_runs": 7, "notify": ["phone", "desk"],
        "notify_policy": "failure", "urgent": True,
    }  # fmt: skip
    assert {key: task[key] for key in expected} == expected
    assert task["next_run_at"] == "2027-01-04T00:00:00+00:00"  # 09:00 in Tokyo, from the start
    for said in [
        "action agent",
        "model ollama:llama3.1",
        "mcp prices:get_price",
        'payload {"instructions": "Tell me when BTC drops.", "model": "ollama:llama3.1", '
        '"mcp": ["prices:get_price"]}',
        "bounds starts Mon 2027-01-04 08:00:00 +0900, ends Mon 2027-03-01 09:00:00 +0900, "
        "at most 7 runs",
        "jitter up to 30 seconds: each run starts a random delay after its occurrence",
        "misfire skip: occurrences missed past the grace are skipped",
        "grace 10 minutes: how late an occurrence may still run as usual",
        "overlap queue: a run waits for the previous one to finish",
        "retries up to 4 attempts per run; a retry waits up to 1 minute, doubling with each "
        "retry (at most 10 minutes)",
        "timeout 90 seconds per attempt",
        "notify phone, desk",
        "notify when failure: when a run fails",
        "urgent yes: told even in your quiet hours",
    ]:
        assert said in words
    assert "payload {'" not in words  # JSON, not a Python repr


def test_every_option_of_edit_shows_in_show(env: dict[str, str]) -> None:
    env |= AGENT_ENV
    ok(env, "channels", "add", "phone", "ntfy://my-alerts")
    task = json.loads(ok(env, "add", "Gym", "--when", "every monday at 7am", "--json"))
    edited = json.loads(ok(
        env, "edit", str(task["id"]), "--title", "Swim", "--when", "every tuesday at 18:00",
        "--tz", "America/New_York", "--message", "pool", "--misfire", "run_all", "--grace", "45",
        "--overlap", "skip", "--jitter", "2m", "--max-attempts", "1", "--backoff", "5",
        "--timeout", "1.5", "--starts", "2027-02-01 00:00", "--ends", "2027-06-01 00:00",
        "--max-runs", "2", "--notify", "phone", "--notify-when", "never", "--urgent", "--json",
    ))  # fmt: skip
    after, words = shown(env, task["id"])
    assert after == edited
    expected = {
        "title": "Swim", "timezone": "America/New_York", "payload": {"message": "pool"},
        "misfire_policy": "run_all", "misfire_grace_seconds": 45, "overlap_policy": "skip",
        "jitter_seconds": 120, "max_attempts": 1, "backoff_seconds": 5.0,
        "timeout_seconds": 1.5, "starts_at": "2027-02-01T05:00:00+00:00",
        "ends_at": "2027-06-01T04:00:00+00:00", "max_runs": 2, "notify": ["phone"],
        "notify_policy": "never", "urgent": True, "version": 2,
    }  # fmt: skip
    assert {key: after[key] for key in expected} == expected
    assert after["description"] == "every Tuesday at 18:00 (America/New_York)"
    assert after["next_run_at"] == "2027-02-02T23:00:00+00:00"
    for said in [
        "title Swim",
        "grace 45 seconds: how late",
        "jitter up to 2 minutes",
        "misfire run_all: every missed occurrence runs, late",
        "overlap skip: an occurrence is skipped while the previous run is still going",
        "retries none: 1 attempt per run",
        "timeout 1.5 seconds per attempt",
        "at most 2 runs",
        "urgent yes",
    ]:
        assert said in words
    assert "model" not in words.replace("AGENTCRON_MODEL", "")  # a reminder has no model row
    quiet = json.loads(ok(env, "edit", str(task["id"]), "--not-urgent", "--notify", "", "--json"))
    assert (quiet["urgent"], quiet["notify"]) == (False, [])
    agent = json.loads(ok(
        env, "edit", str(task["id"]), "--action", "agent", "--instructions", "Plan my swim.",
        "--model", "ollama:llama3.1", "--mcp", "prices", "--when", "every day at 7am", "--json",
    ))  # fmt: skip
    assert (agent["action"], agent["payload"]) == (
        "agent",
        {"instructions": "Plan my swim.", "model": "ollama:llama3.1", "mcp": ["prices"]},
    )
    assert agent["timeout_seconds"] == 1.5  # given by hand: kept
    _, words = shown(env, task["id"])
    assert "model ollama:llama3.1" in words
    assert "mcp prices" in words


def test_edit_action_checks_the_payload_as_add_does(env: dict[str, str]) -> None:
    task = json.loads(ok(env, "add", "Ping", "--when", "every day at 9am", "--json"))
    assert task.pop("created") is True
    for args, said in [
        (["--action", "http"], "Invalid http payload (url: Field required)"),
        (["--action", "http", "--payload", '{"url": "nowhere"}'], "Invalid http payload (url:"),
        (
            ["--action", "shell", "--payload", '{"command": "rm -rf /"}'],
            "The shell action may not run 'rm'",
        ),
        (["--action", "teleport"], "Unknown action 'teleport'. Available: agent, http,"),
        (["--grace", "soon"], "--grace 'soon' is not seconds (90) or a span such as 30s"),
        (["--starts", "every day at 9am"], "--starts wants one instant"),
        (
            ["--max-attempts", "0"],
            "Invalid task (max_attempts: Input should be greater than or equal to 1)",
        ),
    ]:
        refused = agentcron("edit", str(task["id"]), *args, env=env)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert refused.stderr.startswith(f"error: {said}"), refused.stderr
    assert tasks_in_store(env) == [task]  # nothing changed
    url = "https://user:secret@example.com/hook"
    moved = json.loads(ok(
        env, "edit", str(task["id"]), "--action", "http", "--payload", json.dumps({"url": url}),
        "--json",
    ))  # fmt: skip
    assert moved["action"] == "http"
    assert moved["payload"]["url"] == "https://user:****@example.com/hook"
    assert (moved["notify_policy"], moved["timeout_seconds"]) == ("failure", 30.0)


def test_add_takes_its_title_once(env: dict[str, str]) -> None:
    both = agentcron("add", "A", "--title", "B", "--when", "in 1 hour", env=env)
    assert both.returncode == 2
    assert both.stderr == "error: Give the title once: as the argument or as --title.\n"
    neither = agentcron("add", "--when", "in 1 hour", env=env)
    assert neither.returncode == 2
    assert "A task needs a title and --when" in neither.stderr
    assert tasks_in_store(env) == []


def test_pause_and_resume_say_when_nothing_changes(env: dict[str, str]) -> None:
    ok(env, "add", "Tea", "--when", "every day at 5pm")
    assert ok(env, "pause", "1").startswith('Paused task 1 "Tea"')
    assert ok(env, "pause", "1") == "Task 1 is already paused.\n"
    assert ok(env, "resume", "1").startswith('Resumed task 1 "Tea"')
    assert ok(env, "resume", "1") == "Task 1 is already active.\n"
    ok(env, "cancel", "1")
    for verb, said in [
        ("pause", "paused"), ("resume", "resumed"), ("run", "run"),
    ]:  # fmt: skip
        refused = agentcron(verb, "1", env=env)
        assert refused.returncode == 2
        assert refused.stderr == f"error: Task 1 was cancelled; cancelled tasks cannot be {said}.\n"
    refused = agentcron("edit", "1", "--title", "x", env=env)
    assert refused.stderr == "error: Task 1 was cancelled; cancelled tasks cannot be changed.\n"


def delete_at_a_terminal(env: dict[str, str], task_id: int, answer: str) -> str:
    """``agentcron delete`` with a terminal for its input, answering its question."""
    controller, terminal = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCRON_")}
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "agentcron", "delete", str(task_id)],
            stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=environment | {"COLUMNS": "200"} | env,
        )  # fmt: skip
        os.write(controller, f"{answer}\n".encode())
        output, _ = process.communicate(timeout=60)
    finally:
        os.close(controller)
        os.close(terminal)
    assert process.returncode == 0, output
    return output


def test_delete_removes_an_ended_task_and_its_history(env: dict[str, str]) -> None:
    ok(env, "add", "Tea", "--when", "every day at 5pm")
    ok(env, "add", "Kept", "--when", "every day at 6pm")
    ok(env, "run", "1")
    refused = agentcron("delete", "1", "--yes", env=env)
    assert refused.returncode == 2
    assert refused.stderr == (
        "error: Task 1 is active; cancel it first ('agentcron cancel 1'), then delete it.\n"
    )
    ok(env, "pause", "1")
    refused = agentcron("delete", "1", env=env)  # refused before anything is asked
    assert "Task 1 is paused; cancel it first" in refused.stderr
    ok(env, "cancel", "1")
    piped = agentcron("delete", "1", env=env, stdin="y\n")
    assert piped.returncode == 2
    assert piped.stderr == (
        "error: agentcron delete asks before deleting, but its input is not a terminal; run "
        "'agentcron delete 1 --yes' to delete task 1 without asking.\n"
    )
    kept = delete_at_a_terminal(env, 1, "n")
    assert 'Delete task 1 "Tea" (cancelled) and all its runs? [y/N]' in kept
    assert "Task 1 is kept." in kept
    assert sorted(t["id"] for t in tasks_in_store(env)) == [1, 2]
    deleted = delete_at_a_terminal(env, 1, "y")
    assert 'Deleted task 1 "Tea" and its history (1 run).' in deleted
    assert [t["title"] for t in tasks_in_store(env)] == ["Kept"]
    assert json.loads(ok(env, "runs", "--json")) == []
    gone = agentcron("show", "1", env=env)
    assert gone.stderr == "error: There is no task 1; 'agentcron ls' lists yours.\n"
    ok(env, "run", "2")
    ok(env, "run", "2")
    ok(env, "cancel", "2")
    assert json.loads(ok(env, "delete", "2", "--yes", "--json")) == {
        "id": 2, "title": "Kept", "deleted": True, "runs_deleted": 2,
    }  # fmt: skip
    assert tasks_in_store(env) == []


def test_actions_ls_documents_each_payload_from_the_actions(env: dict[str, str]) -> None:
    listed = json.loads(ok(env, "actions", "ls", "--json"))
    by_name = {action["name"]: action for action in listed}
    assert sorted(by_name) == ["agent", "http", "mcp_tool", "reminder", "shell"]
    fields = {name: {f["name"]: f for f in a["fields"]} for name, a in by_name.items()}
    assert fields["shell"]["command"]["kind"] == "string"
    assert fields["shell"]["command"]["required"] is True
    assert fields["http"]["method"]["default"] == "POST"
    assert fields["http"]["headers"]["kind"] == "object of strings"
    assert fields["http"]["json"]["kind"] == "object or list"
    assert list(fields["agent"]) == ["instructions", "model", "mcp"]
    assert fields["agent"]["mcp"]["kind"] == "list of strings"
    assert by_name["shell"]["example"]["command"]
    words = " ".join(ok(env, "actions", "ls").split())
    assert "shell: Run an allow-listed program" in words
    assert "command (string, required): the program and its arguments" in words
    assert 'method (one of GET, POST, PUT, PATCH, DELETE, HEAD, default "POST")' in words
    assert "mcp (list of strings, optional): MCP tools it may use" in words
    assert (
        'example: --action reminder --payload \'{"message": "Stand-up in the small room"}\''
        in words
    )
    shell = (
        f"agentcron {version('agentcron')} (built in), "
        "entry point agentcron.actions.shell:ShellAction"
    )
    assert by_name["shell"]["source"]["description"] == shell
    assert f"source: {shell}" in words
    assert by_name["shell"]["payload_schema"]["properties"]["command"]["maxLength"] == 4000
    assert by_name["http"]["payload_schema"]["required"] == ["url"]


def test_actions_ls_says_where_each_action_comes_from(env: dict[str, str], tmp_path: Path) -> None:
    """A configured action names its setting's source; one that cannot load is a warning
    naming its source, and the others are listed."""
    here = tmp_path / "project"
    here.mkdir()
    (here / "agentcron.toml").write_text(
        '[actions]\nnote = "agentcron.actions.reminder:ReminderAction"\n'
        'broken = "agentcron_no_such_module:Thing"\n',
        encoding="utf-8",
    )
    listed = agentcron("actions", "ls", "--json", env=env, cwd=here)
    assert listed.returncode == 0, listed.stderr
    by_name = {action["name"]: action for action in json.loads(listed.stdout)}
    assert sorted(by_name) == ["agent", "http", "mcp_tool", "note", "reminder", "shell"]
    file = here / "agentcron.toml"
    assert by_name["note"]["source"] == {
        "kind": "configured",
        "target": "agentcron.actions.reminder:ReminderAction",
        "distribution": None,
        "version": None,
        "built_in": False,
        "configured_in": str(file),
        "description": f"configured: agentcron.actions.reminder:ReminderAction, in {file}",
    }
    warning = json.loads(listed.stderr)["warning"]
    assert warning == (
        f"Action 'broken' (configured: agentcron_no_such_module:Thing, in {file}) cannot be "
        "loaded: ModuleNotFoundError: No module named 'agentcron_no_such_module'"
    )
    # the variable's entries are merged with the file's, the variable winning for "note"
    variable = json.dumps({"note": "agentcron.actions.reminder:ReminderAction"})
    human = agentcron("actions", "ls", env=env | {"AGENTCRON_ACTIONS": variable}, cwd=here)
    assert human.returncode == 0, human.stderr
    assert human.stderr == f"warning: {warning}\n"
    assert (
        "note: Tell you a fixed message; no model, no request.\n"
        "  source: configured: agentcron.actions.reminder:ReminderAction, in AGENTCRON_ACTIONS\n"
    ) in human.stdout
