"""``agentcron chat`` as a person uses it, with the model played by a local scripted server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentcron.testing.model_server import ScriptedModelServer, Text, ToolCall, ToolCalls
from tests.acceptance.test_cli_schedule import agentcron
from tests.support.local_http import free_port


@pytest.fixture
def model_server() -> Iterator[ScriptedModelServer]:
    with ScriptedModelServer() as server:
        yield server


@pytest.fixture
def env(tmp_path: Path, model_server: ScriptedModelServer) -> dict[str, str]:
    return {
        "AGENTCRON_HOME": str(tmp_path),
        "AGENTCRON_TIMEZONE": "Europe/Paris",
        "AGENTCRON_MODEL": "openai:scripted-model",
        "AGENTCRON_OPENAI_BASE_URL": model_server.base_url,
    }


def test_one_message_creates_the_task_it_asks_for(
    env: dict[str, str], model_server: ScriptedModelServer
) -> None:
    request = {
        "title": "Weather brief",
        "when": "every weekday at 8am",
        "instructions": "Brief me on the weather in Paris.",
    }
    model_server.script(
        ToolCalls([ToolCall("create_task", request)]),
        Text("Done: every weekday at 08:00 Europe/Paris, first on Mon 23 Nov 08:00."),
    )
    said = agentcron("chat", "every weekday at 8am brief me on the weather", "--json", env=env)
    assert said.returncode == 0, said.stderr
    reply = json.loads(said.stdout)
    assert reply["reply"].startswith("Done: every weekday at 08:00")
    assert [c["tool"] for c in reply["tool_calls"]] == ["create_task"]
    listed = json.loads(agentcron("ls", "--json", env=env).stdout)
    assert [(t["title"], t["action"], t["description"]) for t in listed] == [
        ("Weather brief", "agent", "every weekday at 08:00 (Europe/Paris)")
    ]
    assert reply["tasks_changed"] == [listed[0]["id"]]
    assert reply["served"] is False  # no serve runs on this store: the task waits for one


def test_a_task_made_in_words_while_nothing_serves_says_so(
    env: dict[str, str], model_server: ScriptedModelServer
) -> None:
    request = {
        "title": "Call mom",
        "when": "tomorrow at 6pm",
        "instructions": "call mom",
        "kind": "reminder",
    }
    model_server.script(ToolCalls([ToolCall("create_task", request)]), Text("Done."))
    said = agentcron("chat", "remind me to call mom tomorrow at 6pm", env=env)
    assert said.returncode == 0, said.stderr
    assert "Done." in said.stdout
    assert "no 'agentcron serve' is running on this store" in said.stdout


def test_replies_are_printed_as_they_stream_in_and_the_conversation_goes_on(
    env: dict[str, str], model_server: ScriptedModelServer
) -> None:
    model_server.script(
        Text("You have no tasks yet."),
        Text("Nothing is planned, so nothing can be late."),
    )
    said = agentcron("chat", "what do I have?", env=env)
    assert said.returncode == 0, said.stderr
    assert said.stdout == "You have no tasks yet.\n"
    said = agentcron("chat", env=env, stdin="anything late?\n\nexit\n")
    assert said.returncode == 0, said.stderr
    assert "agentcron> Nothing is planned, so nothing can be late.\n" in said.stdout
    assert all(request.stream for request in model_server.requests)
    assert "You have no tasks yet." in model_server.requests[1].text  # the kept conversation


def test_without_a_model_chat_says_what_to_set(env: dict[str, str]) -> None:
    del env["AGENTCRON_MODEL"]
    said = agentcron("chat", "hello", env=env)
    assert said.returncode == 78  # the operator's setup
    assert said.stderr.startswith(
        "error: No model is configured for agent tasks. Set AGENTCRON_MODEL"
    )
    assert said.stderr.count("\n") == 1


def test_a_model_that_fails_is_one_clear_line(
    env: dict[str, str], model_server: ScriptedModelServer
) -> None:
    from agentcron.testing.model_server import Error

    model_server.script(Error(401, "bad key"))
    said = agentcron("chat", "hello", env=env)
    assert said.returncode == 1  # a runtime failure
    assert "refused the request" in said.stderr
    assert "Traceback" not in said.stderr


def test_an_unreachable_model_server_is_one_clear_line(env: dict[str, str]) -> None:
    port = free_port()  # nobody listens on it
    env["AGENTCRON_OPENAI_BASE_URL"] = f"http://127.0.0.1:{port}/v1"
    said = agentcron("chat", "hello", env=env)
    assert said.returncode == 1  # a runtime failure
    assert said.stderr.startswith("error: openai:scripted-model failed (cannot connect: ")
    assert f"127.0.0.1:{port}" in said.stderr
    assert said.stderr.count("\n") == 1
