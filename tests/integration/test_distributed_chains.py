"""Chains in the distributed shape: real ``agentcron scheduler`` and ``agentcron worker``
processes on PostgreSQL and Redis. Each step runs once per run it follows, in order, told
what the step before said, even when the worker running a step is SIGKILLed: the step is
taken over once its lease ends, and the step after it still runs exactly once. A step that
fails for good (its worker lost with no attempt left, or its call refused) stops the chain
with a skipped run that says why."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agentcron.domain import GAVE_UP_ON_LOST_WORKER
from tests.support.distributed_rig import Cluster, Receiver, cluster
from tests.support.local_http import free_port

# Each test starts several processes and waits on real time; Redis database 11 is theirs.
pytestmark = [pytest.mark.slow, pytest.mark.serial]


@pytest.fixture
def rig(tmp_path: Path, pg_schema: str) -> Iterator[Cluster]:
    with cluster(tmp_path, pg_schema) as made:
        yield made


def soon(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def reminder(message: str, **more: Any) -> dict[str, Any]:
    return {"action": "reminder", "payload": {"message": message}, **more}


def call(url: str, **more: Any) -> dict[str, Any]:
    """An http step posting what the step before said to ``url``."""
    return {"action": "http", "payload": {"url": url, "body": "{previous.output}"}, **more}


def three_steps(middle: dict[str, Any], name: str, due: str) -> list[dict[str, Any]]:
    return [
        reminder(f"{name}: sales 42", title=f"{name} 1", when=due),
        middle | {"title": f"{name} 2"},
        reminder("done after {previous.output}", title=f"{name} 3"),
    ]


def runs_of(rig: Cluster, task_id: int) -> list[dict[str, Any]]:
    """The task's runs, oldest first, as the ``runs`` table holds them."""
    columns = ("id", "status", "trigger", "attempt", "followed_run_id", "output", "error",
               "reason", "worker_id")  # fmt: skip
    rows = rig.query(
        f"SELECT {', '.join(columns)} FROM runs WHERE task_id = %s ORDER BY id", task_id
    )
    return [dict(zip(columns, row, strict=True)) for row in rows]


def runs_per_task(rig: Cluster) -> dict[int, int]:
    return dict(Counter(task_id for (task_id,) in rig.query("SELECT task_id FROM runs")))


def test_a_step_whose_worker_is_killed_is_taken_over_and_the_next_runs_once(
    rig: Cluster,
) -> None:
    # The middle steps' first calls outlive the worker; the call made again answers at once.
    receiver = Receiver(delay=30.0, delayed="/slow", first_only=True)
    with receiver.running():
        _, doomed = rig.start(schedulers=1, workers=1)
        due = soon(4)
        recovered = rig.create_chain(
            three_steps(call(f"{receiver.url}/slow-a", timeout_seconds=60), "A", due)
        )
        given_up = rig.create_chain(  # no attempt left once its worker is lost
            three_steps(call(f"{receiver.url}/slow-b", timeout_seconds=60, max_attempts=1),
                        "B", due)
        )  # fmt: skip
        rig.wait_for(
            lambda: receiver.counts() == {"/slow-a": 1, "/slow-b": 1},
            30,
            "both middle steps to be under way",
        )
        middles = [recovered[1], given_up[1]]
        assert [[r["status"] for r in runs_of(rig, t)] for t in middles] == [["running"]] * 2
        assert [runs_of(rig, t) for t in (recovered[2], given_up[2])] == [[], []]
        (dead,) = {runs_of(rig, t)[0]["worker_id"] for t in middles}
        doomed.kill()
        rig.worker("worker-2")
        rig.wait_finished(6, timeout=40)
    assert runs_per_task(rig) == dict.fromkeys(recovered + given_up, 1)  # none lost or doubled

    [head], [middle], [last] = (runs_of(rig, t) for t in recovered)
    assert [r["status"] for r in (head, middle, last)] == ["succeeded"] * 3
    assert (middle["followed_run_id"], last["followed_run_id"]) == (head["id"], middle["id"])
    assert (middle["trigger"], last["trigger"]) == ("after", "after")
    assert middle["attempt"] == 2
    assert middle["worker_id"] != dead
    assert rig.query(
        "SELECT attempt, status, worker_id = %s FROM run_attempts WHERE run_id = %s "
        "ORDER BY attempt",
        dead, middle["id"],
    ) == [(1, "lost", True), (2, "succeeded", False)]  # fmt: skip
    assert middle["output"] == f"POST {receiver.url}/slow-a -> 200"
    assert last["output"] == f"done after POST {receiver.url}/slow-a -> 200"
    assert receiver.counts() == {"/slow-a": 2, "/slow-b": 1}  # one call per attempt

    [head], [middle], [last] = (runs_of(rig, t) for t in given_up)
    assert (head["status"], middle["status"], middle["error"]) == (
        "succeeded", "failed", GAVE_UP_ON_LOST_WORKER
    )  # fmt: skip
    assert (last["status"], last["followed_run_id"], last["output"]) == (
        "skipped", middle["id"], None
    )  # fmt: skip
    assert last["reason"] == (
        f"run {middle['id']} of task {given_up[1]} failed, and task {given_up[2]} runs only "
        "after its successful runs: the chain stops here"
    )


def test_a_step_that_fails_for_good_stops_the_chain_with_a_reason(rig: Cluster) -> None:
    rig.start(schedulers=1, workers=1)
    head_id, broken_id, after_id = rig.create_chain(
        three_steps(call(f"http://127.0.0.1:{free_port()}/hook", max_attempts=1), "C", soon(3))
    )
    (alarm_id,) = rig.create(
        [reminder("{previous.status}: {previous.output}", title="Alarm",
                  when=f"after task {broken_id} failed")]
    )  # fmt: skip
    rig.wait_finished(4, timeout=30)
    assert runs_per_task(rig) == dict.fromkeys([head_id, broken_id, after_id, alarm_id], 1)
    [head], [broken], [skipped], [alarm] = (
        runs_of(rig, t) for t in (head_id, broken_id, after_id, alarm_id)
    )
    assert (head["status"], broken["status"], broken["attempt"]) == ("succeeded", "failed", 1)
    assert "cannot connect" in broken["error"]
    assert (skipped["status"], skipped["followed_run_id"]) == ("skipped", broken["id"])
    assert skipped["reason"] == (
        f"run {broken['id']} of task {broken_id} failed, and task {after_id} runs only after "
        "its successful runs: the chain stops here"
    )
    # the failure's own follower ran, told of the run it follows (which has no output)
    assert (alarm["status"], alarm["followed_run_id"], alarm["output"]) == (
        "succeeded", broken["id"], "failed: "
    )  # fmt: skip
