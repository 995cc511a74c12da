"""A scripted OpenAI-compatible model server, for tests of code that drives an LLM agent.

An agent is best tested against a model that answers exactly what the test says, over real HTTP,
so the real client stack runs (the `openai` SDK, pydantic-ai's `OpenAIChatModel`, agentcron's
agent action): request encoding, timeouts, retries, streaming and usage accounting included.
`ScriptedModelServer` is a real HTTP server on loopback (127.0.0.1, a free port) that answers
`POST /v1/chat/completions` from a queue of scripted replies, one per request, and records every
request, so a test can both steer the agent and check what it sent. A reply is

- `Text`: an assistant message (streamed word by word when the client asks for a stream);
- `ToolCalls`: the model calls tools (`ToolCall`), with arguments as JSON or a raw string;
- `Error`: an HTTP error in OpenAI's shape (429 with rate-limit headers, 500, 401...);
- `Delay` / `delay=`: an answer after a pause (to test timeouts), `Hang`: no answer at all;
- `Dynamic`: a reply computed from the request when it arrives.

It also lists models at `GET /v1/models`. Token usage is reported (given, or estimated from the
text), so cost accounting can be tested too. Unscripted requests get `NO_SCRIPTED_REPLY`, a clear
500, unless `default` says otherwise.

A plugin's test, say of an action whose agent calls a `lookup` tool then answers::

    from agentcron.config import Settings
    from agentcron.testing.model_server import ScriptedModelServer, Text, ToolCall, ToolCalls


    def test_the_agent_looks_the_order_up_then_answers() -> None:
        with ScriptedModelServer() as server:
            server.script(
                ToolCalls([ToolCall("lookup", {"order": "A-17"})]),
                Text("Order A-17 ships tomorrow."),
            )
            settings = Settings(model="openai:scripted-model", openai_base_url=server.base_url)
            ...  # run the action with these settings
            assert "lookup" in server.requests[0].tool_names  # the tool was offered
            assert "A-17" in server.requests[1].tool_results["call_1"]  # the tool's result
            server.assert_script_consumed()

Any OpenAI client works the same way: `openai.AsyncOpenAI(base_url=server.base_url,
api_key="test")`. The server runs uvicorn in a background thread with its own event loop, so sync
and async tests can use it alike (`with` or `async with`), and delays are `asyncio.sleep`s, so a
thousand requests can wait at once. To share one server across a module's tests, `reset()` it
between them.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, TypeAlias

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from agentcron.plurals import plural

__all__ = [
    "NO_SCRIPTED_REPLY",
    "Delay",
    "Dynamic",
    "Error",
    "Hang",
    "RecordedRequest",
    "Reply",
    "ScriptedModelServer",
    "Text",
    "ToolCall",
    "ToolCalls",
]

JSONObject: TypeAlias = dict[str, Any]

_SYSTEM_FINGERPRINT = "fp_scripted"
_ARGUMENT_PIECE_CHARS = 8  # a streamed tool call's arguments arrive in pieces this long
_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 10.0


# --- Replies ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _Answer:
    """What every reply that answers has: when it answers and with which extra headers."""

    delay: float = 0.0
    """Seconds to wait before answering (an `asyncio.sleep`: concurrent requests wait together)."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Extra response headers, e.g. rate-limit headers."""


@dataclass(frozen=True, kw_only=True)
class _Completion(_Answer):
    """What an assistant message has, text or tool calls: its usage and how it streams."""

    input_tokens: int | None = None
    """`usage.prompt_tokens`; estimated from the request's text (4 characters a token) if None."""
    output_tokens: int | None = None
    """`usage.completion_tokens`; estimated from the reply's text (4 characters a token) if None."""
    chunk_delay: float = 0.0
    """When streamed, seconds between chunks (for tests that watch a stream arrive)."""


@dataclass(frozen=True)
class Text(_Completion):
    """A plain assistant message; streamed word by word when the request asks for a stream."""

    content: str
    finish_reason: str = "stop"


