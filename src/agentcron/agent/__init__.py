"""LLM agents: the one that acts on due tasks, and the chat assistant that makes them.

Importing this package is cheap (model names are checked here without pydantic-ai);
pydantic-ai loads with the modules that run a model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentcron.errors import ConfigurationError

if TYPE_CHECKING:
    from agentcron.config import Settings

NOT_CONFIGURED = (
    "No model is configured for agent tasks. Set AGENTCRON_MODEL, for example "
    "'openai:gpt-4o-mini' (with OPENAI_API_KEY), 'anthropic:claude-sonnet-4-5' (with "
    "ANTHROPIC_API_KEY) or 'ollama:llama3.1' (any OpenAI-compatible server: also set "
    "AGENTCRON_OPENAI_BASE_URL)."
)
NO_MODEL_FOR_TASK = (
    "No model is configured for agent tasks: set AGENTCRON_MODEL=provider:model (for example "
    "'openai:gpt-4o-mini') in the environment or agentcron.toml, or give the task its own "
    "(--model)."
)
"""Why an agent task is refused at creation: with no model its every run would fail."""
PROVIDERS = ("openai", "anthropic", "ollama", "test")
OLLAMA_URL = "http://127.0.0.1:11434/v1"
"""Where ``ollama:`` models are served when AGENTCRON_OPENAI_BASE_URL is not set."""
PROVIDER_MODULES = {
    "openai": ("openai", "pydantic_ai.models.openai", "pydantic_ai.providers.openai"),
    "ollama": ("openai", "pydantic_ai.models.openai", "pydantic_ai.providers.openai"),
    "anthropic": ("anthropic", "pydantic_ai.models.anthropic", "pydantic_ai.providers.anthropic"),
}
"""What a provider's runs import: loaded ahead of the first run by a serving process."""


def model_name(settings: Settings, override: str | None = None) -> str:
    """The ``provider:model`` a run uses: the task's own, else the configured one."""
    name = override or settings.model
    if not name:
        raise ConfigurationError(NOT_CONFIGURED)
    provider, _, model = name.partition(":")
    if provider not in PROVIDERS or (provider != "test" and not model):
        raise ConfigurationError(
            f"Model {name!r} is not of the form 'provider:model' with a provider among "
            f"{', '.join(PROVIDERS)} (for example 'openai:gpt-4o-mini')."
        )
    return name
