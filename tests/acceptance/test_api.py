"""The HTTP API over real HTTP: ``agentcron api`` (uvicorn) in a subprocess, on SQLite and on
PostgreSQL, driven with httpx by keys made with ``agentcron keys create``."""

from __future__ import annotations

import base64
import json
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.acceptance.test_cli_schedule import agentcron
from tests.support.api_server import Api, Server, api_serving, serve_with_http
from tests.support.local_http import free_port
from tests.support.sql import private_schema
from tests.support.webhooks import WebhookReceiver

REMINDER = {"action": "reminder", "payload": {"message": "call mom"}}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("api")
    env = {"AGENTCRON_HOME": str(home), "AGENTCRON_TIMEZONE": "Europe/Paris"}
    env["AGENTCRON_LOG_LEVEL"] = "INFO"  # uvicorn's access log too, to check what it shows
    with private_schema() as url:
        if request.param == "postgresql":
            env["AGENTCRON_DATABASE_URL"] = url
        with api_serving(env, home / "api.log") as served:
            yield served


@pytest.fixture
def api(server: Server) -> Api:
    return Api(server.env, server.url, server.log)


def error_of(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message"} <= set(body["error"]) <= {"code", "message", "problems"}
    assert body["error"]["message"]
    return response.status_code, body["error"]["code"]


def test_a_task_lives_its_whole_life_over_http(api: Api) -> None:
    made = api.call(
        "POST", "/v1/tasks", json={"title": "Call mom", "when": "tomorrow at 6pm", **REMINDER}
    )
    assert made.status_code == 201, made.text
    task = made.json()
    assert (task["title"], task["status"], task["owner_id"]) == (
        "Call mom",
        "active",
        api.people["ann"],
    )
    assert task["description"].startswith("once on ")
    read = api.call("GET", f"/v1/tasks/{task['id']}")
    assert read.json() == task
    etag = read.headers["ETag"]
    changed = api.call(
        "PATCH", f"/v1/tasks/{task['id']}", json={"title": "Call mum"}, headers={"If-Match": etag}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["title"], changed.json()["version"]) == ("Call mum", task["version"] + 1)
    stale = api.call(
        "PATCH", f"/v1/tasks/{task['id']}", json={"title": "x"}, headers={"If-Match": etag}
    )
    assert error_of(stale) == (412, "stale_version")
    assert api.call("POST", f"/v1/tasks/{task['id']}/pause").json()["status"] == "paused"
    assert api.call("POST", f"/v1/tasks/{task['id']}/resume").json()["status"] == "active"
    run = api.call("POST", f"/v1/tasks/{task['id']}/run")
    assert run.status_code == 202, run.text
    assert (run.json()["task_id"], run.json()["trigger"]) == (task["id"], "manual")
    runs = api.call("GET", f"/v1/tasks/{task['id']}/runs").json()["runs"]
    assert [r["id"] for r in runs] == [run.json()["id"]]
    shown = api.call("GET", f"/v1/runs/{run.json()['id']}").json()
    assert (shown["id"], shown["status"], shown["attempts"]) == (run.json()["id"], "queued", [])
    listed = api.call("GET", "/v1/tasks").json()
    assert [t["id"] for t in listed["tasks"]] == [task["id"]]
    assert listed["next_cursor"] is None
    assert api.call("DELETE", f"/v1/tasks/{task['id']}").json()["status"] == "cancelled"
    assert (
        api.call("GET", "/v1/tasks", params={"status": "cancelled"}).json()["tasks"][0]["id"]
        == task["id"]
    )
    preview = api.call(
        "POST", "/v1/schedules/parse", json={"when": "every weekday at 8", "count": 3}
    ).json()
    assert (preview["kind"], preview["timezone"], len(preview["next"])) == (
        "rrule",
        "Europe/Paris",
        3,
    )
    person = api.call("GET", "/v1/profile").json()
    assert (person["id"], person["timezone"], person["admin"]) == (
        api.people["ann"], "Europe/Paris", False
    )  # fmt: skip
    assert api.call("GET", "/v1/channels").json() == {"channels": []}


def test_lists_come_a_page_at_a_time(api: Api) -> None:
    for hour in range(1, 6):
        made = api.call(
            "POST", "/v1/tasks", json={"title": f"t{hour}", "when": f"in {hour} hours", **REMINDER}
        )
        assert made.status_code == 201, made.text
    seen, cursor, pages = [], None, 0
    while True:
        page = api.call(
            "GET", "/v1/tasks", params={"limit": 2, **({"cursor": cursor} if cursor else {})}
        ).json()
        seen += [task["title"] for task in page["tasks"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert (seen, pages) == (["t1", "t2", "t3", "t4", "t5"], 3)
    assert error_of(api.call("GET", "/v1/tasks", params={"cursor": "x"})) == (422, "invalid_input")

    task_id = api.call("GET", "/v1/tasks", params={"limit": 1}).json()["tasks"][0]["id"]
    made = [api.call("POST", f"/v1/tasks/{task_id}/run").json()["id"] for _ in range(3)]
    runs, cursor, pages = [], None, 0
    while True:
        page = api.call(
            "GET", f"/v1/tasks/{task_id}/runs",
            params={"limit": 2, **({"cursor": cursor} if cursor else {})},
        ).json()  # fmt: skip
        runs += [run["id"] for run in page["runs"]]
        pages += 1
        if (cursor := page["next_cursor"]) is None:
            break
    assert (runs, pages) == (made[::-1], 2)  # newest first, each once


def test_people_are_kept_apart_and_keys_must_be_live(api: Api) -> None:
    task = api.call(
        "POST", "/v1/tasks", json={"title": "ann's", "when": "in 1 hour", **REMINDER}
    ).json()
    path = f"/v1/tasks/{task['id']}"
    missing = api.call("GET", "/v1/tasks/999999", who="bob")
    theirs = api.call("GET", path, who="bob")
    assert error_of(theirs) == error_of(missing) == (404, "not_found")
    assert theirs.json()["error"]["message"] == missing.json()["error"]["message"].replace(
        "999999", str(task["id"])
    )
    for method, action in (("POST", "/pause"), ("POST", "/run"), ("DELETE", ""), ("PATCH", "")):
        body = {"json": {"title": "mine now"}} if method == "PATCH" else {}
        assert error_of(api.call(method, path + action, who="bob", **body)) == (404, "not_found")
    assert api.call("GET", "/v1/tasks", who="bob").json()["tasks"] == []
    assert api.call("GET", path).json()["status"] == "active"  # untouched
    assert error_of(api.call("GET", "/v1/tasks", who=None)) == (401, "unauthorized")
    assert error_of(api.call("GET", "/v1/tasks", who="agc_000000000000_" + "x" * 43)) == (
        401,
        "unauthorized",
    )
    acting = {"X-Agentcron-User": api.people["ann"]}
    assert error_of(api.call("GET", path, who="bob", headers=acting)) == (403, "forbidden")
    assert api.call("GET", path, who="admin", headers=acting).json()["id"] == task["id"]
    assert error_of(api.call("GET", path, who="admin", headers={"X-Agentcron-User": "zed"})) == (
        404,
        "not_found",
    )
    key_id = api.keys["bob"].split("_")[1]
    assert agentcron("keys", "revoke", key_id, env=api.env).returncode == 0
    assert error_of(api.call("GET", "/v1/tasks", who="bob")) == (401, "unauthorized")
    assert api.keys["ann"] not in api.log.read_text()


def test_bad_requests_get_a_json_error_a_person_can_act_on(api: Api) -> None:
    for body, expected in (
        ({"title": "x", "when": "someday maybe"}, (422, "invalid_schedule")),
        ({"title": "x", "when": "in 1 hour", "timezone": "Mars/Base"}, (422, "invalid_schedule")),
        ({"title": "x", "when": "2020-01-01T10:00:00Z"}, (422, "invalid_schedule")),
        ({"title": "x", "when": "in 1 hour", "colour": "blue"}, (422, "invalid_input")),
        ({"title": "x" * 100_000, "when": "in 1 hour"}, (422, "invalid_input")),
        ([1, 2], (422, "invalid_input")),
    ):
        refused = api.call("POST", "/v1/tasks", json=body)
        assert error_of(refused) == expected, (body, refused.text)
    broken = api.call(
        "POST", "/v1/tasks", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert error_of(broken) == (422, "invalid_input")
    assert error_of(api.call("GET", "/v1/tasks/abc")) == (422, "invalid_input")
    assert error_of(api.call("GET", "/v1/runs/12345")) == (404, "not_found")
    assert error_of(api.call("GET", "/v1/nowhere")) == (404, "not_found")
    assert error_of(api.call("PUT", "/v1/tasks")) == (405, "method_not_allowed")
    assert api.call("GET", "/v1/tasks").json()["tasks"] == []  # nothing half-written


def test_an_oversized_body_is_refused_before_it_is_read(api: Api) -> None:
    huge = {"title": "x", "when": "in 1 hour", "payload": {"message": "m" * 2_100_000}}
    assert error_of(api.call("POST", "/v1/tasks", json=huge)) == (413, "payload_too_large")
    assert api.call("GET", "/v1/tasks").json()["tasks"] == []


def test_over_its_rate_a_key_waits_as_it_is_told_then_goes_on(tmp_path: Path) -> None:
    env = {
        "AGENTCRON_HOME": str(tmp_path),
        "AGENTCRON_TIMEZONE": "Europe/Paris",
        "AGENTCRON_API_RATE_LIMIT_PER_MINUTE": "60",
    }
    server = Server(env, tmp_path / "api.log")
    try:
        api = Api(server.env, server.url, server.log)
        went = 0
        while (refused := api.call("GET", "/v1/profile")).status_code == 200:
            went += 1
            assert went < 200, "never limited"
        assert went >= 60  # the burst (and what came back meanwhile, a token a second)
        assert error_of(refused) == (429, "rate_limited")
        wait = int(refused.headers["Retry-After"])
        assert 1 <= wait <= 2
        assert api.call("GET", "/v1/profile", who="bob").status_code == 200  # their own rate
        time.sleep(wait + 0.1)
        assert api.call("GET", "/v1/profile").status_code == 200
    finally:
        server.stop()


def test_serve_with_http_takes_a_task_over_the_api_and_fires_it(tmp_path: Path) -> None:
    env = {"AGENTCRON_HOME": str(tmp_path), "AGENTCRON_TIMEZONE": "Europe/Paris"}
    log = tmp_path / "serve.log"
    with serve_with_http(env, log) as url:
        assert f"agentcron api on {url}" in log.read_text()
        api = Api(env, url, log)
        made = api.call(
            "POST", "/v1/tasks", json={"title": "soon", "when": "in 2 seconds", **REMINDER}
        )
        assert made.status_code == 201, made.text
        deadline = time.monotonic() + 60
        runs: list[dict[str, Any]] = []
        while not any(run["status"] == "succeeded" for run in runs):
            assert time.monotonic() < deadline, runs
            time.sleep(0.2)
            runs = api.call("GET", f"/v1/tasks/{made.json()['id']}/runs").json()["runs"]
        assert [run["output"] for run in runs] == ["call mom"]


def test_serve_refuses_an_address_it_cannot_take(tmp_path: Path) -> None:
    env = {"AGENTCRON_HOME": str(tmp_path), "AGENTCRON_TIMEZONE": "Europe/Paris"}
    refused = agentcron("serve", "--http", "nowhere", env=env)
    assert refused.returncode == 2
    assert "--http takes HOST:PORT, such as 127.0.0.1:8080" in refused.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = agentcron("serve", "--http", f"127.0.0.1:{port}", env=env)
    assert busy.returncode == 78, busy.stderr
    assert "cannot listen on 127.0.0.1:" in busy.stderr
    assert "Traceback" not in busy.stderr


def test_tasks_go_out_and_come_back_in_as_json_lines(api: Api) -> None:
    hook = {"url": "https://hooks.example.com/x?token=s3cr3t-value", "method": "POST"}
    for body in (
        {"title": "daily", "when": "every day at 9", **REMINDER},
        {"title": "hook", "when": "every hour", "action": "http", "payload": hook},
    ):
        assert api.call("POST", "/v1/tasks", json=body).status_code == 201
    exported = api.call("GET", "/v1/tasks:export")
    assert exported.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in exported.text.splitlines()]
    assert sorted(line["title"] for line in lines) == ["daily", "hook"]
    assert "s3cr3t-value" not in exported.text  # masked
    into = {"Content-Type": "application/x-ndjson"}
    mine = "\n".join(json.dumps({"title": f"n{i}", "when": "in 1 hour"}) for i in range(3))
    made = api.call("POST", "/v1/tasks:import", who="bob", content=mine, headers=into)
    assert made.json() == {"created": 3, "existed": 0}
    again = api.call(
        "POST", "/v1/tasks:import?idempotent=true", who="bob", content=mine, headers=into
    )
    assert again.json() == {"created": 3, "existed": 0}  # keyed now: the next is a repeat
    repeat = api.call(
        "POST", "/v1/tasks:import?idempotent=true", who="bob", content=mine, headers=into
    )
    assert repeat.json() == {"created": 0, "existed": 3}
    bad = "\n".join(
        [
            json.dumps({"title": "ok", "when": "in 1 hour"}),
            "not json",
            json.dumps({"title": "x", "when": "someday maybe"}),
        ]
    )
    refused = api.call("POST", "/v1/tasks:import", who="bob", content=bad, headers=into)
    assert error_of(refused) == (422, "invalid_batch")
    assert [(p["index"], p["code"]) for p in refused.json()["error"]["problems"]] == [
        (1, "invalid_input"), (2, "invalid_schedule")
    ]  # fmt: skip
    assert (
        len(api.call("GET", "/v1/tasks", who="bob").json()["tasks"]) == 6
    )  # none of the refused file


def test_a_calendar_program_subscribes_to_the_feed_by_its_address_alone(api: Api) -> None:
    made = api.call(
        "POST",
        "/v1/tasks",
        json={"title": "Water the plants", "when": "every day at 8", **REMINDER},
    )
    assert made.status_code == 201, made.text
    address = api.call("GET", "/v1/calendar").json()["url"]
    assert address.startswith(f"{api.url}/v1/calendar.ics?token=cal_")
    assert api.call("GET", "/v1/calendar").json()["url"] == address  # the same until replaced
    feed = httpx.get(address, timeout=10)  # no key: a calendar program has none
    assert feed.status_code == 200, feed.text
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "SUMMARY:Water the plants" in feed.text
    assert "RRULE:FREQ=DAILY" in feed.text
    assert "TZID=Europe/Paris" in feed.text
    renewed = api.call("POST", "/v1/calendar").json()["url"]
    assert renewed != address
    assert error_of(httpx.get(address, timeout=10)) == (404, "not_found")
    assert httpx.get(renewed, timeout=10).status_code == 200
    assert api.call("DELETE", "/v1/calendar").status_code == 204
    assert error_of(httpx.get(renewed, timeout=10)) == (404, "not_found")
    log = api.log.read_text()
    for token in (address, renewed):
        assert token.partition("token=")[2] not in log  # the access log masks it
    assert "calendar.ics?token=****" in log


def test_calendar_url_prints_the_feed_s_address_for_the_cli_s_person(tmp_path: Path) -> None:
    env = {"AGENTCRON_HOME": str(tmp_path), "AGENTCRON_PUBLIC_URL": "https://cron.example.org/"}
    first = agentcron("calendar", "url", env=env)
    assert first.returncode == 0, first.stderr
    address = first.stdout.strip()
    assert address.startswith("https://cron.example.org/v1/calendar.ics?token=cal_"), address
    assert "calendar program" in first.stderr
    assert agentcron("calendar", "url", env=env).stdout.strip() == address
    renewed = agentcron("calendar", "url", "--new", "--json", env=env)
    assert json.loads(renewed.stdout)["url"] != address
    closed = agentcron("calendar", "close", env=env)
    assert (closed.returncode, closed.stdout.strip()) == (0, "Your calendar feed is closed.")
    assert agentcron("calendar", "close", env=env).stdout.strip() == "You had no calendar feed."


def test_a_person_changes_their_zone_and_quiet_hours_over_http(api: Api) -> None:
    zone = api.call("PATCH", "/v1/profile", json={"timezone": "asia/tokyo"})
    assert zone.status_code == 200, zone.text
    assert (zone.json()["timezone"], zone.json()["quiet_hours"], zone.json()["admin"]) == (
        "Asia/Tokyo", None, False
    )  # fmt: skip
    assert api.call("GET", "/v1/profile").json() == zone.json()
    daily = {"title": "Stretch", "when": "every day at 9", **REMINDER}
    assert api.call("POST", "/v1/tasks", json=daily).json()["timezone"] == "Asia/Tokyo"
    quiet = api.call("PATCH", "/v1/profile", json={"quiet_hours": "22:00-7:00"}).json()
    assert (quiet["timezone"], quiet["quiet_hours"]) == ("Asia/Tokyo", "22:00-07:00")
    both = api.call(
        "PATCH", "/v1/profile", json={"timezone": "America/New_York", "quiet_hours": None}
    ).json()
    assert (both["timezone"], both["quiet_hours"]) == ("America/New_York", None)

    for body, says in (
        ({"timezone": "Mars/Base"}, "Unknown time zone 'Mars/Base'. Use an IANA name such as"),
        ({"timezone": "Europe/Pariss", "quiet_hours": "off"}, "Did you mean 'Europe/Paris'"),
        ({"timezone": "Asia/Tokyo", "quiet_hours": "25:00-07:00"}, "does not exist"),
        ({"timezone": None}, "timezone cannot be null"),
        ({}, "Nothing to change: give timezone, quiet_hours or both."),
        ({"zone": "Asia/Tokyo"}, "zone: Extra inputs are not permitted"),
        ({"timezone": "A" * 65}, "timezone: String should have at most 64 characters"),
    ):
        refused = api.call("PATCH", "/v1/profile", json=body)
        assert error_of(refused) == (422, "invalid_input"), (body, refused.text)
        assert says in refused.json()["error"]["message"], (body, refused.text)
    kept = api.call("GET", "/v1/profile").json()  # none of the refused changes was written
    assert (kept["timezone"], kept["quiet_hours"]) == ("America/New_York", None)
    assert api.call("GET", "/v1/profile", who="bob").json()["timezone"] == "Europe/Paris"


def test_channels_are_added_tested_and_removed_over_http_their_secrets_unsaid(api: Api) -> None:
    password, token = f"Pw{uuid.uuid4().hex[:12]}", f"Tok{uuid.uuid4().hex[:12]}"
    hook = WebhookReceiver()
    with hook.running():
        url = hook.json_url(auth=f"bot:{password}", query=f"-token={token}")  # sent as ?token=
        made = api.call("POST", "/v1/channels", json={"name": "hook", "url": url})
        assert made.status_code == 201, made.text
        channel = made.json()
        assert (channel["name"], channel["url"], channel["default"]) == (
            "hook", f"json://bot:****@127.0.0.1:{hook.port}/hook?-token=****", True,
        )  # fmt: skip
        assert api.call("GET", "/v1/channels").json() == {"channels": [channel]}
        again = api.call("POST", "/v1/channels", json={"name": "hook", "url": url})
        assert error_of(again) == (409, "conflict")
        assert "You have a channel named 'hook' already" in again.json()["error"]["message"]
        for body in (
            {"name": "bad", "url": f"nosuch://bot:{password}@host/x"},
            {"name": "no spaces", "url": "json://localhost/hook"},
            {"name": "bad"},
            {"name": "bad", "url": "json://localhost/hook", "colour": "blue"},
        ):
            assert error_of(api.call("POST", "/v1/channels", json=body)) == (422, "invalid_input")

        tested = api.call("POST", "/v1/channels/hook/test")
        assert (tested.status_code, tested.json()) == (200, channel)
        (sent,) = hook.received()
        assert (
            sent.headers["authorization"]
            == "Basic " + base64.b64encode(f"bot:{password}".encode()).decode()
        )
        assert (sent.query, sent.body["title"]) == ({"token": token}, "agentcron test")

        dead = f"json://bot:{password}@127.0.0.1:{free_port()}/hook?-token={token}"
        closed = api.call("POST", "/v1/channels", json={"name": "closed", "url": dead}).json()
        assert closed["default"] is False  # the first one is
        failed = api.call("POST", "/v1/channels/closed/test")
        assert error_of(failed) == (502, "delivery_failed")
        assert failed.json()["error"]["message"].startswith(
            "The test message to closed did not go out: cannot reach the receiver at 127.0.0.1"
        )
        answers = [made.text, again.text, tested.text, failed.text]

        removed = api.call("DELETE", "/v1/channels/closed")
        assert (removed.status_code, removed.json()) == (200, closed)
        answers.append(removed.text)
    for method, path in (("DELETE", "/v1/channels/closed"), ("POST", "/v1/channels/closed/test")):
        gone = api.call(method, path)
        assert error_of(gone) == (404, "not_found")
        assert "You have no channel named 'closed'" in gone.json()["error"]["message"]
    assert error_of(api.call("DELETE", "/v1/channels/hook", who="bob")) == (404, "not_found")
    assert api.call("GET", "/v1/channels").json() == {"channels": [channel]}
    assert len(hook.received()) == 1
    log = api.log.read_text()
    for secret in (password, token):
        assert secret not in log
        assert not any(secret in answer for answer in answers), secret
