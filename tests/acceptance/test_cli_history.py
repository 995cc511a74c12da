"""What the CLI tells a person about what happened: failures stand out, every attempt is
kept, and cancel says plainly when a reminder had already fired."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.test_cli_schedule import agentcron
from tests.acceptance.test_serve import Serve, environment


def run_json(env: dict[str, str], *args: str) -> Any:
    done = agentcron(*args, "--json", env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_add_says_when_nothing_serves_the_store(tmp_path: Path) -> None:
    added = agentcron("add", "Stretch", "--when", "in 1 hour", env=environment(tmp_path))
    assert added.returncode == 0, added.stderr
    assert "no 'agentcron serve' is running on this store" in added.stdout
    status = run_json(environment(tmp_path), "status")
    assert status["serving"] == []
    assert status["tasks"] == {"active": 1}


def test_titles_and_payloads_are_shown_as_typed_never_as_markup(tmp_path: Path) -> None:
    env = environment(tmp_path)
    added = agentcron("add", "Buy [milk]", "--when", "in 1 hour", "-m", "[bold]eggs[/]", env=env)
    assert added.returncode == 0, added.stderr
    assert "Buy [milk]" in agentcron("ls", env=env).stdout
    shown = agentcron("show", "1", env=env).stdout
    assert "Buy [milk]" in shown
    assert '{"message": "[bold]eggs[/]"}' in shown  # the payload as JSON, as it is


@pytest.mark.serial  # a lateness bound on the wall clock
def test_failures_show_history_is_kept_and_cancel_says_it_had_fired(tmp_path: Path) -> None:
    env = environment(tmp_path, AGENTCRON_SHELL_ALLOW="false")
    serve = Serve(env, tmp_path / "serve.log")
    try:
        failing = run_json(
            env, "add", "Broken", "--when", "in 2 seconds", "--action", "shell",
            "--payload", '{"command": "false"}', "--max-attempts", "1",
        )  # fmt: skip
        fired = run_json(env, "add", "Quick", "--when", "in 2 seconds")
        added = agentcron("add", "Later", "--when", "in 1 hour", env=env)
        assert "no 'agentcron serve'" not in added.stdout  # serve is running
        time.sleep(3.5)

        broken = run_json(env, "show", str(failing["id"]))
        assert broken["status"] == "failed"  # a one-off whose only run failed
        assert broken["last_run"]["status"] == "failed"
        assert "exited with status 1" in broken["last_run"]["error"]
        listed = agentcron("ls", "--all", env=env)
        assert "failed" in listed.stdout
        last_runs = {t["id"]: t["last_run"] for t in run_json(env, "ls", "--all")}
        assert {i: r["status"] for i, r in last_runs.items() if r} == {
            failing["id"]: "failed", fired["id"]: "succeeded",
        }  # fmt: skip

        failed_runs = run_json(env, "runs", "--status", "failed", "--since", "1h")
        assert [r["task_id"] for r in failed_runs] == [failing["id"]]
        all_runs = run_json(env, "runs")
        assert {r["task_id"] for r in all_runs} == {failing["id"], fired["id"]}
        refused = agentcron("runs", str(fired["id"]), "--status", "failed", env=env)
        assert refused.returncode == 2
        assert "drop TASK_ID" in refused.stderr

        run_id = failed_runs[0]["id"]
        assert agentcron("retry", str(run_id), env=env).returncode == 0
        time.sleep(1.5)
        shown = run_json(env, "run-show", str(run_id))
        assert [(a["attempt"], a["status"]) for a in shown["attempts"]] == [
            (1, "failed"), (2, "failed"),
        ]  # fmt: skip
        first, second = shown["attempts"]
        assert first["error"]
        assert second["started_at"] > first["finished_at"]  # the retry added an attempt
        assert shown["lateness_seconds"] < 0.5  # lateness stays the first attempt's

        cancelled = agentcron("cancel", str(fired["id"]), env=env)
        assert cancelled.returncode == 0, cancelled.stderr
        assert f"Task {fired['id']} had already fired at " in cancelled.stdout
        assert "nothing left to cancel" in cancelled.stdout
        later = run_json(env, "ls")[-1]
        assert agentcron("pause", str(later["id"]), env=env).returncode == 0
        again = agentcron("pause", str(later["id"]), env=env)
        assert (again.returncode, again.stdout.strip()) == (
            0,
            f"Task {later['id']} is already paused.",
        )

        status = run_json(env, "status")
        (worker,) = status["serving"]
        assert {loop["name"] for loop in worker["loops"]} >= {"scheduler", "recorder", "dispatch"}
        assert all(loop["state"] == "running" for loop in worker["loops"])
    finally:
        assert serve.stop() == 0
