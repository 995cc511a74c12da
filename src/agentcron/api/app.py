"""The API application: the store opened once for the process, the routes, the errors.

``create_app`` is a factory for uvicorn (``agentcron api``, one per worker process):
settings come from the environment, as for every command.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.routing import Route

from agentcron import __version__
from agentcron.api import calendar, chat, errors, events, metrics, person, tasks, transfer
from agentcron.api.bodies import Status, answers, as_json
from agentcron.api.limits import BodyLimit, RateLimiter
from agentcron.config import Settings
from agentcron.errors import AgentCronError
from agentcron.mcp.http import McpEndpoint
from agentcron.service import TaskService
from agentcron.web import forms, live, pages, signin

if TYPE_CHECKING:
    from agentcron.distributed.broker import Broker


def create_app(settings: Settings | None = None, service: TaskService | None = None) -> FastAPI:
    """The API for ``settings`` (by default, the environment's), on a store of its own, or
    on ``service``'s (``serve --http``: the API inside the embedded process)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from agentcron.bootstrap import build_service, open_store  # noqa: PLC0415

        if service is not None:
            app.state.service, app.state.store = service, service.store
            try:
                async with mcp.running():
                    yield
            finally:
                await _finish_turns(app)
            return
        store = open_store(configured)
        await store.migrate()
        app.state.service = build_service(configured, store)
        app.state.store = store
        try:
            async with mcp.running():
                yield
        finally:
            await _finish_turns(app)
            await store.close()

    from agentcron.config import load_settings  # noqa: PLC0415

    configured = settings or load_settings()
    app = FastAPI(title="agentcron", version=__version__, lifespan=lifespan)
    mcp = McpEndpoint(configured.log_level)
    app.router.routes.append(Route("/mcp", mcp, methods=["GET", "POST", "DELETE"]))
    app.state.limiter = RateLimiter(configured.api_rate_limit_per_minute)
    app.state.chat_turns = set()
    app.state.http_metrics = metrics.HttpMetrics()
    app.add_middleware(BodyLimit, limit=configured.api_max_body_bytes)
    app.add_middleware(metrics.CountRequests, metrics=app.state.http_metrics)
    errors.install(app)
    for routes in (
        tasks.router,
        transfer.router,
        person.router,
        chat.router,
        events.router,
        metrics.router,
        calendar.router,
    ):
        app.include_router(routes, responses=errors.COMMON)
    app.include_router(calendar.feeds)  # opened by its token, not a key
    for page in (signin.router, pages.router, forms.router, live.router):
        app.include_router(page)  # the web page: a session cookie, not a key

    @app.get("/healthz", **answers(Status))
    async def healthz() -> Response:
        """The process is alive."""
        return as_json({"status": "ok"})

    @app.get("/readyz", **answers(Status, 503))
    async def readyz(request: Request) -> Response:
        """The store answers, and the broker too when agentcron is distributed."""
        try:
            await request.app.state.store.now(request.app.state.service.clock)
            if configured.broker_url:
                await asyncio.to_thread(_broker(request.app).ping)
        except AgentCronError as error:
            return errors.error_response(503, error.code, error.message)
        return as_json({"status": "ready"})

    return app


def _broker(app: FastAPI) -> Broker:
    """The broker's client, made at the first readiness check (Celery is slow to load)."""
    from agentcron.distributed.broker import Broker  # noqa: PLC0415

    if getattr(app.state, "broker", None) is None:
        app.state.broker = Broker(app.state.service.settings)
    broker: Broker = app.state.broker
    return broker


async def _finish_turns(app: FastAPI, grace: float = 30.0) -> None:
    """Let chat turns under way end (their tasks made, their conversations kept), then close
    the model clients they opened on this loop."""
    from agentcron.agent.clients import close_clients  # noqa: PLC0415

    turns: set[asyncio.Task[None]] = app.state.chat_turns
    if turns:
        await asyncio.wait(turns, timeout=grace)
    await close_clients()
