"""The scripted model server, over real HTTP, as the `openai` SDK and pydantic-ai see it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import (
    ChatCompletionMessage,
    ChatCompletionMessageFunctionToolCall,
    ChatCompletionMessageParam,
)
from pydantic import BaseModel
from pydantic_ai import Agent
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

from agentcron.testing.model_server import (
    NO_SCRIPTED_REPLY,
    Delay,
    Dynamic,
    Error,
    Hang,
    RecordedRequest,
    Reply,
    ScriptedModelServer,
    Text,
    ToolCall,
    ToolCalls,
)

# One module-wide server: the whole file in one process under `pytest -n`.
pytestmark = pytest.mark.xdist_group("model-server")

MODEL = "gpt-4o"


@pytest.fixture(scope="module")
def shared_server() -> Iterator[ScriptedModelServer]:
    """One server for the module: starting and stopping one costs a few tenths of a second."""
    with ScriptedModelServer(models=(MODEL, "gpt-4o-mini")) as server:
        yield server


@pytest.fixture
def server(shared_server: ScriptedModelServer) -> Iterator[ScriptedModelServer]:
    shared_server.reset()
    yield shared_server
    shared_server.reset()


def sync_client(server: ScriptedModelServer, timeout: float = 10.0) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0, timeout=timeout)


def async_client(server: ScriptedModelServer, timeout: float = 10.0) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        base_url=server.base_url, api_key="test", max_retries=0, timeout=timeout
    )


def function_calls(message: ChatCompletionMessage) -> list[ChatCompletionMessageFunctionToolCall]:
    """The message's tool calls, all function calls as the server sends."""
    calls = message.tool_calls or []
    assert all(isinstance(call, ChatCompletionMessageFunctionToolCall) for call in calls)
    return [call for call in calls if isinstance(call, ChatCompletionMessageFunctionToolCall)]


def agent_model(server: ScriptedModelServer) -> OpenAIChatModel:
    return OpenAIChatModel(MODEL, provider=OpenAIProvider(base_url=server.base_url, api_key="test"))


# --- The official client --------------------------------------------------------------------------


def test_sync_client_gets_scripted_text_and_the_request_is_recorded(
    server: ScriptedModelServer,
) -> None:
    server.script(Text("Hello there.", input_tokens=10, output_tokens=5))
    with sync_client(server) as client:
        completion = client.chat.completions.create(
            model=MODEL,
            messages=[
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": [{"type": "text", "text": "Say hello"}]},
            ],
        )

    choice = completion.choices[0]
    assert (choice.message.role, choice.message.content) == ("assistant", "Hello there.")
    assert choice.finish_reason == "stop"
    assert choice.message.tool_calls is None
    assert completion.model == MODEL
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (10, 5)
    assert completion.usage.total_tokens == 15

    request = server.last_request
    assert (request.method, request.path, request.index) == ("POST", "/v1/chat/completions", 1)
    assert request.model == MODEL
    assert request.headers["authorization"] == "Bearer test"
    assert request.message_texts("system") == ["Be brief."]
    assert request.text == "Be brief.\nSay hello"
    assert not request.stream
    assert request.reply == Text("Hello there.", input_tokens=10, output_tokens=5)
    assert request.received_at.tzinfo is not None
    server.assert_script_consumed()


async def test_async_client_gets_tool_calls_with_json_arguments(
    server: ScriptedModelServer,
) -> None:
    server.script(
        ToolCalls(
            [
                ToolCall("create_task", {"title": "Water the plants", "at": "18:00"}),
                ToolCall("list_tasks"),
            ]
        )
    )
    async with async_client(server) as client:
        completion = await client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "Remind me to water the plants"}]
        )

    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    calls = function_calls(choice.message)
    assert [call.function.name for call in calls] == ["create_task", "list_tasks"]
    assert [json.loads(call.function.arguments) for call in calls] == [
        {"title": "Water the plants", "at": "18:00"},
        {},
    ]
    ids = [call.id for call in calls]
    assert all(i.startswith("call_") for i in ids)
    assert len(set(ids)) == 2
    # Usage is estimated when not scripted.
    usage = completion.usage
    assert usage is not None
    assert usage.prompt_tokens > 0
    assert usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_tool_call_arguments_can_be_raw_malformed_text(server: ScriptedModelServer) -> None:
    server.script(ToolCalls([ToolCall("create_task", '{"title": "unterminated', id="call_x")]))
    with sync_client(server) as client:
        completion = client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "hi"}]
        )
    calls = function_calls(completion.choices[0].message)
    assert (calls[0].id, calls[0].function.arguments) == ("call_x", '{"title": "unterminated')


