"""Which language model answers: ``provider:model`` names turned into pydantic-ai models.

Provider SDKs retry on their own by default; here they never do, so that a rate
limit or an outage goes through the run's retry policy, where it is recorded and
spaced out with backoff (and a task's other runs are not held up meanwhile).

The SDKs talk HTTP through aiohttp rather than their default httpx transport: with a
few hundred runs waiting on the model at once, httpx's connection pool spends
milliseconds of CPU per request scanning its connections, aiohttp's does not
(``bench/agent_burst.py``: serve's CPU per run fell by about a quarter).
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic_ai.models import Model
from pydantic_ai.models.test import TestModel

from agentcron.agent import OLLAMA_URL, model_name
from agentcron.agent.clients import on_close
from agentcron.config import Settings
from agentcron.errors import ConfigurationError

# Models by event loop, then by name and endpoint: runs of one loop share connection pools,
# and a loop's HTTP clients are closed on that loop (``clients.close_clients``) rather than
# left to the garbage collector.
_MODELS: dict[int, dict[tuple[str | None, ...], Model]] = {}


def build_model(settings: Settings, override: str | None = None) -> Model:
    """The model for a run; one per name and endpoint in this event loop."""
    name = model_name(settings, override)
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    anthropic_key = (
        settings.anthropic_api_key.get_secret_value() if settings.anthropic_api_key else None
    )
    loop = id(asyncio.get_running_loop())
    if loop not in _MODELS:
        _MODELS[loop] = {}
        on_close(lambda: _forget(loop))
    cache = _MODELS[loop]
    cache_key = (name, settings.openai_base_url, key, anthropic_key)
    if cache_key not in cache:
        model, client = _new_model(name, settings.openai_base_url, key, anthropic_key)
        if client is not None:
            on_close(client.close)
        cache[cache_key] = model
    return cache[cache_key]


async def _forget(loop: int) -> None:
    _MODELS.pop(loop, None)


def _new_model(
    name: str, base_url: str | None, openai_key: str | None, anthropic_key: str | None
) -> tuple[Model, Any]:
    """A model and the SDK client to close with it."""
    provider, _, model = name.partition(":")
    if provider == "test":
        return TestModel(), None
    if provider == "anthropic":
        from anthropic import AsyncAnthropic  # noqa: PLC0415 - only for this provider
        from anthropic import DefaultAioHttpClient as AnthropicHttpClient  # noqa: PLC0415
        from pydantic_ai.models.anthropic import AnthropicModel  # noqa: PLC0415
        from pydantic_ai.providers.anthropic import AnthropicProvider  # noqa: PLC0415

        anthropic = AsyncAnthropic(
            api_key=anthropic_key, max_retries=0, http_client=AnthropicHttpClient()
        )
        return AnthropicModel(
            model, provider=AnthropicProvider(anthropic_client=anthropic)
        ), anthropic
    from openai import AsyncOpenAI, DefaultAioHttpClient  # noqa: PLC0415 - only for these
    from pydantic_ai.models.openai import OpenAIChatModel  # noqa: PLC0415
    from pydantic_ai.providers.openai import OpenAIProvider  # noqa: PLC0415

    if provider == "ollama":
        base_url = base_url or OLLAMA_URL
        openai_key = openai_key or "ollama"
    elif base_url:
        openai_key = openai_key or "not-needed"  # local servers often ignore the key
    try:
        client = AsyncOpenAI(
            base_url=base_url,
            api_key=openai_key,
            max_retries=0,
            http_client=DefaultAioHttpClient(),
        )
    except Exception as error:  # the SDK refuses to start without a key
        raise ConfigurationError(
            f"Model {name!r} cannot be used: {error}. Set OPENAI_API_KEY or "
            "AGENTCRON_OPENAI_API_KEY, or AGENTCRON_OPENAI_BASE_URL for a local server."
        ) from None
    return OpenAIChatModel(model, provider=OpenAIProvider(openai_client=client)), client
