"""The API application: the store opened once for the process, the routes, the errors.

``create_app`` is a factory for uvicorn (``agentcron api``, one per worker process):
settings come from the environment, as for every command.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from agentcron import __version__
from agentcron.api import errors, tasks
from agentcron.config import Settings
from agentcron.errors import AgentCronError


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API for ``settings`` (by default, the environment's)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from agentcron.bootstrap import build_service, open_store  # noqa: PLC0415
        from agentcron.config import load_settings  # noqa: PLC0415

        configured = settings or load_settings()
        store = open_store(configured)
        await store.migrate()
        app.state.service = build_service(configured, store)
        app.state.store = store
        try:
            yield
        finally:
            await store.close()

    app = FastAPI(title="agentcron", version=__version__, lifespan=lifespan)
    errors.install(app)
    app.include_router(tasks.router)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        """The store answers."""
        try:
            await request.app.state.store.now(request.app.state.service.clock)
        except AgentCronError as error:
            return errors.error_response(503, error.code, error.message)
        return JSONResponse({"status": "ready"})

    return app
