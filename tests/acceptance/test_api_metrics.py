"""``/metrics`` over real HTTP: Prometheus text an operator's scraper can read, for admin keys
only, with route templates and no person or id in any label."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.acceptance.test_api import error_of
from tests.support.api_server import Api, Server, api_serving

REMINDER = {"action": "reminder", "payload": {"message": "call mom"}}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("api-metrics")
    env = {"AGENTCRON_HOME": str(home), "AGENTCRON_TIMEZONE": "UTC"}
    with api_serving(env, home / "api.log") as served:
        yield served


def test_an_operator_scrapes_runs_requests_and_nothing_personal(server: Server) -> None:
    api = Api(server.env, server.url, server.log)
    made = api.call("POST", "/v1/tasks", json={"title": "Secret plan", "when": "in 1 hour",
                                               **REMINDER})  # fmt: skip
    assert made.status_code == 201, made.text
    task_id = made.json()["id"]
    for _ in range(3):
        assert api.call("GET", f"/v1/tasks/{task_id}").status_code == 200
    assert api.call("GET", "/v1/tasks/999999").status_code == 404

    assert error_of(api.call("GET", "/metrics", who="ann")) == (403, "forbidden")
    assert error_of(api.call("GET", "/metrics", who=None)) == (401, "unauthorized")
    scraped = api.call("GET", "/metrics", who="admin")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    families = {family.name: family for family in text_string_to_metric_families(scraped.text)}
    assert {
        "agentcron_runs", "agentcron_deliveries", "agentcron_run_lateness_seconds",
        "agentcron_run_duration_seconds", "agentcron_agent_tokens", "agentcron_agent_cost",
        "agentcron_runs_waiting", "agentcron_queue_depth", "agentcron_http_requests",
        "agentcron_http_request_duration_seconds",
    } <= set(families)  # fmt: skip
    answered = {
        (s.labels["method"], s.labels["route"], s.labels["status"]): s.value
        for s in families["agentcron_http_requests"].samples
        if s.name == "agentcron_http_requests_total"
    }
    assert answered[("GET", "/v1/tasks/{task_id}", "200")] == 3
    assert answered[("GET", "/v1/tasks/{task_id}", "404")] == 1
    assert answered[("POST", "/v1/tasks", "201")] == 1
    assert answered[("GET", "/metrics", "403")] == 1
    lateness = [s for s in families["agentcron_run_lateness_seconds"].samples
                if s.name.endswith("_bucket")]  # fmt: skip
    assert lateness[-1].labels["le"] == "+Inf"
    for personal in ("Secret plan", *api.people.values(), f"/v1/tasks/{task_id}", "999999"):
        assert personal not in scraped.text