def test_sync_client_sees_a_rate_limit_error_with_retry_after(server: ScriptedModelServer) -> None:
    server.script(Error(status=429, message="Slow down", headers={"Retry-After": "1"}))
    with sync_client(server) as client, pytest.raises(openai.RateLimitError) as raised:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])

    error = raised.value
    assert error.status_code == 429
    assert error.response.headers["retry-after"] == "1"
    assert error.message.endswith("Slow down")
    assert (error.type, error.code) == ("requests", "rate_limit_exceeded")
    assert len(server.requests) == 1  # max_retries=0: no retry


async def test_async_client_sees_a_scripted_error_body(server: ScriptedModelServer) -> None:
    body = {"error": {"message": "Busy", "type": "overloaded", "code": "busy"}}
    server.script(Error(status=429, body=body, headers={"Retry-After": "1"}))
    async with async_client(server) as client:
        with pytest.raises(openai.RateLimitError) as raised:
            await client.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": "hi"}]
            )
    assert raised.value.status_code == 429
    assert raised.value.response.headers["retry-after"] == "1"
    assert raised.value.body == body["error"]


def test_sync_client_streams_text_with_usage(server: ScriptedModelServer) -> None:
    text = "Your dentist appointment is tomorrow at nine."
    server.script(Text(text, input_tokens=12, output_tokens=9))
    with sync_client(server) as client:
        stream = client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "When is the dentist?"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = list(stream)

    content_chunks = [c.choices[0].delta.content for c in chunks if c.choices]
    assert "".join(filter(None, content_chunks)) == text
    assert len([c for c in content_chunks if c]) > 3  # really split
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert all(c.usage is None for c in chunks[:-1])
    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens) == (12, 9)
    assert server.last_request.stream
    assert server.last_request.include_usage


async def test_async_client_streams_tool_calls_in_pieces(server: ScriptedModelServer) -> None:
    arguments = {"title": "Renew the passport", "when": "2026-12-01T09:00:00+01:00"}
    server.script(
        ToolCalls(
            [ToolCall("create_task", arguments), ToolCall("list_tasks", {"limit": 3})],
            content="Let me do that.",
            input_tokens=30,
            output_tokens=20,
        )
    )
    async with async_client(server) as client:
        stream = await client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "Passport"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]

    names: dict[int, str] = {}
    ids: dict[int, str] = {}
    args: dict[int, str] = {}
    pieces = 0
    text = ""
    finish_reason = None
    for chunk in chunks:
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        text += delta.content or ""
        finish_reason = chunk.choices[0].finish_reason or finish_reason
        for call in delta.tool_calls or []:
            if call.id:
                ids[call.index] = call.id
            if call.function and call.function.name:
                names[call.index] = call.function.name
            if call.function and call.function.arguments:
                args[call.index] = args.get(call.index, "") + call.function.arguments
                pieces += 1

    assert text == "Let me do that."
    assert names == {0: "create_task", 1: "list_tasks"}
    assert {i: json.loads(a) for i, a in args.items()} == {0: arguments, 1: {"limit": 3}}
    assert len(set(ids.values())) == 2
    assert pieces > 2  # the arguments came in several pieces
    assert finish_reason == "tool_calls"
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == 50


def test_stream_without_include_usage_has_no_usage_chunk(server: ScriptedModelServer) -> None:
    server.script(Text("short answer"))
    with sync_client(server) as client:
        chunks = list(
            client.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": "hi"}], stream=True
            )
        )
    assert all(c.choices and c.usage is None for c in chunks)


def test_an_empty_queue_answers_a_clear_500(server: ScriptedModelServer) -> None:
    server.script(Text("only one"))
    with sync_client(server) as client:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "1"}])
        with pytest.raises(openai.InternalServerError) as raised:
            client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "2"}])
    assert raised.value.status_code == 500
    assert "no scripted reply left" in raised.value.message
    assert server.last_request.reply == NO_SCRIPTED_REPLY
    assert len(server.requests) == 2


def test_default_and_respond_with_answer_unscripted_requests(server: ScriptedModelServer) -> None:
    with sync_client(server) as client:

        def ask(prompt: str) -> str | None:
            completion = client.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": prompt}]
            )
            return completion.choices[0].message.content

        server.default = Text("always this")
        assert [ask("a"), ask("b")] == ["always this", "always this"]

        server.respond_with(lambda request: Text(request.text.upper()))
        server.script(Text("scripted first"))
        assert [ask("scripted"), ask("echo me")] == ["scripted first", "ECHO ME"]


