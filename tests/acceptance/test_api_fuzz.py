"""The API fuzzed from its own OpenAPI schema (schemathesis): ``agentcron api`` (uvicorn) in a
subprocess on SQLite, called over real HTTP with a person's live key, on a store that holds
a few tasks and runs of theirs so that some generated ids name something.

Whatever the input, no answer is a 5xx, and every answer is one the schema documents: its
status, content type, headers and body (errors included, as ``api.errors.Error``). Bounded
for the suite: a few examples an operation, a fixed seed, no example database; the model the
chat route needs is a scripted one on loopback.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from agentcron.api.app import create_app
from agentcron.config import Settings
from agentcron.testing.model_server import Dynamic, RecordedRequest, ScriptedModelServer, Text
from tests.acceptance.test_cli_schedule import agentcron
from tests.support.api_server import Server
from tests.support.sql import private_schema

pytestmark = pytest.mark.xdist_group("api-fuzz")

FUZZER = f"fuzzer-{uuid.uuid4().hex[:8]}"
"""Whose key the fuzzer holds. X-Agentcron-User always names them: a person's key acting for
another is refused before anything else is read (test_api_authorization's matrix covers it)."""
EXAMPLES = int(os.environ.get("AGENTCRON_TEST_FUZZ_EXAMPLES", "12"))
"""Generated requests an operation (and the coverage phase's own, at the schema's bounds);
more, for a deeper search now and then, with AGENTCRON_TEST_FUZZ_EXAMPLES."""
SEED = int(os.environ.get("AGENTCRON_TEST_FUZZ_SEED", "20261204"))
"""The same requests every run, unless AGENTCRON_TEST_FUZZ_SEED says otherwise."""

SCHEMA = create_app(Settings(home=Path(tempfile.gettempdir()))).openapi()
"""The app's schema, as served: the fixture checks that the server serves this one."""
ACCEPTED = ["2xx", "401", "403", "404", "409", "422", "429"]
"""What a request the schema allows may get: 422 too, since what a value means (a schedule
that never happens, a payload its action refuses, an empty message) is the service's to
judge, behind every door alike, and no JSON Schema says it."""
REFUSED = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
"""What a request the schema forbids may get: schemathesis' own list, and 413, the answer to a
body too large for the server (a message past its maxLength is, once JSON escapes it)."""
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
        "parameters": {"header.x-agentcron-user": FUZZER},
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ACCEPTED},
            "negative_data_rejection": {"expected-statuses": REFUSED},
        },
        "request-timeout": 15,
        "operations": [  # an event stream need not end: read it for a moment, or 1 event
            {"include-path": "/v1/events", "request-timeout": 1, "max-stream-events": 1}
        ],
    }
)
schema = schemathesis.openapi.from_dict(SCHEMA, config=CONFIG)
schemathesis.serializer.alias("application/x-ndjson", "text/plain")  # an import's lines
STORES = ["sqlite"]
"""The stores fuzzed ("postgresql" too, for a longer run). Being a parameter also names each
operation's test apart (pytest 9 gives schemathesis' items the bare function's name without
one), so that pytest-xdist runs every operation, not only the first."""
KEYED = "Bearer the-fuzzer-s-key"
"""What cases carry for a key when they are made (some are, before the server and its key
exist): the test puts the real one in its place."""


@schema.auth()
class FuzzerKey:
    """A key on every request but those made to go without one (which must be refused)."""

    def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str:
        return KEYED

    def set(self, case: schemathesis.Case, data: str, context: schemathesis.AuthContext) -> None:
        case.headers = {**(case.headers or {}), "Authorization": data}


@dataclass(frozen=True)
class Fuzzed:
    """The server under fuzzing, and the fuzzer's key."""

    url: str
    authorization: str


def said_back(request: RecordedRequest) -> Text:
    return Text("you said: " + (request.message_texts("user") or [""])[-1][:200])


@pytest.fixture(scope="module")
def fuzzed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fuzzed]:
    """The server on the store the test names, with the fuzzer, its key and some tasks."""
    home = tmp_path_factory.mktemp("api-fuzz")
    with contextlib.ExitStack() as stack:
        model = stack.enter_context(ScriptedModelServer())
        model.default = Dynamic(said_back)
        env = {
            "AGENTCRON_HOME": str(home),
            "AGENTCRON_TIMEZONE": "Europe/Paris",
            "AGENTCRON_SHELL_ALLOW": "false",
            "AGENTCRON_MODEL": "openai:scripted-model",
            "AGENTCRON_OPENAI_BASE_URL": model.base_url,
            "AGENTCRON_API_RATE_LIMIT_PER_MINUTE": "1000000",
        }
        if request.param == "postgresql":
            env["AGENTCRON_DATABASE_URL"] = stack.enter_context(private_schema())
        made = agentcron("users", "add", FUZZER, "--tz", "Europe/Paris", env=env)
        assert made.returncode == 0, made.stderr
        key = agentcron("keys", "create", "--user", FUZZER, env=env)
        assert key.returncode == 0, key.stderr
        served = Server(env, home / "api.log")
        try:
            fuzzed = Fuzzed(served.url, f"Bearer {key.stdout.strip()}")
            assert httpx.get(f"{served.url}/openapi.json").json() == SCHEMA
            some_tasks_and_runs(fuzzed, env)
            yield fuzzed
        finally:
            served.stop()
    log = served.log.read_text()
    assert "Traceback" not in log, log[-5000:]


def some_tasks_and_runs(fuzzed: Fuzzed, env: dict[str, str]) -> None:
    """Tasks 1 to 4 (one paused, one cancelled) and runs 1 and 2 (one failed), for generated
    ids to find."""
    headers = {"Authorization": fuzzed.authorization}

    def call(method: str, path: str, **options: Any) -> dict[str, Any]:
        answer = httpx.request(method, f"{fuzzed.url}{path}", headers=headers, **options)
        assert answer.status_code < 300, answer.text
        found: dict[str, Any] = answer.json()
        return found

    reminder = {"title": "tea", "when": "every day at 9", "payload": {"message": "tea"}}
    failing = {"title": "fails", "when": "in 1 hour", "action": "shell", "max_attempts": 1}
    ids = [
        call("POST", "/v1/tasks", json=reminder)["id"],
        call("POST", "/v1/tasks", json=failing | {"payload": {"command": "false"}})["id"],
        call("POST", "/v1/tasks", json=reminder | {"title": "paused"})["id"],
        call("POST", "/v1/tasks", json=reminder | {"title": "cancelled"})["id"],
    ]
    call("POST", f"/v1/tasks/{ids[0]}/run")
    call("POST", f"/v1/tasks/{ids[1]}/run")
    call("POST", f"/v1/tasks/{ids[2]}/pause")
    call("DELETE", f"/v1/tasks/{ids[3]}")
    once = agentcron("serve", "--once", env=env)
    assert "2 runs done, 1 failed" in once.stdout, once.stdout + once.stderr


@schema.parametrize()
@pytest.mark.parametrize("fuzzed", STORES, indirect=True)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_input_gets_a_server_error_or_an_undocumented_answer(
    case: schemathesis.Case, fuzzed: Fuzzed
) -> None:
    keyed = (case.headers or {}).get("Authorization") == KEYED
    headers = {"Authorization": fuzzed.authorization} if keyed else None
    case.call_and_validate(base_url=fuzzed.url, headers=headers)
