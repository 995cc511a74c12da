"""``agentcron serve --once`` as cron runs it: what is due now runs, its notifications go,
and the command exits; a task due later is left as it was."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tests.acceptance.test_cli_schedule import agentcron
from tests.acceptance.test_serve import environment
from tests.support.webhooks import WebhookReceiver


def ok(env: dict[str, str], *args: str) -> Any:
    done = agentcron(*args, "--json", env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def due_now_and_later(env: dict[str, str]) -> tuple[int, int, dict[str, Any]]:
    """A reminder and a shell task due in a second, a reminder due in an hour; once the
    second has passed."""
    reminder = ok(env, "add", "Tea", "--when", "in 1 second", "--message", "the tea is ready")
    shell = ok(
        env, "add", "Echo", "--when", "in 1 second", "--action", "shell",
        "--payload", '{"command": "echo from the shell"}',
    )  # fmt: skip
    later = ok(env, "add", "Later", "--when", "in 1 hour")
    time.sleep(1.2)
    return reminder["id"], shell["id"], later


def test_it_runs_what_is_due_tells_its_channel_and_exits(tmp_path: Path) -> None:
    env = environment(tmp_path, AGENTCRON_SHELL_ALLOW="echo")
    hook = WebhookReceiver()
    with hook.running() as base:
        ok(env, "channels", "add", "desk", base.replace("http://", "json://") + "/desk")
        reminder, shell, later = due_now_and_later(env)

        done = agentcron("serve", "--once", env=env)

        assert done.returncode == 0, done.stderr
        assert "Tea (task 1, run 1): the tea is ready" in done.stdout
        assert "Echo (task 2, run 2): from the shell" in done.stdout
        assert done.stdout.strip().endswith("agentcron serve --once: 2 runs done.")
        # the reminder told its channel before serve --once exited (a shell task only
        # tells when it fails)
        assert [request.body["title"] for request in hook.requests] == ["Tea"], hook.requests
    runs = {run["task_id"]: run for run in ok(env, "runs")}
    assert set(runs) == {reminder, shell}  # none for the task due later
    assert (runs[reminder]["status"], runs[reminder]["output"]) == ("succeeded", "the tea is ready")
    assert (runs[shell]["status"], runs[shell]["output"]) == ("succeeded", "from the shell")
    (delivery,) = ok(env, "deliveries")
    assert (delivery["channel"], delivery["status"]) == ("desk", "sent")
    overview = ok(env, "status")
    assert overview["next_task"] == {
        "id": later["id"], "title": "Later", "next_run_at": later["next_run_at"],
    }  # fmt: skip
    assert overview["serving"] == []  # its heartbeat row went with it
    assert overview["runs"] == {"succeeded": 2}


def test_with_nothing_due_it_exits_at_once(tmp_path: Path) -> None:
    env = environment(tmp_path)
    later = ok(env, "add", "Later", "--when", "in 1 hour")
    done = agentcron("serve", "--once", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "agentcron serve --once: 0 runs done."
    assert ok(env, "runs", str(later["id"])) == []


def test_on_postgresql_it_runs_what_is_due(tmp_path: Path, pg_schema: str) -> None:
    env = environment(tmp_path, AGENTCRON_DATABASE_URL=pg_schema, AGENTCRON_SHELL_ALLOW="echo")
    reminder, shell, later = due_now_and_later(env)
    done = agentcron("serve", "--once", env=env)
    assert done.returncode == 0, done.stderr
    assert "agentcron serve --once: 2 runs done." in done.stdout
    runs = {run["task_id"]: run["status"] for run in ok(env, "runs")}
    assert runs == {reminder: "succeeded", shell: "succeeded"}
    overview = ok(env, "status")
    assert overview["next_task"]["id"] == later["id"]
    assert (overview["runs"], overview["serving"], overview["oldest_waiting"]) == (
        {"succeeded": 2}, [], None,
    )  # fmt: skip


def test_a_store_out_of_reach_is_one_line_and_exit_status_1(tmp_path: Path) -> None:
    env = environment(tmp_path, AGENTCRON_DATABASE_URL="postgresql://agentcron@127.0.0.1:9/none")
    done = agentcron("serve", "--once", env=env)
    assert done.returncode == 1
    assert done.stderr.startswith("error: Cannot reach PostgreSQL at 127.0.0.1:9/none")
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr
