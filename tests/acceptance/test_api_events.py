"""``/v1/events`` over real HTTP, served by ``agentcron serve --http`` (the API inside the
process that fires tasks): a task's whole life arrives as it happens, a client that drops
and reconnects with ``Last-Event-ID`` gets exactly what it missed, and nobody sees another
person's events."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from agentcron.testing.model_server import ScriptedModelServer, ToolCall, ToolCalls
from tests.acceptance.test_cli_schedule import agentcron
from tests.support.agent_rig import report
from tests.support.api_server import Api, serve_with_http
from tests.support.webhooks import WebhookReceiver

Event = tuple[int, str, dict[str, Any]]


class Stream:
    """One open ``/v1/events`` stream, read a line at a time."""

    def __init__(self, api: Api, who: str, headers: dict[str, str] | None = None) -> None:
        self._context = httpx.stream(
            "GET", f"{api.url}/v1/events",
            headers={"Authorization": f"Bearer {api.keys[who]}", **(headers or {})},
            timeout=httpx.Timeout(10, read=20),
        )  # fmt: skip
        self.response = self._context.__enter__()
        assert self.response.status_code == 200, self.response.read()
        assert self.response.headers["content-type"].startswith("text/event-stream")
        self._lines = self.response.iter_lines()
        assert next(self._lines).startswith("retry: ")  # the stream is open

    def until(self, done: Callable[[list[Event]], bool], seconds: float = 30) -> list[Event]:
        """Events as they come, until ``done`` says enough."""
        seen: list[Event] = []
        event_id, kind = 0, ""
        deadline = time.monotonic() + seconds
        while not done(seen):
            assert time.monotonic() < deadline, seen
            line = next(self._lines)
            if line.startswith("id: "):
                event_id = int(line.removeprefix("id: "))
            elif line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: "):
                seen.append((event_id, kind, json.loads(line.removeprefix("data: "))))
        return seen

    def close(self) -> None:
        self._context.__exit__(None, None, None)


def kinds(events: list[Event]) -> list[str]:
    return [kind for _, kind, _ in events]


def test_a_tasks_life_streams_live_and_a_reconnect_gets_what_it_missed(tmp_path: Path) -> None:
    env = {"AGENTCRON_HOME": str(tmp_path), "AGENTCRON_TIMEZONE": "Europe/Paris"}
    receiver = WebhookReceiver()
    with receiver.running(), serve_with_http(env, tmp_path / "serve.log") as url:
        api = Api(env, url, tmp_path / "serve.log")
        as_ann = env | {"AGENTCRON_USER": api.people["ann"]}
        added = agentcron("channels", "add", "hook", receiver.json_url(), env=as_ann)
        assert added.returncode == 0, added.stderr

        stream = Stream(api, "ann")
        made = api.call("POST", "/v1/tasks", json={
            "title": "Stretch", "when": "in 2 seconds", "action": "reminder",
            "payload": {"message": "stretch now"},
        })  # fmt: skip
        assert made.status_code == 201, made.text
        task_id = made.json()["id"]
        first = stream.until(lambda seen: len(seen) >= 1)
        assert [(kind, data["task_id"], data["title"]) for _, kind, data in first] == [
            ("task.created", task_id, "Stretch")
        ]
        stream.close()  # the client drops; the task fires meanwhile

        deadline = time.monotonic() + 30
        while not receiver.received():
            assert time.monotonic() < deadline, "the reminder was not delivered"
            time.sleep(0.1)
        missed = Stream(api, "ann", {"Last-Event-ID": str(first[-1][0])})
        rest = missed.until(lambda seen: {"delivery.sent", "task.completed"} <= set(kinds(seen)))
        assert sorted(kinds(rest)) == sorted(
            ["run.started", "run.finished", "task.completed", "delivery.sent"]
        )  # each once: none lost, none twice
        assert kinds(rest).index("run.started") < kinds(rest).index("run.finished")
        ids = [event_id for event_id, _, _ in rest]
        assert ids == sorted(ids)
        assert min(ids) > first[-1][0]
        assert {data["task_id"] for _, _, data in rest} == {task_id}
        run_id = next(data["run_id"] for _, kind, data in rest if kind == "run.finished")
        finished = next(data for _, kind, data in rest if kind == "run.finished")
        assert (finished["status"], finished["attempt"]) == ("succeeded", 1)
        delivered = next(data for _, kind, data in rest if kind == "delivery.sent")
        assert (delivered["run_id"], delivered["channel"]) == (run_id, "hook")
        assert str(receiver.port) not in json.dumps(rest)  # the channel's URL stays out
        shown = api.call("GET", f"/v1/runs/{run_id}").json()  # the run, with its deliveries
        assert [(d["channel"], d["status"]) for d in shown["deliveries"]] == [("hook", "sent")]
        assert str(receiver.port) not in json.dumps(shown)

        paused = api.call("POST", "/v1/tasks", json={
            "title": "Later", "when": "every day at 9", "action": "reminder",
            "payload": {"message": "x"},
        }).json()["id"]  # fmt: skip
        assert api.call("POST", f"/v1/tasks/{paused}/pause").status_code == 200
        live = missed.until(lambda seen: "task.paused" in kinds(seen))
        assert kinds(live) == ["task.created", "task.paused"]  # still live after catching up
        missed.close()

        everything = Stream(api, "bob", {"Last-Event-ID": "0"})
        bobs = api.call("POST", "/v1/tasks", who="bob", json={
            "title": "Bob's", "when": "every day at 9", "action": "reminder",
            "payload": {"message": "y"},
        }).json()["id"]  # fmt: skip
        (only,) = everything.until(lambda seen: len(seen) >= 1)
        assert (only[1], only[2]["task_id"]) == ("task.created", bobs)  # none of ann's
        everything.close()

        refused = api.call("GET", "/v1/events", headers={"Last-Event-ID": "yesterday"})
        assert refused.status_code == 422
        assert "Last-Event-ID must be an event id" in refused.json()["error"]["message"]


def test_the_cli_reads_the_same_events_and_follows_them(tmp_path: Path) -> None:
    env = {"AGENTCRON_HOME": str(tmp_path), "AGENTCRON_TIMEZONE": "Europe/Paris"}
    made = agentcron("add", "Stretch", "--when", "every day at 9", "-m", "stretch", "--json",
                     env=env)  # fmt: skip
    assert made.returncode == 0, made.stderr
    task_id = json.loads(made.stdout)["id"]
    assert agentcron("pause", str(task_id), env=env).returncode == 0
    listed = agentcron("events", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    events = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(e["kind"], e["task_id"]) for e in events] == [
        ("task.created", task_id), ("task.paused", task_id),
    ]  # fmt: skip
    shown = agentcron("events", env=env).stdout
    assert "task.paused" in shown
    assert "'Stretch'" in shown

    environment = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCRON_")}
    follow = subprocess.Popen(
        [sys.executable, "-m", "agentcron", "events", "--follow", "--json", "--after",
         str(events[-1]["id"])],
        env=environment | env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert agentcron("resume", str(task_id), env=env).returncode == 0
        assert follow.stdout is not None
        line = follow.stdout.readline()  # printed as it happens
        assert (json.loads(line)["kind"], json.loads(line)["task_id"]) == (
            "task.resumed", task_id,
        )  # fmt: skip
    finally:
        follow.terminate()
        _, said = follow.communicate(timeout=10)
    assert "Traceback" not in said


def test_an_agent_runs_trace_over_the_api_keeps_secrets_masked(tmp_path: Path) -> None:
    password, api_key = "Pa55wordInUrl77", "sk-live-1234567890abcdefSECRET"
    page = WebhookReceiver()
    with ScriptedModelServer() as model, page.running():
        url = f"http://reader:{password}@127.0.0.1:{page.port}/price?api_key={api_key}"
        model.script(ToolCalls([ToolCall("http_get", {"url": url})]), report("BTC is 50k."))
        env = {
            "AGENTCRON_HOME": str(tmp_path), "AGENTCRON_TIMEZONE": "Europe/Paris",
            "AGENTCRON_MODEL": "openai:scripted-model",
            "AGENTCRON_OPENAI_BASE_URL": model.base_url,
            "AGENTCRON_HTTP_GET_ALLOW_HOSTS": "127.0.0.1", "AGENTCRON_HTTP_ALLOW_PRIVATE": "true",
            "AGENTCRON_MIN_AGENT_INTERVAL_SECONDS": "0",
        }  # fmt: skip
        with serve_with_http(env, tmp_path / "serve.log") as base:
            api = Api(env, base, tmp_path / "serve.log")
            made = api.call("POST", "/v1/tasks", json={
                "title": "BTC", "when": "in 2 seconds", "action": "agent",
                "payload": {"instructions": "Check the BTC price."},
            })  # fmt: skip
            assert made.status_code == 201, made.text
            deadline = time.monotonic() + 40
            runs: list[dict[str, Any]] = []
            while not any(run["status"] == "succeeded" for run in runs):
                assert time.monotonic() < deadline, runs
                time.sleep(0.2)
                runs = api.call("GET", f"/v1/tasks/{made.json()['id']}/runs").json()["runs"]
            shown = api.call("GET", f"/v1/runs/{runs[0]['id']}")
        assert page.received()[0].path.startswith("/price")  # the tool did call the page
    assert shown.status_code == 200
    trace = shown.json()["result"]["trace"]
    assert [call["tool"] for call in trace["tools"]] == ["http_get"]
    body = shown.text
    assert password not in body
    assert api_key not in body
    assert f"127.0.0.1:{page.port}/price" in body  # the call is shown, its secrets masked
    assert password not in (tmp_path / "serve.log").read_text()
