"""What an agent did, kept with its run: each tool call, each model request, usage and cost.

Secrets never reach the store: arguments are masked by key name (``api_key``,
``token``, ``password``...) and by shape (bearer tokens, ``sk-...`` keys).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from pydantic_ai import RunContext
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.toolsets import WrapperToolset
from pydantic_ai.toolsets.abstract import ToolsetTool
from pydantic_ai.usage import RunUsage

from agentcron.config import Settings

MASK = "***"
REFUSAL_PREFIX = "ERROR: "
_SECRET_KEY = re.compile(r"key|token|secret|passw|authori[sz]ation|cookie|credential", re.I)
_SECRET_TEXT = re.compile(r"(?i)\b(bearer|basic)\s+[\w.~+/=-]{8,}|\b(sk|pk|rk)-[\w-]{12,}")
_TEXT_LIMIT = 2000


def mask(value: Any) -> Any:
    """``value`` with secret-looking entries and strings replaced by ``***``."""
    if isinstance(value, dict):
        return {
            key: MASK if isinstance(key, str) and _SECRET_KEY.search(key) else mask(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [mask(item) for item in value]
    if isinstance(value, str):
        return _SECRET_TEXT.sub(MASK, value)
    return value


def clip(text: str, limit: int = _TEXT_LIMIT) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def refusal(message: str) -> str:
    """A tool's answer when it refuses: the model reads why and can correct itself."""
    return f"{REFUSAL_PREFIX}{message}"


@dataclass
class TracingToolset(WrapperToolset[Any]):
    """Wraps every tool of a run, ours and MCP servers' alike, to time and record its calls."""

    calls: list[dict[str, Any]] = field(default_factory=list)

    async def call_tool(
        self, name: str, tool_args: dict[str, Any], ctx: RunContext[Any], tool: ToolsetTool[Any]
    ) -> Any:
        started = time.perf_counter()
        entry: dict[str, Any] = {"tool": name, "args": mask(tool_args)}
        self.calls.append(entry)
        try:
            result = await super().call_tool(name, tool_args, ctx, tool)
        except Exception as error:
            entry |= {"ok": False, "error": clip(f"{type(error).__name__}: {error}", 500)}
            raise
        finally:
            entry["ms"] = round((time.perf_counter() - started) * 1000, 1)
        refused = isinstance(result, str) and result.startswith(REFUSAL_PREFIX)
        entry["ok"] = not refused
        if refused:
            entry["error"] = clip(result[len(REFUSAL_PREFIX) :], 500)
        return result


def model_requests(messages: list[ModelMessage]) -> list[dict[str, Any]]:
    """One entry per model response: when, which model, tokens, and what it asked for."""
    requests = []
    for message in messages:
        if not isinstance(message, ModelResponse):
            continue
        requests.append(
            {
                "at": message.timestamp.isoformat(),
                "model": message.model_name,
                "input_tokens": message.usage.input_tokens,
                "output_tokens": message.usage.output_tokens,
                "finish_reason": message.finish_reason,
                "tool_calls": [p.tool_name for p in message.parts if isinstance(p, ToolCallPart)],
                "text": clip(
                    "".join(p.content for p in message.parts if isinstance(p, TextPart)), 500
                ),
            }
        )
    return requests


def usage_record(usage: RunUsage, model: str, settings: Settings) -> dict[str, Any]:
    """Tokens and requests of a run, with an estimated cost when the model's price is known.

    A price configured for the model wins (any currency); otherwise the cost pydantic-ai
    estimated from its price list (genai-prices, in USD), when it knows the model.
    """
    record: dict[str, Any] = {
        "model": model,
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "requests": usage.requests,
        "tool_calls": usage.tool_calls,
    }
    price = settings.model_prices.get(model)
    if price is not None:
        record["cost"] = round(
            usage.input_tokens * price.input_per_million / 1e6
            + usage.output_tokens * price.output_per_million / 1e6,
            6,
        )
        record["cost_source"] = "configured"
    elif usage.cost is not None:
        record["cost"] = round(float(usage.cost), 6)
        record["cost_source"] = "price list (USD)"
    return record
