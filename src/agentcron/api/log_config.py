"""uvicorn's logging, with agentcron's masking: its access log prints each request's path,
and a calendar feed's path carries its token."""

from __future__ import annotations

import copy
from typing import Any

from uvicorn.config import LOGGING_CONFIG


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own configuration, every handler of it masking secrets (each worker process
    configures its logging from it)."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["mask"] = {"()": "agentcron.secrets.MaskingFilter"}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("mask")
    return config
