"""Conversations kept per person in the store, bounded, in pydantic-ai's message form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelMessagesTypeAdapter,
    ModelRequest,
    UserPromptPart,
)

from agentcron.abc import Clock, Store


@dataclass
class History:
    """A conversation's kept messages and its latest turn."""

    messages: list[ModelMessage]
    last_turn: dict[str, Any] | None


def bounded(messages: list[ModelMessage], limit: int) -> list[ModelMessage]:
    """The latest ``limit`` messages at most, starting at something the person said.

    Cutting anywhere else could leave a tool's answer without its call, which
    providers refuse.
    """
    if len(messages) <= limit:
        return messages
    kept = messages[-limit:]
    for index, message in enumerate(kept):
        if isinstance(message, ModelRequest) and any(
            isinstance(part, UserPromptPart) for part in message.parts
        ):
            return kept[index:]
    return []


class ConversationStore:
    """A person's conversations with the assistant, bounded to ``limit`` messages."""

    def __init__(self, store: Store, clock: Clock, limit: int) -> None:
        self.store = store
        self.clock = clock
        self.limit = limit

    async def load(self, owner: str, name: str) -> History:
        async with self.store.reading() as store:
            kept = await store.conversations.load(owner, name)
        if kept is None:
            return History([], None)
        return History(ModelMessagesTypeAdapter.validate_python(kept.messages), kept.last_turn)

    async def save(
        self, owner: str, name: str, messages: list[ModelMessage], last_turn: dict[str, Any]
    ) -> None:
        stored = ModelMessagesTypeAdapter.dump_python(bounded(messages, self.limit), mode="json")
        async with self.store.transaction() as store:
            await store.conversations.save(owner, name, stored, last_turn, self.clock.now())

    async def clear(self, owner: str, name: str) -> None:
        await self.save(owner, name, [], {})
