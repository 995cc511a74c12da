"""The API's OpenAPI schema, as served at ``/openapi.json``; ``python -m agentcron.api.schema``
prints it (``docs/openapi.json`` is kept equal to it by a test)."""

from __future__ import annotations

import json
from typing import Any

from agentcron.api.app import create_app


def schema() -> dict[str, Any]:
    document: dict[str, Any] = create_app().openapi()
    return document


if __name__ == "__main__":
    print(json.dumps(schema(), indent=2, sort_keys=True))
