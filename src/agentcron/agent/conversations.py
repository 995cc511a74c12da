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
from sqlalchemy import select

from agentcron.clock import Clock
from agentcron.store import Conversation, Database


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
    def __init__(self, database: Database, clock: Clock, limit: int) -> None:
        self.database = database
        self.clock = clock
        self.limit = limit

    async def load(self, owner: str, name: str) -> History:
        async with self.database.reads() as session:
            row = await session.scalar(
                select(Conversation).where(
                    Conversation.owner_id == owner, Conversation.name == name
                )
            )
        if row is None:
            return History([], None)
        return History(ModelMessagesTypeAdapter.validate_python(row.messages), row.last_turn)

    async def save(
        self, owner: str, name: str, messages: list[ModelMessage], last_turn: dict[str, Any]
    ) -> None:
        now = self.clock.now()
        stored = ModelMessagesTypeAdapter.dump_python(bounded(messages, self.limit), mode="json")
        async with self.database.sessions() as session, session.begin():
            row = await session.scalar(
                select(Conversation).where(
                    Conversation.owner_id == owner, Conversation.name == name
                )
            )
            if row is None:
                row = Conversation(owner_id=owner, name=name, created_at=now)
                session.add(row)
            row.messages = stored
            row.last_turn = last_turn
            row.updated_at = now

    async def clear(self, owner: str, name: str) -> None:
        await self.save(owner, name, [], {})