def test_dynamic_replies_may_be_async_and_their_errors_are_kept(
    server: ScriptedModelServer,
) -> None:
    async def later(request: RecordedRequest) -> Reply:
        await asyncio.sleep(0.01)
        return Text(f"{len(request.messages)} messages")

    def broken(request: RecordedRequest) -> Reply:
        raise ValueError("bad script")

    def not_a_reply(request: RecordedRequest) -> Any:
        return None

    server.script(Dynamic(later), Dynamic(broken), Dynamic(not_a_reply))
    with sync_client(server) as client:
        messages: list[ChatCompletionMessageParam] = [
            {"role": "user", "content": "a"},
            {"role": "assistant", "content": "b"},
            {"role": "user", "content": "c"},
        ]
        completion = client.chat.completions.create(model=MODEL, messages=messages)
        assert completion.choices[0].message.content == "3 messages"
        with pytest.raises(openai.InternalServerError, match="bad script"):
            client.chat.completions.create(model=MODEL, messages=messages)
        with pytest.raises(openai.InternalServerError, match="returned None"):
            client.chat.completions.create(model=MODEL, messages=messages)
    assert [type(r.error) for r in server.requests] == [type(None), ValueError, TypeError]


def test_plain_http_without_the_v1_prefix_and_the_model_list(server: ScriptedModelServer) -> None:
    server.script(Text("no prefix needed"))
    with httpx.Client(base_url=server.url) as http:
        answer = http.post(
            "/chat/completions",
            json={"model": MODEL, "messages": [{"role": "user", "content": "hi"}]},
        )
        invalid = http.post("/v1/chat/completions", json={"model": MODEL})
        models = http.get("/v1/models")

    assert answer.status_code == 200
    assert answer.json()["choices"][0]["message"]["content"] == "no prefix needed"
    assert invalid.status_code == 400
    assert invalid.json()["error"]["type"] == "invalid_request_error"
    assert [m["id"] for m in models.json()["data"]] == [MODEL, "gpt-4o-mini"]
    paths = [r.path for r in server.requests]
    assert paths == ["/chat/completions", "/v1/chat/completions", "/v1/models"]
    assert server.pending == 0  # the invalid request used no scripted reply


def test_the_model_list_through_the_sdk(server: ScriptedModelServer) -> None:
    with sync_client(server) as client:
        assert [model.id for model in client.models.list()] == [MODEL, "gpt-4o-mini"]


# --- Delays and hangs ---------------------------------------------------------------------------


@pytest.mark.serial  # elapsed times bounded
async def test_delayed_replies_wait_concurrently(server: ScriptedModelServer) -> None:
    count = 200
    server.script(*(Delay(1.0, then=Text("late")) for _ in range(count)))
    answered: list[float] = []

    async with async_client(server) as client:

        async def ask(i: int) -> str | None:
            completion = await client.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": f"request {i}"}]
            )
            answered.append(time.monotonic())
            return completion.choices[0].message.content

        started = time.monotonic()
        answers = await asyncio.gather(*(ask(i) for i in range(count)))
        elapsed = time.monotonic() - started

    assert answers == ["late"] * count
    # Many requests were waiting at once (served one at a time, one would be): the delays
    # overlapped. How many depends on how fast this machine sends them.
    waiting_at_first_answer = sum(r.monotonic < min(answered) for r in server.requests)
    assert waiting_at_first_answer >= count // 10
    # Served one after another they would take 200 s; the margin allows a busy machine
    # (the SDK's own work is a few milliseconds a request). Speed is measured in bench/.
    assert 1.0 <= elapsed < count / 10


@pytest.mark.serial  # elapsed times bounded
def test_the_delay_field_delays_one_reply(server: ScriptedModelServer) -> None:
    server.script(Text("slow", delay=0.3), Text("fast"))
    with sync_client(server) as client:
        durations = []
        for _ in range(2):
            started = time.monotonic()
            client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}])
            durations.append(time.monotonic() - started)
    assert durations[0] >= 0.3
    assert durations[1] < 0.3


@pytest.mark.serial  # elapsed times bounded
def test_a_hanging_reply_times_the_client_out_and_the_server_still_stops_promptly() -> None:
    server = ScriptedModelServer().start()
    try:
        server.script(Hang())
        with sync_client(server, timeout=0.5) as client:
            started = time.monotonic()
            with pytest.raises(openai.APITimeoutError):
                client.chat.completions.create(
                    model=MODEL, messages=[{"role": "user", "content": "hello?"}]
                )
            assert 0.5 <= time.monotonic() - started < 2.0
        [request] = server.wait_for_requests(1)
        assert request.reply == Hang()
    finally:
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 1.5


@pytest.mark.serial  # elapsed times bounded
async def test_stopping_wakes_requests_that_still_wait() -> None:
    async with contextlib.AsyncExitStack() as stack:
        server = await stack.enter_async_context(ScriptedModelServer())
        client = await stack.enter_async_context(async_client(server, timeout=10.0))
        server.script(Hang(), Text("never sent", delay=30))
        requests = [
            asyncio.create_task(
                client.chat.completions.create(
                    model=MODEL, messages=[{"role": "user", "content": "hello?"}]
                )
            )
            for _ in range(2)
        ]
        await server.wait_for_requests_async(2)
        started = time.monotonic()
        await asyncio.to_thread(server.stop)
        assert time.monotonic() - started < 1.5
        outcomes = await asyncio.gather(*requests, return_exceptions=True)

    # Both were answered as the server stopped, rather than left waiting for their timeout.
    statuses = [o.status_code if isinstance(o, openai.APIStatusError) else o for o in outcomes]
    assert statuses == [503, 503]


