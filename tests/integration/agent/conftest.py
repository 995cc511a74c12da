"""Agent tests: the model is a scripted OpenAI-compatible server, reached over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from agentcron.agent.clients import close_clients
from agentcron.config import Settings
from agentcron.testing.model_server import ScriptedModelServer


@pytest.fixture(autouse=True)
async def _close_models() -> AsyncIterator[None]:
    """Model clients belong to the test's event loop: close them before it ends."""
    yield
    await close_clients()


@pytest.fixture
def model_server() -> Iterator[ScriptedModelServer]:
    with ScriptedModelServer() as server:
        yield server


@pytest.fixture
def settings(model_server: ScriptedModelServer) -> Settings:
    """Settings whose default model is the scripted server's, with a known price."""
    return Settings(
        timezone="Europe/Paris",
        model="openai:scripted-model",
        openai_base_url=model_server.base_url,
        min_agent_interval_seconds=0,
        http_allow_private=True,  # http_get's test pages are on loopback
        model_prices={
            "openai:scripted-model": {"input_per_million": 2.0, "output_per_million": 8.0}
        },
    )
