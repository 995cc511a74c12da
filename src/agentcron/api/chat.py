"""``/v1/chat``: the chat assistant over HTTP, its reply streamed as Server-Sent Events.

A turn is checked (message, model) before the stream opens, so what a client can fix gets
the usual JSON error and status. Once open, the stream carries ``text`` events as the model
writes, then one ``reply`` (what it did) or one ``error``. A client that goes away does not
cut the turn short: the tasks it was making are made and the conversation is kept, so a
retry of the same message finds them (the assistant's replay window) instead of doubling.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from agentcron.api import sse
from agentcron.api.auth import Authenticated, Service
from agentcron.api.sse import event
from agentcron.errors import AgentCronError
from agentcron.secrets import mask_text
from agentcron.service import TaskService

router = APIRouter(prefix="/v1")

_NAME = r"^[A-Za-z0-9_.-]{1,64}$"
_ABOUT = "Which of the person's conversations (letters, digits, '_', '.', '-')."


class ChatMessage(BaseModel):
    message: str = Field(
        description="What the person says (the server reads AGENTCRON_CHAT_MAX_MESSAGE_CHARS).",
        min_length=1,
        max_length=1_000_000,
    )
    conversation: str = Field(default="default", description=_ABOUT, pattern=_NAME)


@router.post(
    "/chat",
    response_class=StreamingResponse,
    responses={200: {"content": {sse.MEDIA_TYPE: {}}, "description": "The reply."}},
)
async def chat(body: ChatMessage, who: Authenticated, tasks: Service, request: Request) -> Any:
    """Say something to the assistant; it makes and changes the caller's tasks as asked.

    Events: ``text`` (``{"text": piece}``, as the model writes), then ``reply``
    (``{"reply", "tasks_changed", "tool_calls", "usage", "served"}``) or ``error``
    (``{"error": {"code", "message"}}``)."""
    return stream_turn(request, tasks, who.owner, body.message, body.conversation)


def stream_turn(
    request: Request, tasks: TaskService, owner: str, message: str, conversation: str
) -> StreamingResponse:
    """One turn of the owner's ``conversation`` as the events above (the API's and the web
    page's chat alike). What the person can fix (an empty or oversized message, no model
    configured) is raised before the stream opens."""
    from agentcron.agent.chat import ChatAssistant  # noqa: PLC0415 - pydantic-ai is heavy

    assistant = ChatAssistant(tasks, owner)
    text = assistant.check_message(message)
    assistant.resolve_model()
    pieces: asyncio.Queue[str | None] = asyncio.Queue()

    async def turn() -> None:
        try:
            reply = await assistant.send(
                text,
                conversation=conversation,
                on_text=lambda piece: pieces.put_nowait(event("text", {"text": piece})),
            )
            said = reply.to_dict() | {"served": bool(await tasks.serving())}
            pieces.put_nowait(event("reply", said))
        except AgentCronError as error:
            failure = {"code": error.code, "message": mask_text(error.message)}
            pieces.put_nowait(event("error", {"error": failure}))
        finally:
            pieces.put_nowait(None)

    running = asyncio.create_task(turn())
    turns: set[asyncio.Task[None]] = request.app.state.chat_turns
    turns.add(running)  # kept until done, whether or not anyone still listens
    running.add_done_callback(turns.discard)

    async def stream() -> AsyncIterator[str]:
        while (piece := await pieces.get()) is not None:
            yield piece

    return StreamingResponse(stream(), media_type=sse.MEDIA_TYPE, headers=sse.HEADERS)


@router.delete("/chat", status_code=204)
async def forget(
    who: Authenticated,
    tasks: Service,
    conversation: Annotated[str, Query(description=_ABOUT, pattern=_NAME)] = "default",
) -> None:
    """Forget one of the caller's conversations (its tasks stay)."""
    from agentcron.agent.chat import ChatAssistant  # noqa: PLC0415 - pydantic-ai is heavy

    await ChatAssistant(tasks, who.owner).conversations.clear(who.owner, conversation)