@dataclass(frozen=True)
class ToolCall:
    """One function call the model makes.

    `arguments` is JSON-encoded as OpenAI does; a `str` is sent verbatim instead, so a test can send
    malformed JSON. `id` defaults to `call_<n>`, numbered across the server's lifetime.
    """

    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=dict)
    id: str | None = None

    @property
    def arguments_json(self) -> str:
        """The `function.arguments` string sent on the wire."""
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments, ensure_ascii=False)


@dataclass(frozen=True)
class ToolCalls(_Completion):
    """An assistant message calling one or more tools (possibly with some text alongside)."""

    calls: Sequence[ToolCall]
    content: str | None = None
    finish_reason: str = "tool_calls"


@dataclass(frozen=True)
class Error(_Answer):
    """An HTTP error in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`.

    `error_type` and `code` default to what OpenAI sends for the status. `body` replaces the whole
    body: a mapping is sent as JSON, a `str` verbatim (for tests of unparsable error bodies).
    """

    status: int = 500
    message: str = "scripted error"
    error_type: str | None = None
    code: str | None = None
    body: Mapping[str, Any] | str | None = None

    def encoded_body(self) -> bytes:
        """The response body."""
        if isinstance(self.body, str):
            return self.body.encode()
        if self.body is not None:
            return json.dumps(self.body).encode()
        default_type, default_code = _error_kind(self.status)
        error = {
            "message": self.message,
            "type": self.error_type or default_type,
            "param": None,
            "code": self.code if self.code is not None else default_code,
        }
        return json.dumps({"error": error}).encode()


@dataclass(frozen=True)
class Delay:
    """Answer `then` after waiting `seconds` more (adds to `then`'s own `delay`)."""

    seconds: float
    then: Reply


@dataclass(frozen=True)
class Hang:
    """Never answer: the request waits until the client disconnects or the server stops."""


@dataclass(frozen=True)
class Dynamic:
    """Compute the reply from the request, when it arrives.

    `fn` runs on the server's event loop: it may be a coroutine function, and must not block.
    If it raises, the request gets a 500 and the exception is kept in `RecordedRequest.error`.
    """

    fn: Callable[[RecordedRequest], Reply | Awaitable[Reply]]


Reply: TypeAlias = Text | ToolCalls | Error | Delay | Hang | Dynamic
"""Anything `ScriptedModelServer.script` accepts."""

NO_SCRIPTED_REPLY = Error(
    status=500,
    message=(
        "ScriptedModelServer: no scripted reply left for this request "
        "(the test sent more requests than it scripted; see script() and default)"
    ),
    error_type="server_error",
    code="no_scripted_reply",
)
"""The default reply, so that an unexpected extra request fails clearly."""


def _error_kind(status: int) -> tuple[str, str | None]:
    """OpenAI's error `type` and `code` for an HTTP status."""
    kinds: dict[int, tuple[str, str | None]] = {
        401: ("invalid_request_error", "invalid_api_key"),
        404: ("invalid_request_error", "model_not_found"),
        429: ("requests", "rate_limit_exceeded"),
    }
    if status in kinds:
        return kinds[status]
    return ("server_error", None) if status >= 500 else ("invalid_request_error", None)


# --- Requests -----------------------------------------------------------------------------------