# --- pydantic-ai --------------------------------------------------------------------------------


def task_agent(server: ScriptedModelServer, created: list[tuple[str, str]]) -> Agent[None, str]:
    agent = Agent(agent_model(server), instructions="You keep the user's task list.")

    @agent.tool_plain
    def create_task(title: str, due: str) -> str:
        """Create a task."""
        created.append((title, due))
        return f"created task 7 ({title})"

    return agent


def tool_round_trip() -> tuple[Reply, Reply]:
    call = ToolCall("create_task", {"title": "Pay rent", "due": "2026-12-01"}, id="call_rent")
    return (
        ToolCalls([call], input_tokens=50, output_tokens=10),
        Text("Done: task 7 is set for December 1.", input_tokens=80, output_tokens=12),
    )


def assert_tool_round_trip(server: ScriptedModelServer, created: list[tuple[str, str]]) -> None:
    assert created == [("Pay rent", "2026-12-01")]
    first, second = server.requests
    assert "You keep the user's task list." in first.message_texts("system")
    assert "Remind me to pay the rent" in first.text
    assert first.tool_names == ["create_task"]
    parameters = first.tool("create_task")["parameters"]
    assert set(parameters["properties"]) == {"title", "due"}
    # The second request replays the call and carries the tool's result.
    assert second.tool_results == {"call_rent": "created task 7 (Pay rent)"}
    [replayed] = [m for m in second.messages if m["role"] == "assistant"]
    [call] = replayed["tool_calls"]
    assert (call["id"], call["function"]["name"]) == ("call_rent", "create_task")
    assert json.loads(call["function"]["arguments"]) == {"title": "Pay rent", "due": "2026-12-01"}


async def test_pydantic_ai_agent_calls_a_tool_then_answers(server: ScriptedModelServer) -> None:
    server.script(*tool_round_trip())
    created: list[tuple[str, str]] = []
    async with task_agent(server, created) as agent:
        result = await agent.run("Remind me to pay the rent on December 1")

    assert result.output == "Done: task 7 is set for December 1."
    assert_tool_round_trip(server, created)
    assert not any(r.stream for r in server.requests)
    usage = result.usage
    assert (usage.requests, usage.tool_calls) == (2, 1)
    assert (usage.input_tokens, usage.output_tokens) == (130, 22)


async def test_pydantic_ai_agent_streams_a_tool_call_then_the_answer(
    server: ScriptedModelServer,
) -> None:
    server.script(*tool_round_trip())
    created: list[tuple[str, str]] = []
    async with (
        task_agent(server, created) as agent,
        agent.run_stream("Remind me to pay the rent on December 1") as result,
    ):
        streamed = [text async for text in result.stream_text(delta=True, debounce_by=None)]
        output = await result.get_output()

    assert output == "Done: task 7 is set for December 1."
    assert "".join(streamed) == output
    assert len(streamed) > 1
    assert_tool_round_trip(server, created)
    assert all(r.stream and r.include_usage for r in server.requests)
    usage = result.usage
    assert (usage.requests, usage.tool_calls) == (2, 1)
    assert (usage.input_tokens, usage.output_tokens) == (130, 22)


class TaskDraft(BaseModel):
    title: str
    due: str
    recurring: bool


def answer_structured_output(request: RecordedRequest) -> Reply:
    """Answer as pydantic-ai asks for structured output: by calling its output tool."""
    [output_tool] = [name for name in request.tool_names if name.startswith("final_result")]
    fields = request.tool(output_tool)["parameters"]["properties"]
    assert set(fields) == {"title", "due", "recurring"}
    draft = {"title": "Gym", "due": "Mon 07:00", "recurring": True}
    return ToolCalls([ToolCall(output_tool, draft)])


async def test_pydantic_ai_agent_with_a_structured_output_type(server: ScriptedModelServer) -> None:
    server.script(Dynamic(answer_structured_output))
    async with Agent(agent_model(server), output_type=TaskDraft) as agent:
        result = await agent.run("Gym every Monday at 7")

    assert result.output == TaskDraft(title="Gym", due="Mon 07:00", recurring=True)
    request = server.last_request
    assert request.tool_names == ["final_result"]
    assert "response_format" not in request.body  # tool output, not native JSON schema
    assert request.body.get("tool_choice") == "required"
    assert len(server.requests) == 1
