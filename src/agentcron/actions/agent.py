"""``agent``: an LLM agent with tools acts on the task's instructions when it comes due."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from agentcron.abc import Action, ActionContext, ActionResult
from agentcron.agent import NO_MODEL_FOR_TASK, model_name
from agentcron.agent.mcp import check_allowed
from agentcron.errors import ConfigurationError, InvalidInputError


class AgentPayload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instructions: str = Field(min_length=1, description="what the agent should do")
    model: str | None = Field(
        default=None, description="provider:model, instead of AGENTCRON_MODEL"
    )
    mcp: list[str] | None = Field(
        default=None,
        description="MCP tools it may use: 'server' (all its tools) or 'server:tool'",
    )


class AgentAction(Action):
    """Run the scheduled agent (``agentcron.agent.scheduled``) on the task's instructions."""

    name: ClassVar[str] = "agent"
    payload_model = AgentPayload
    summary: ClassVar[str] = "An LLM agent acts on the instructions, with tools, and reports."
    payload_example: ClassVar[Mapping[str, Any]] = {
        "instructions": "Tell me when BTC drops below 50k.",
        "model": "openai:gpt-4o-mini",
        "mcp": ["prices:get_price"],
    }
    defaults: ClassVar[Mapping[str, Any]] = {
        "overlap_policy": "skip",
        "timeout_seconds": 120.0,
        "notify_policy": "agent",  # the agent's report says whether there is news
    }

    def check(self, payload: BaseModel) -> None:
        """A task that names no model known to a provider, or none at all when none is
        configured, is refused: its every run would fail."""
        assert isinstance(payload, AgentPayload)
        check_allowed(self.settings, payload.mcp or [])
        if payload.model is None and not self.settings.model:
            raise ConfigurationError(NO_MODEL_FOR_TASK)
        try:
            model_name(self.settings, payload.model)
        except ConfigurationError as error:
            if payload.model is None:
                raise  # AGENTCRON_MODEL itself is not a model name
            raise InvalidInputError(error.message) from None

    async def run(self, context: ActionContext) -> ActionResult:
        from agentcron.agent.scheduled import run_scheduled  # noqa: PLC0415 - pydantic-ai is heavy

        return await run_scheduled(context)
