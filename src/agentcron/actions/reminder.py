"""``reminder``: a fixed message, no LLM."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from agentcron.abc import Action, ActionContext, ActionResult


class ReminderPayload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=4000, description="what you are told")


class ReminderAction(Action):
    """Deliver the task's message as it is."""

    name: ClassVar[str] = "reminder"
    payload_model = ReminderPayload
    defaults: ClassVar[Mapping[str, Any]] = {"timeout_seconds": 10.0}
    summary: ClassVar[str] = "Tell you a fixed message; no model, no request."
    payload_example: ClassVar[Mapping[str, Any]] = {"message": "Stand-up in the small room"}
    acts_outside: ClassVar[bool] = False  # its message goes out with its recorded outcome

    async def run(self, context: ActionContext) -> ActionResult:
        return ActionResult(output=str(context.payload["message"]))
