"""``agentcron status`` as a person runs it: whether a serve runs on the store (its pid and
since when), the next due task in the person's zone, the oldest waiting run, the runs of the
last day; a serve killed without a word is told apart from one that lives."""

from __future__ import annotations

import json
import socket
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.acceptance.test_cli_schedule import agentcron
from tests.acceptance.test_serve import Serve, environment

PARIS = ZoneInfo("Europe/Paris")


def ok(env: dict[str, str], *args: str) -> str:
    done = agentcron(*args, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def shown(env: dict[str, str]) -> dict[str, Any]:
    overview: dict[str, Any] = json.loads(ok(env, "status", "--json"))
    return overview


def in_paris(instant: str) -> str:
    return f"{datetime.fromisoformat(instant).astimezone(PARIS):%a %Y-%m-%d %H:%M:%S %z}"


def test_with_no_serve_it_says_so_and_shows_what_is_due_and_what_waits(tmp_path: Path) -> None:
    env = environment(tmp_path)
    later = json.loads(ok(env, "add", "Dentist", "--when", "in 3 hours", "--json"))
    waiting = json.loads(ok(env, "add", "Water plants", "--when", "in 5 hours", "--json"))
    queued = json.loads(ok(env, "run", str(waiting["id"]), "--json"))  # due now; nobody runs it

    overview = shown(env)
    assert overview["serving"] == []
    assert overview["stale"] == []
    assert overview["next_task"] == {
        "id": later["id"], "title": "Dentist", "next_run_at": later["next_run_at"],
    }  # fmt: skip
    oldest = overview["oldest_waiting"]
    assert (oldest["run_id"], oldest["task_id"], oldest["title"], oldest["status"]) == (
        queued["id"], waiting["id"], "Water plants", "queued",
    )  # fmt: skip
    assert oldest["waiting_seconds"] >= 0
    assert overview["runs"] == {"queued": 1}
    assert overview["tasks"] == {"active": 2}

    text = ok(env, "status")
    assert "serve: not running on this store" in text
    due = in_paris(later["next_run_at"])
    assert f'next due: task {later["id"]} "Dentist" at {due} (in 2 h)' in text
    assert f'oldest waiting: run {queued["id"]} of task {waiting["id"]} "Water plants"' in text
    assert "runs (outstanding, or in the last 24 h): 1 queued" in text


def test_a_running_serve_is_shown_with_its_pid_and_start_then_gone_once_stopped(
    tmp_path: Path,
) -> None:
    env = environment(tmp_path)
    serve = Serve(env, tmp_path / "serve.log")
    try:
        (worker,) = shown(env)["serving"]
        assert (worker["kind"], worker["pid"]) == ("serve", serve.process.pid)
        assert worker["host"] == socket.gethostname()
        started = datetime.fromisoformat(worker["started_at"])
        assert {loop["name"] for loop in worker["loops"]} >= {"scheduler", "dispatch"}
        text = ok(env, "status")
        assert (
            f"serve: running, pid {serve.process.pid} on {socket.gethostname()}, since "
            f"{in_paris(started.isoformat())}"
        ) in text
        assert "  scheduler: running" in text
        assert "next due: nothing scheduled" in text
    finally:
        assert serve.stop() == 0
    after = shown(env)
    assert after["serving"] == []
    assert after["stale"] == []
    assert "serve: not running on this store" in ok(env, "status")


def test_a_killed_serve_is_stale_at_once_not_serving(tmp_path: Path) -> None:
    env = environment(tmp_path)
    serve = Serve(env, tmp_path / "serve.log")
    pid = serve.process.pid
    serve.kill()  # SIGKILL: its heartbeat row is left behind, still recent
    overview = shown(env)
    assert overview["serving"] == []
    assert [worker["pid"] for worker in overview["stale"]] == [pid]
    text = ok(env, "status")
    assert f"serve pid {pid} on {socket.gethostname()} stopped without saying so" in text
    assert "serve: not running on this store" in text
