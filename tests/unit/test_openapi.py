"""The API's schema, as ``/openapi.json`` serves it, is kept in ``docs/openapi.json``: a route
or a field changed without the published schema fails here (regenerate it with
``python -m agentcron.api.schema > docs/openapi.json``)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from agentcron.api.schema import schema
from tests.support.api_server import check_declared

PUBLISHED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_the_published_schema_is_the_served_one() -> None:
    assert json.loads(PUBLISHED.read_text()) == schema()


def test_the_schema_names_the_main_routes() -> None:
    paths = schema()["paths"]
    assert {"/v1/tasks", "/v1/tasks/{task_id}", "/v1/runs/{run_id}", "/healthz"} <= set(paths)


def test_every_json_success_is_described_field_by_field() -> None:
    """A client generated from the schema knows each answer's fields: none is a bare
    object, and none admits a field it does not name."""
    published = schema()
    bodies = published["components"]["schemas"]
    vague = []
    for path, operations in published["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                content = answer.get("content", {}).get("application/json")
                if not status.startswith("2") or content is None:
                    continue
                named = content["schema"].get("$ref", "").removeprefix("#/components/schemas/")
                if bodies.get(named, {}).get("additionalProperties") is not False:
                    vague.append(f"{method.upper()} {path} {status}")
    assert vague == []


def test_an_answer_unlike_its_declared_body_is_caught() -> None:
    """What the API tests hold every success to: a field missing, one unnamed, or a value
    outside its enumeration fails."""
    task = {"tasks": [], "next_cursor": None}
    request = httpx.Request("GET", "http://127.0.0.1/v1/tasks?limit=5")
    check_declared(httpx.Response(200, json=task, request=request))
    for wrong in ({"tasks": []}, task | {"total": 3}, {"tasks": [{"id": 1}], "next_cursor": None}):
        with pytest.raises(ValidationError):
            check_declared(httpx.Response(200, json=wrong, request=request))
    status = httpx.Request("GET", "http://127.0.0.1/v1/runs/4")
    with pytest.raises(ValidationError, match="status"):
        check_declared(httpx.Response(200, json={"status": "exploded"}, request=status))
