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
    ModelHTTPError,
    ModelQuotaExceededError,
    ModelRateLimitError,
    ModelRequestRejectedError,
    UnexpectedModelBehavior,
    UsageLimitExceeded,
)

from agentcron.agent.trace import clip
from agentcron.errors import ActionFailed

_MESSAGE_LIMIT = 300


def action_failure(
    error: AgentRunError, model: str, details: dict[str, Any] | None = None
) -> ActionFailed:
    """The ActionFailed an agent error amounts to, with a message a person can act on."""
    if isinstance(error, ModelAPIError):
        return _provider_failure(error, model, details)
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


def _provider_failure(
    error: ModelAPIError, model: str, details: dict[str, Any] | None
) -> ActionFailed:
    problem = provider_problem(error)
    if isinstance(error, ModelRateLimitError):
        return ActionFailed(
            f"{model} is rate limiting requests ({problem}); will retry",
            retry_after=error.retry_after,
            details=details,
        )
    if isinstance(error, ModelQuotaExceededError):
        return ActionFailed(
            f"{model}: the account's quota or credit is exhausted ({problem})",
            retryable=False,
            details=details,
        )
    if isinstance(error, ModelRequestRejectedError):
        return ActionFailed(
            f"{model} refused the request ({problem}); check the model name and key",
            retryable=False,
            details=details,
        )
    return ActionFailed(
        f"{model} failed ({problem})", retry_after=error.retry_after, details=details
    )


def provider_problem(error: ModelAPIError) -> str:
    """What went wrong with the provider, in its own words where it gave some.

    An HTTP error says its status and the provider's message, not the whole error body. A
    connection that could not be made says so even when the transport reports it as a
    timeout (the SDKs' aiohttp transport does), so that "is the server running?" comes to
    mind rather than "is it slow?".
    """
    if isinstance(error, ModelHTTPError):
        text = f"HTTP {error.status_code}: {_message_of(error.body)}"
        if error.suggested_model_id is not None:
            text += f"; did you mean {error.suggested_model_id!r}?"
        return text
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, OSError) and not isinstance(cause, TimeoutError):
            return f"cannot connect: {cause}"
        cause = cause.__cause__ or cause.__context__
    return error.message


def _message_of(body: object) -> str:
    """The message of an error body: OpenAI's ``{"message": ...}``, Anthropic's
    ``{"error": {"message": ...}}``, or the text of whatever else came back (clipped: a
    proxy's error page can be long)."""
    if isinstance(body, dict):
        inner = body.get("error")
        said = (inner if isinstance(inner, dict) else body).get("message")
        return clip(str(said), _MESSAGE_LIMIT) if said else "no message"
    return clip(str(body), _MESSAGE_LIMIT) if body else "no message"
