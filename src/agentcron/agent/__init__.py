"""LLM agents: the one that acts on due tasks, and the chat assistant that makes them.

Importing this package is cheap; pydantic-ai loads with its modules.
"""

NOT_CONFIGURED = (
    "No model is configured for agent tasks. Set AGENTCRON_MODEL, for example "
    "'openai:gpt-4o-mini' (with OPENAI_API_KEY), 'anthropic:claude-sonnet-4-5' (with "
    "ANTHROPIC_API_KEY) or 'ollama:llama3.1' (any OpenAI-compatible server: also set "
    "AGENTCRON_OPENAI_BASE_URL)."
)