@dataclass
class RecordedRequest:
    """One request the server received, with accessors for what tests usually check."""

    index: int
    """1-based arrival order."""
    method: str
    path: str
    headers: dict[str, str]
    """Lower-cased names."""
    body: JSONObject
    """The parsed JSON body (`{}` when there was none or it was not a JSON object)."""
    received_at: datetime
    """Wall-clock arrival time (UTC)."""
    monotonic: float
    """`time.monotonic()` at arrival, for measuring intervals between requests."""
    reply: Reply | None = None
    """The reply the server chose, once `Delay` and `Dynamic` are resolved."""
    error: BaseException | None = None
    """What a `Dynamic` reply's function raised, if anything."""

    @property
    def model(self) -> str | None:
        model = self.body.get("model")
        return model if isinstance(model, str) else None

    @property
    def stream(self) -> bool:
        return self.body.get("stream") is True

    @property
    def include_usage(self) -> bool:
        """Whether a streamed answer must end with a usage chunk."""
        options = self.body.get("stream_options")
        return isinstance(options, dict) and options.get("include_usage") is True

    @property
    def messages(self) -> list[JSONObject]:
        messages = self.body.get("messages")
        return [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []

    @property
    def tools(self) -> list[JSONObject]:
        tools = self.body.get("tools")
        return [t for t in tools if isinstance(t, dict)] if isinstance(tools, list) else []

    @property
    def tool_names(self) -> list[str]:
        """Names of the function tools offered to the model, in order."""
        return [str(t.get("function", {}).get("name")) for t in self.tools]

    def tool(self, name: str) -> JSONObject:
        """The `function` definition of the tool called `name` (`KeyError` if not offered)."""
        for tool in self.tools:
            function = tool.get("function", {})
            if function.get("name") == name:
                return dict(function)
        raise KeyError(f"no tool {name!r} in the request; offered: {self.tool_names}")

    def message_texts(self, *roles: str) -> list[str]:
        """The text of each message, in order: all of them, or those with one of `roles`.

        A message's text joins its text parts, and for an assistant message its tool calls as
        `name(arguments)`, so assertions see everything the model was shown.
        """
        return [_message_text(m) for m in self.messages if not roles or m.get("role") in roles]

    @property
    def text(self) -> str:
        """All messages' text, joined by newlines: for `"..." in request.text` checks."""
        return "\n".join(self.message_texts())

    @property
    def tool_results(self) -> dict[str, str]:
        """The `tool` messages' contents, by `tool_call_id`."""
        return {
            str(m.get("tool_call_id")): _message_text(m)
            for m in self.messages
            if m.get("role") == "tool"
        }


def _message_text(message: JSONObject) -> str:
    pieces: list[str] = []
    content = message.get("content")
    if isinstance(content, str):
        pieces.append(content)
    elif isinstance(content, list):
        pieces.extend(
            str(part["text"])
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    for call in message.get("tool_calls") or []:
        function = call.get("function", {}) if isinstance(call, dict) else {}
        pieces.append(f"{function.get('name')}({function.get('arguments')})")
    return "\n".join(pieces)


def _estimate_tokens(text: str) -> int:
    """Roughly what a tokenizer would count: a token every 4 characters, at least one."""
    return max(1, math.ceil(len(text) / 4))


def _words(text: str) -> list[str]:
    """`text` in stream pieces: each word with the whitespace before it."""
    return re.findall(r"\s*\S+|\s+$", text) or [text]


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


# --- Server -------------------------------------------------------------------------------------


class ScriptedModelServer:
    """An OpenAI-compatible Chat Completions endpoint answering scripted replies, one per request.

    Start it with `with` (or `async with`, or `start()` / `stop()`); point clients at `base_url`.
    The reply queue and the request list are shared with the server thread, under a lock.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        models: Sequence[str] = ("scripted-model",),
    ) -> None:
        """`port=0` picks a free port; `models` is what `GET /v1/models` lists."""
        self._host = host
        self._requested_port = port
        self._models = tuple(models)
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._queue: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._default: Reply = NO_SCRIPTED_REPLY
        self._call_ids = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread_error: BaseException | None = None
        self._port: int | None = None
        # Plain routes (`add_route`): the handlers take the request as it is, with no FastAPI
        # parameter parsing or generated documentation on the way.
        self._app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
        for path in ("/v1/chat/completions", "/chat/completions"):
            self._app.router.add_route(path, self._chat_completions, methods=["POST"])
        for path in ("/v1/models", "/models"):
            self._app.router.add_route(path, self._list_models, methods=["GET"])

    # Lifecycle

    def start(self) -> Self:
        """Serve in a background thread; returns once the port accepts connections."""
        if self._thread is not None:
            raise RuntimeError("ScriptedModelServer is already started")
        config = uvicorn.Config(
            self._app,
            host=self._host,
            port=self._requested_port,
            http="h11",
            ws="none",
            lifespan="off",
            log_config=None,  # leave the test's logging configuration alone
            access_log=False,
            # Safety net: `stop()` already wakes `Hang` and `Delay`, so only a blocking `Dynamic`
            # function can keep a request running this long.
            timeout_graceful_shutdown=3,
            # Longer than clients keep idle connections (httpx: 5 s), so that it is the client that
            # drops them: otherwise a request sent as the server closes one fails spuriously.
            timeout_keep_alive=30,
        )
        self._server = uvicorn.Server(config)
        self._thread_error = None
        self._thread = threading.Thread(target=self._run, name="scripted-model-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self._server.should_exit = True
                self._thread.join(timeout=_STOP_TIMEOUT)
                self._thread = self._server = None
                raise RuntimeError("ScriptedModelServer did not start") from self._thread_error
            time.sleep(0.005)
        sockets = self._server.servers[0].sockets
        self._port = int(sockets[0].getsockname()[1])
        return self

    def stop(self) -> None:
        """Stop serving: wake waiting requests, let uvicorn shut down, join the thread."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended: the server crashed
                loop.call_soon_threadsafe(stopping.set)
        server.should_exit = True
        thread.join(timeout=_STOP_TIMEOUT)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout=_STOP_TIMEOUT)
        self._thread = self._server = self._loop = self._stopping = None
        if thread.is_alive():
            raise RuntimeError("ScriptedModelServer did not stop")
        if self._thread_error is not None:
            raise RuntimeError("ScriptedModelServer crashed") from self._thread_error

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    def _run(self) -> None:
        """The server thread: its own event loop, errors kept for `start`/`stop` to raise."""
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # SystemExit too: uvicorn exits when it cannot bind
            self._thread_error = exc

    async def _serve(self) -> None:
        assert self._server is not None
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        await self._server.serve()

    @property
    def port(self) -> int:
        if self._port is None or self._thread is None:
            raise RuntimeError("ScriptedModelServer is not started")
        return self._port

    @property
    def url(self) -> str:
        """The server's root, e.g. `http://127.0.0.1:54321`."""
        return f"http://{self._host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What OpenAI clients take as `base_url`, e.g. `http://127.0.0.1:54321/v1`."""
        return f"{self.url}/v1"

    # Script

    def script(self, *replies: Reply) -> None:
        """Queue replies, answered in order, one per request."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def default(self) -> Reply:
        """The reply when the queue is empty (initially `NO_SCRIPTED_REPLY`, a clear 500)."""
        with self._lock:
            return self._default

    @default.setter
    def default(self, reply: Reply) -> None:
        with self._lock:
            self._default = reply

    def respond_with(self, fn: Callable[[RecordedRequest], Reply | Awaitable[Reply]]) -> None:
        """Answer every unscripted request with `fn(request)` (a `Dynamic` default)."""
        self.default = Dynamic(fn)

    @property
    def pending(self) -> int:
        """Scripted replies not yet used."""
        with self._lock:
            return len(self._queue)

    def assert_script_consumed(self) -> None:
        """Fail if scripted replies are left, i.e. the client sent fewer requests than expected."""
        with self._lock:
            left = list(self._queue)
        assert not left, (
            f"{plural(len(left), 'scripted reply', 'scripted replies')} never requested: {left}"
        )

    def reset(self) -> None:
        """Forget the script, the default and the requests (to reuse one server across tests)."""
        with self._lock:
            self._queue.clear()
            self._requests.clear()
            self._default = NO_SCRIPTED_REPLY

    # Requests

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def last_request(self) -> RecordedRequest:
        """The most recent request; fails the test if none arrived."""
        with self._lock:
            assert self._requests, "the ScriptedModelServer has received no request"
            return self._requests[-1]

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        """Block until `count` requests arrived (e.g. before checking a hanging one)."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self._requests) >= count, timeout=timeout):
                raise TimeoutError(
                    f"{len(self._requests)} of {count} requests arrived in {timeout}s"
                )
            return list(self._requests)

    async def wait_for_requests_async(
        self, count: int, timeout: float = 5.0
    ) -> list[RecordedRequest]:
        """`wait_for_requests` without blocking the caller's event loop."""
        deadline = time.monotonic() + timeout
        while len(received := self.requests) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(received)} of {count} requests arrived in {timeout}s")
            await asyncio.sleep(0.01)
        return received

    def _record(self, request: Request, body: JSONObject, problem: str | None) -> RecordedRequest:
        """Record a request and take its reply, atomically, so both orders agree."""
        with self._lock:
            record = RecordedRequest(
                index=len(self._requests) + 1,
                method=request.method,
                path=request.url.path,
                headers=dict(request.headers),
                body=body,
                received_at=datetime.now(UTC),
                monotonic=time.monotonic(),
            )
            if problem is not None:
                record.reply = Error(status=400, message=problem)
            elif request.method == "POST":
                record.reply = self._queue.popleft() if self._queue else self._default
            self._requests.append(record)
            self._arrived.notify_all()
            return record

    def _next_call_id(self) -> str:
        with self._lock:
            self._call_ids += 1
            return f"call_{self._call_ids}"

    # HTTP

    async def _list_models(self, request: Request) -> Response:
        self._record(request, {}, None)
        models = [
            {"id": name, "object": "model", "created": 0, "owned_by": "scripted"}
            for name in self._models
        ]
        return JSONResponse({"object": "list", "data": models})

    async def _chat_completions(self, request: Request) -> Response:
        raw = await _body(request)
        if raw is None:  # gone before its request was complete: nothing to record
            return Response(status_code=400)
        body: JSONObject = {}
        problem: str | None = None
        try:
            parsed = json.loads(raw)
        except ValueError as exc:
            problem = f"the request body is not JSON: {exc}"
        else:
            if isinstance(parsed, dict):
                body = parsed
            if not isinstance(parsed, dict) or not isinstance(body.get("model"), str):
                problem = "the request needs a JSON object body with a string 'model'"
            elif not isinstance(body.get("messages"), list) or not body["messages"]:
                problem = "the request needs a non-empty 'messages' list"
        record = self._record(request, body, problem)
        assert record.reply is not None

        reply, delay = await self._resolve(record, record.reply)
        record.reply = reply
        if isinstance(reply, Hang):
            await self._wait(request, None)
            return self._aborted()
        delay += reply.delay
        if delay > 0 and not await self._wait(request, delay):
            return self._aborted()
        if isinstance(reply, Error):
            return Response(
                reply.encoded_body(),
                status_code=reply.status,
                headers=dict(reply.headers),
                media_type="application/json",
            )
        calls = self._with_ids(reply)
        if record.stream:
            return StreamingResponse(
                self._sse(record, reply, calls),
                headers={"cache-control": "no-cache", **reply.headers},
                media_type="text/event-stream",
            )
        return JSONResponse(self._completion(record, reply, calls), headers=dict(reply.headers))

    async def _resolve(
        self, record: RecordedRequest, reply: Reply
    ) -> tuple[Text | ToolCalls | Error | Hang, float]:
        """Unwrap `Delay` and `Dynamic` into the reply to send and the total extra delay."""
        delay = 0.0
        while isinstance(reply, Delay | Dynamic):
            if isinstance(reply, Delay):
                delay += reply.seconds
                reply = reply.then
                continue
            try:
                result = reply.fn(record)
                reply = await result if inspect.isawaitable(result) else result
            except Exception as exc:  # reported to the client and kept for the test
                record.error = exc
                reply = Error(status=500, message=f"the Dynamic reply raised {exc!r}")
        if not isinstance(reply, Text | ToolCalls | Error | Hang):
            record.error = TypeError(f"a Dynamic reply's function returned {reply!r}, not a reply")
            reply = Error(status=500, message=str(record.error))
        return reply, delay

    async def _wait(self, request: Request, seconds: float | None) -> bool:
        """Sleep `seconds` (None: forever); False if the client left or the server stops first."""
        assert self._stopping is not None
        sleep = asyncio.ensure_future(asyncio.sleep(math.inf if seconds is None else seconds))
        waits = {
            sleep,
            asyncio.ensure_future(self._stopping.wait()),
            asyncio.ensure_future(_disconnected(request)),
        }
        try:
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
        return sleep in done

    @staticmethod
    def _aborted() -> Response:
        """The answer to a request cut short (its client is usually gone)."""
        error = Error(status=503, message="the scripted model server stopped or the client left")
        return Response(error.encoded_body(), status_code=503, media_type="application/json")

    def _with_ids(self, reply: Text | ToolCalls) -> list[tuple[str, ToolCall]]:
        if isinstance(reply, Text):
            return []
        return [(call.id or self._next_call_id(), call) for call in reply.calls]

    @staticmethod
    def _usage(
        record: RecordedRequest, reply: Text | ToolCalls, calls: list[tuple[str, ToolCall]]
    ) -> JSONObject:
        output = (reply.content or "") + "".join(c.name + c.arguments_json for _, c in calls)
        prompt = reply.input_tokens
        if prompt is None:
            prompt = _estimate_tokens(record.text)
        completion = reply.output_tokens
        if completion is None:
            completion = _estimate_tokens(output)
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }

    @staticmethod
    def _envelope(record: RecordedRequest, obj: str) -> JSONObject:
        return {
            "id": f"chatcmpl-scripted-{record.index}",
            "object": obj,
            "created": int(record.received_at.timestamp()),
            "model": record.model,
            "system_fingerprint": _SYSTEM_FINGERPRINT,
        }

    def _completion(
        self, record: RecordedRequest, reply: Text | ToolCalls, calls: list[tuple[str, ToolCall]]
    ) -> JSONObject:
        message: JSONObject = {"role": "assistant", "content": reply.content, "refusal": None}
        if calls:
            message["tool_calls"] = [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments_json},
                }
                for call_id, call in calls
            ]
        choice = {
            "index": 0,
            "message": message,
            "logprobs": None,
            "finish_reason": reply.finish_reason,
        }
        return {
            **self._envelope(record, "chat.completion"),
            "choices": [choice],
            "usage": self._usage(record, reply, calls),
        }

    def _chunks(
        self, record: RecordedRequest, reply: Text | ToolCalls, calls: list[tuple[str, ToolCall]]
    ) -> list[JSONObject]:
        """The `chat.completion.chunk`s OpenAI would stream for `reply`."""
        envelope = self._envelope(record, "chat.completion.chunk")
        if record.include_usage:
            envelope["usage"] = None  # as OpenAI: null on every chunk but the last

        def chunk(delta: JSONObject, finish_reason: str | None = None) -> JSONObject:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            return {**envelope, "choices": [choice]}

        chunks = [chunk({"role": "assistant", "content": "", "refusal": None})]
        if reply.content:
            chunks.extend(chunk({"content": word}) for word in _words(reply.content))
        for index, (call_id, call) in enumerate(calls):
            head = {"index": index, "id": call_id, "type": "function"}
            chunks.append(
                chunk({"tool_calls": [{**head, "function": {"name": call.name, "arguments": ""}}]})
            )
            chunks.extend(
                chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
                for piece in _pieces(call.arguments_json, _ARGUMENT_PIECE_CHARS)
            )
        chunks.append(chunk({}, reply.finish_reason))
        if record.include_usage:
            chunks.append({**envelope, "choices": [], "usage": self._usage(record, reply, calls)})
        return chunks

    async def _sse(
        self, record: RecordedRequest, reply: Text | ToolCalls, calls: list[tuple[str, ToolCall]]
    ) -> AsyncIterator[bytes]:
        """The Server-Sent Events of a streamed answer, ending with `data: [DONE]`."""
        for index, chunk in enumerate(self._chunks(record, reply, calls)):
            if index and reply.chunk_delay:
                await asyncio.sleep(reply.chunk_delay)
            yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode()
        yield b"data: [DONE]\n\n"


async def _body(request: Request) -> bytes | None:
    """The request's whole body, or None if the client disconnected before sending all of it."""
    pieces: list[bytes] = []
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return None
        pieces.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(pieces)


async def _disconnected(request: Request) -> None:
    """Return once the client closed the connection (the body is already read)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass
