"""``agentcron api``: the HTTP API, served by uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer


def api(
    host: Annotated[str, typer.Option("--host", help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="The port.")] = 8080,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="Processes serving requests.")
    ] = 1,
) -> None:
    """Serve the HTTP API (keys: 'agentcron keys create --user ID')."""
    from agentcron.cli._context import current_settings, run_with_service  # noqa: PLC0415

    settings = current_settings()
    run_with_service(lambda service, owner: service.profile(owner))  # the store, or why not
    import uvicorn  # noqa: PLC0415 - only to serve

    from agentcron.api.log_config import uvicorn_log_config  # noqa: PLC0415

    print(f"agentcron api on http://{host}:{port} (Ctrl-C stops)", flush=True)
    uvicorn.run(
        "agentcron.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        server_header=False,
        log_config=uvicorn_log_config(),
        timeout_graceful_shutdown=5,  # event streams never end by themselves
    )
