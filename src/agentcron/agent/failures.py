"""Provider and model failures, as the run's retry policy understands them.

Waiting helps with rate limits, outages and timeouts (retryable, honouring
Retry-After); it does not help with a refused key, an unknown model, an
exhausted quota, a blown budget or answers that keep breaking the report's shape.
"""

from __future__ import annotations

from typing import Any

from pydantic_ai.exceptions import (
    AgentRunError,
    ModelAPIError,
    ModelQuotaExceededError,
    ModelRateLimitError,
    ModelRequestRejectedError,
    UnexpectedModelBehavior,
    UsageLimitExceeded,
)

from agentcron.actions.base import ActionFailed


def action_failure(
    error: AgentRunError, model: str, details: dict[str, Any] | None = None
) -> ActionFailed:
    """The ActionFailed an agent error amounts to, with a message a person can act on."""
    if isinstance(error, ModelRateLimitError):
        return ActionFailed(
            f"{model} is rate limiting requests ({error.message}); will retry",
            retry_after=error.retry_after,
            details=details,
        )
    if isinstance(error, ModelQuotaExceededError):
        return ActionFailed(
            f"{model}: the account's quota or credit is exhausted ({error.message})",
            retryable=False,
            details=details,
        )
    if isinstance(error, ModelRequestRejectedError):
        return ActionFailed(
            f"{model} refused the request ({error.message}); check the model name and key",
            retryable=False,
            details=details,
        )
    if isinstance(error, ModelAPIError):
        return ActionFailed(
            f"{model} failed ({error.message})", retry_after=error.retry_after, details=details
        )
    if isinstance(error, UsageLimitExceeded):
        return ActionFailed(
            f"the agent went over its budget: {error.message}", retryable=False, details=details
        )
    if isinstance(error, UnexpectedModelBehavior):
        return ActionFailed(
            f"{model} did not give a usable answer: {error.message}",
            retryable=False,
            details=details,
        )
    return ActionFailed(f"{model}: {error.message}", details=details)
