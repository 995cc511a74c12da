"""A chain through ``agentcron serve`` killed mid-chain (SIGKILL, while its middle step runs),
on SQLite and PostgreSQL: after a restart every step has run once, in order, none lost and
none doubled, each run recording the one it followed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.test_cli_schedule import agentcron
from tests.acceptance.test_serve import Serve, environment
from tests.acceptance.test_serve_survives import wait_for
from tests.support.sql import private_schema


@pytest.fixture(params=["sqlite", "postgresql"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    # a short lease: on PostgreSQL, a run left running is taken back when its lease ends
    extra = {"AGENTCRON_SHELL_ALLOW": "sleep", "AGENTCRON_LEASE_SECONDS": "3"}
    if request.param == "sqlite":
        yield environment(tmp_path, **extra)
        return
    with private_schema() as url:
        yield environment(tmp_path, AGENTCRON_DATABASE_URL=url, **extra)


def runs(env: dict[str, str], task_id: int) -> list[dict[str, Any]]:
    listed = agentcron("runs", str(task_id), "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    found: list[dict[str, Any]] = json.loads(listed.stdout)
    return found


def test_a_chain_killed_mid_step_runs_each_step_once_after_a_restart(
    env: dict[str, str], tmp_path: Path
) -> None:
    steps = [
        {"title": "Fetch", "action": "reminder", "payload": {"message": "sales: 42"}},
        {"title": "Crunch", "action": "shell", "payload": {"command": "sleep 6"},
         "max_attempts": 3},
        {"title": "Tell", "action": "reminder",
         "payload": {"message": "after the {previous.status} run {previous.run_id}: done"}},
    ]  # fmt: skip
    made = agentcron(
        "chain", "Nightly", "--when", "in 2 seconds", *[f"--step={json.dumps(s)}" for s in steps],
        "--json", env=env,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    fetch, crunch, tell = (task["id"] for task in json.loads(made.stdout))
    serve = Serve(env, tmp_path / "serve.log")
    try:
        wait_for(
            lambda: any(r["status"] == "running" for r in runs(env, crunch)), 20, "the middle step"
        )
        serve.kill()  # SIGKILL, mid-step: its run is left running, its follower not made
        assert runs(env, tell) == []
        serve = Serve(env, tmp_path / "serve.log")
        wait_for(lambda: runs(env, tell), 30, "the last step after the restart")
        wait_for(lambda: runs(env, tell)[0]["status"] == "succeeded", 10, "the last step's end")
    finally:
        assert serve.stop() == 0
    [first], [middle], [last] = runs(env, fetch), runs(env, crunch), runs(env, tell)
    assert [r["status"] for r in (first, middle, last)] == ["succeeded"] * 3
    assert middle["attempt"] == 2  # the attempt serve's death cut short, then one more
    assert (middle["followed_run_id"], last["followed_run_id"]) == (first["id"], middle["id"])
    assert last["output"] == f"after the succeeded run {middle['id']}: done"
    assert first["finished_at"] <= middle["started_at"]
    assert middle["finished_at"] <= last["started_at"]
    assert "Traceback" not in (tmp_path / "serve.log").read_text()
