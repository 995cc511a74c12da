"""The API's schema, as ``/openapi.json`` serves it, is kept in ``docs/openapi.json``: a route
or a field changed without the published schema fails here (regenerate it with
``python -m agentcron.api.schema > docs/openapi.json``)."""

from __future__ import annotations

import json
from pathlib import Path

from agentcron.api.schema import schema

PUBLISHED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_the_published_schema_is_the_served_one() -> None:
    assert json.loads(PUBLISHED.read_text()) == schema()


def test_the_schema_names_the_main_routes() -> None:
    paths = schema()["paths"]
    assert {"/v1/tasks", "/v1/tasks/{task_id}", "/v1/runs/{run_id}", "/healthz"} <= set(paths)
