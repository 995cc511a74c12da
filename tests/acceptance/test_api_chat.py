"""``/v1/chat`` over real HTTP: ``agentcron api`` in a subprocess, the model played by a local
scripted server, the reply read as Server-Sent Events as it streams."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from agentcron.testing.model_server import Error, ScriptedModelServer, Text, ToolCall, ToolCalls
from tests.acceptance.test_api import error_of
from tests.support.api_server import Api, Server, api_serving

REQUEST = {
    "title": "Weather brief",
    "when": "every weekday at 8am",
    "instructions": "Brief me on the weather in Paris.",
}
SAID = "every weekday at 8am brief me on the weather"


@pytest.fixture(scope="module")
def model_server() -> Iterator[ScriptedModelServer]:
    with ScriptedModelServer() as server:
        yield server


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, model_server: ScriptedModelServer
) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("api-chat")
    env = {
        "AGENTCRON_HOME": str(home),
        "AGENTCRON_TIMEZONE": "Europe/Paris",
        "AGENTCRON_MODEL": "openai:scripted-model",
        "AGENTCRON_OPENAI_BASE_URL": model_server.base_url,
        "AGENTCRON_CHAT_MAX_MESSAGE_CHARS": "500",
    }
    with api_serving(env, home / "api.log") as served:
        yield served


@pytest.fixture
def api(server: Server, model_server: ScriptedModelServer) -> Api:
    model_server.reset()
    return Api(server.env, server.url, server.log)


def events(api: Api, who: str, message: str) -> list[tuple[str, dict[str, Any]]]:
    """The stream of one turn, as (event, data) in the order they came."""
    headers = {"Authorization": f"Bearer {api.keys[who]}"}
    said: list[tuple[str, dict[str, Any]]] = []
    with httpx.stream(
        "POST", f"{api.url}/v1/chat", json={"message": message}, headers=headers, timeout=20
    ) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        name = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                assert name is not None
                said.append((name, json.loads(line.removeprefix("data: "))))
    return said


def test_a_message_makes_one_task_and_its_replay_none(
    api: Api, model_server: ScriptedModelServer
) -> None:
    confirm = "Done: every weekday at 08:00 Europe/Paris, first on Mon 7 Dec 08:00."
    for _ in range(2):  # the same turn twice: the model asks for the task both times
        model_server.script(ToolCalls([ToolCall("create_task", REQUEST)]), Text(confirm))
    first = events(api, "ann", SAID)
    names = [name for name, _ in first]
    assert names[-1] == "reply"
    assert "text" in names[:-1]
    assert "".join(data["text"] for name, data in first if name == "text") == confirm
    reply = first[-1][1]
    assert reply["reply"] == confirm
    assert [call["tool"] for call in reply["tool_calls"]] == ["create_task"]
    listed = api.call("GET", "/v1/tasks").json()["tasks"]
    assert [(t["title"], t["action"]) for t in listed] == [("Weather brief", "agent")]
    assert reply["tasks_changed"] == [listed[0]["id"]]

    again = events(api, "ann", SAID)  # a client's retry of the same message
    assert again[-1][1]["tasks_changed"] == [listed[0]["id"]]
    assert len(api.call("GET", "/v1/tasks").json()["tasks"]) == 1
    model_server.assert_script_consumed()


def test_conversations_are_kept_per_person(api: Api, model_server: ScriptedModelServer) -> None:
    model_server.script(Text("Noted."), Text("Hello Bob."), Text("You said: lunch on Friday."))
    assert events(api, "ann", "remember that lunch is on Friday")[-1][1]["reply"] == "Noted."
    assert events(api, "bob", "hi")[-1][1]["reply"] == "Hello Bob."
    events(api, "ann", "what did I say?")
    bob_turn, ann_second = model_server.requests[-2:]
    assert "lunch" not in json.dumps(bob_turn.messages)  # bob's model never sees ann's words
    assert "remember that lunch is on Friday" in ann_second.message_texts("user")
    assert api.call("DELETE", "/v1/chat").status_code == 204  # ann forgets hers
    model_server.script(Text("A fresh start."))
    events(api, "ann", "what did I say?")
    assert "lunch" not in json.dumps(model_server.last_request.messages)


def test_what_a_client_can_fix_is_refused_before_the_stream_opens(
    api: Api, model_server: ScriptedModelServer
) -> None:
    for body, why in (
        ({"message": "   "}, "empty"),
        ({"message": "x" * 501}, "at most 500"),
        ({"message": "hi", "conversation": "../etc"}, "conversation"),
        ({}, "message"),
    ):
        refused = api.call("POST", "/v1/chat", json=body)
        assert error_of(refused) == (422, "invalid_input"), refused.text
        assert why in refused.json()["error"]["message"]
    assert error_of(api.call("POST", "/v1/chat", who=None, json={"message": "hi"}))[0] == 401
    assert model_server.requests == []  # none of them reached the model


def test_a_model_that_fails_ends_the_stream_with_an_error(
    api: Api, model_server: ScriptedModelServer
) -> None:
    model_server.script(Error(status=400, message="this model is not served here"))
    said = events(api, "ann", "remind me to stretch at 5pm")
    name, data = said[-1]
    assert name == "error"
    assert data["error"]["code"] == "chat_failed"
    assert data["error"]["message"]
    assert api.call("GET", "/v1/tasks").json()["tasks"] == []
