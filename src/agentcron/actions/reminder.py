"""``reminder``: a fixed message, no LLM."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from agentcron.actions.base import Action, ActionContext, ActionResult


class ReminderPayload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=4000)


class ReminderAction(Action):
    """Deliver the task's message as it is."""

    name: ClassVar[str] = "reminder"
    payload_model = ReminderPayload
    default_timeout_seconds = 10.0

    async def run(self, context: ActionContext) -> ActionResult:
        return ActionResult(output=str(context.payload["message"]))
