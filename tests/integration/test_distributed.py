"""The distributed shape as it runs: real ``agentcron scheduler`` and ``agentcron worker``
processes on PostgreSQL and Redis, through bursts, crashes and outages.

What every test holds to: each occurrence has exactly one run (``UNIQUE(task_id,
scheduled_for)``), which succeeds; none is missed, none is left queued or running; and an
action that calls out is performed once per attempt the database shows.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from agentcron.config import Settings
from agentcron.distributed.app import make_app
from agentcron.distributed.queues import DEFAULT, RUNS_TASK
from agentcron.testing.model_server import ScriptedModelServer
from tests.support.agent_rig import report
from tests.support.distributed_rig import Cluster, Receiver, cluster
from tests.support.webhooks import WebhookReceiver

# Each test starts several processes and waits on real time; Redis database 11 is theirs.
pytestmark = [pytest.mark.slow, pytest.mark.serial]


@pytest.fixture
def rig(tmp_path: Path, pg_schema: str) -> Iterator[Cluster]:
    with cluster(tmp_path, pg_schema) as made:
        yield made


def soon(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def reminders(count: int, due: datetime, *, spread: float = 0.0) -> list[dict[str, Any]]:
    """``count`` one-off reminders, from ``due`` on, ``spread`` seconds apart."""
    return [
        {
            "title": f"r{i}",
            "when": (due + timedelta(seconds=i * spread)).isoformat(),
            "payload": {"message": f"m{i}"},
        }
        for i in range(count)
    ]


def calls(
    receiver: Receiver, count: int, due: datetime, *, spread: float = 0.0, prefix: str = "t"
) -> list[dict[str, Any]]:
    """``count`` one-off http tasks, each calling its own path of ``receiver``."""
    return [
        {
            "title": f"{prefix}{i}",
            "when": (due + timedelta(seconds=i * spread)).isoformat(),
            "action": "http",
            "payload": {"url": f"{receiver.url}/{prefix}{i}"},
        }
        for i in range(count)
    ]


def occurrences(rig: Cluster) -> dict[int, list[tuple[datetime, str]]]:
    """Each task's runs, as (occurrence, status), in order of occurrence."""
    found: dict[int, list[tuple[datetime, str]]] = {}
    for task_id, scheduled_for, status in rig.query(
        "SELECT task_id, scheduled_for, status FROM runs ORDER BY task_id, scheduled_for"
    ):
        found.setdefault(task_id, []).append((scheduled_for, status))
    return found


def assert_one_succeeded_run_per_occurrence(
    rig: Cluster, expected: dict[int, list[datetime]]
) -> None:
    """Every task has exactly its expected occurrences, one run each, all succeeded; and
    the table cannot hold two runs of one occurrence."""
    (unique,) = rig.query(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'runs'::regclass AND contype = 'u'"
    )
    assert unique == ("UNIQUE (task_id, scheduled_for)",)
    found = occurrences(rig)
    assert sorted(found) == sorted(expected), "runs of unknown tasks, or tasks without runs"
    wrong = {
        task_id: runs
        for task_id, runs in found.items()
        if runs != [(at, "succeeded") for at in sorted(expected[task_id])]
    }
    assert not wrong, f"{len(wrong)} tasks ran otherwise: {list(wrong.items())[:5]}"


def one_off(ids: list[int], requests: list[dict[str, Any]]) -> dict[int, list[datetime]]:
    return {
        task_id: [datetime.fromisoformat(request["when"])]
        for task_id, request in zip(ids, requests, strict=True)
    }


def attempts(rig: Cluster) -> dict[int, list[tuple[int, str, str]]]:
    """Each run's attempts, as (attempt, status, worker)."""
    found: dict[int, list[tuple[int, str, str]]] = {}
    for run_id, attempt, status, worker in rig.query(
        "SELECT run_id, attempt, status, worker_id FROM run_attempts ORDER BY run_id, attempt"
    ):
        found.setdefault(run_id, []).append((attempt, status, worker))
    return found


def assert_each_run_attempted_once(rig: Cluster) -> None:
    tried = attempts(rig)
    assert len(tried) == rig.scalar("SELECT count(*) FROM runs")
    more = {run_id: each for run_id, each in tried.items() if [a for a, _, _ in each] != [1]}
    assert not more, f"runs attempted more than once: {list(more.items())[:5]}"


def test_a_burst_of_5000_occurrences_on_two_schedulers_and_two_workers_runs_each_once(
    rig: Cluster,
) -> None:
    rig.settings["AGENTCRON_SCHEDULER_BATCH_SIZE"] = "250"  # both schedulers take batches
    receiver = Receiver()
    with receiver.running():
        rig.start(schedulers=2, workers=2)
        due = soon(6)
        cheap = reminders(5000, due)
        http = calls(receiver, 200, due)
        ids = rig.create(cheap + http)
        rig.wait_finished(5200, timeout=90)
    assert_one_succeeded_run_per_occurrence(rig, one_off(ids, cheap + http))
    assert_each_run_attempted_once(rig)
    assert receiver.counts() == {f"/t{i}": 1 for i in range(200)}
    workers = rig.query("SELECT worker_id, count(*) FROM runs GROUP BY worker_id")
    assert len(workers) == 2, f"both workers should have run some: {workers}"


def test_runs_in_flight_on_a_killed_worker_are_recovered_and_succeed_once(
    rig: Cluster,
) -> None:
    receiver = Receiver(delay=30.0, first_only=True)  # the first calls outlive the worker
    with receiver.running():
        _, doomed = rig.start(schedulers=1, workers=1)
        requests = calls(receiver, 20, soon(4))
        ids = rig.create(requests)
        rig.wait_for(lambda: receiver.total() == 20, 30, "every call to be under way")
        assert rig.statuses() == {"running": 20}
        (dead,) = rig.query("SELECT DISTINCT worker_id FROM runs")
        doomed.kill()
        rig.worker("worker-2")
        rig.wait_finished(20, timeout=40)
    assert_one_succeeded_run_per_occurrence(rig, one_off(ids, requests))
    tried = attempts(rig)
    assert len(tried) == 20
    for run_attempts in tried.values():
        (first, second) = run_attempts
        assert first[:2] == (1, "lost")
        assert first[2] == dead[0]
        assert second[:2] == (2, "succeeded")
        assert second[2] != dead[0]
    assert rig.query("SELECT DISTINCT attempt FROM runs") == [(2,)]
    # each call was made once per attempt: the lost one, then the one that succeeded
    assert receiver.counts() == {f"/t{i}": 2 for i in range(20)}


def test_a_broker_flushed_in_the_middle_of_a_burst_loses_no_run(rig: Cluster) -> None:
    # Calls that come due faster than the workers can make them: a worker full of due runs
    # takes no more messages, so the later ones wait in Redis when it is flushed. Runs are
    # handed over 2 s ahead (not the distributed 10 s), so the workers fill up with runs due.
    rig.settings["AGENTCRON_RUN_MESSAGE_SIZE"] = "10"
    rig.settings["AGENTCRON_SCHEDULER_LOOKAHEAD_SECONDS"] = "2"
    receiver = Receiver(delay=0.5)
    with receiver.running():
        rig.start(schedulers=1, workers=2, concurrency=8)
        due = soon(5)
        cheap = reminders(600, due, spread=0.008)
        http = calls(receiver, 200, due, spread=0.02)
        ids = rig.create(cheap + http)
        with rig.redis() as client:
            rig.wait_for(
                lambda: receiver.total() >= 40 and client.llen(DEFAULT) >= 3,
                30,
                "the burst to be under way with messages waiting",
            )
            waiting = client.llen(DEFAULT)
        # FLUSHALL empties every database of this Redis, not only the tests' own: a developer's
        # machine may share it with other programs (a benchmark harness uses databases 0-3
        # when someone runs it), so while one of them is connected only the tests' database
        # is emptied, which is all these processes see of it either way.
        flushed = rig.flush_all()
        rig.wait_finished(800, timeout=60)
    assert waiting >= 3, flushed
    assert_one_succeeded_run_per_occurrence(rig, one_off(ids, cheap + http))
    assert_each_run_attempted_once(rig)
    assert receiver.counts() == {f"/t{i}": 1 for i in range(200)}
    told = "".join(p.output() for p in rig.processes if p.kind == "scheduler")
    assert "whose message was lost" in told  # the upkeep handed them over again


def test_a_scheduler_killed_and_restarted_during_a_stream_misses_and_doubles_nothing(
    rig: Cluster,
) -> None:
    (scheduler, *_) = rig.start(schedulers=1, workers=2)
    start = soon(5).replace(microsecond=0)
    recurring = [
        {
            "title": f"every second {i}",
            "when": f"R10/{start.isoformat()}/PT1S",
            "payload": {"message": f"tick {i}"},
        }
        for i in range(20)
    ]
    once = reminders(200, start, spread=0.045)
    ids = rig.create(recurring + once)
    expected = {
        task_id: [start + timedelta(seconds=k) for k in range(10)] for task_id in ids[:20]
    } | one_off(ids[20:], once)
    total = sum(len(each) for each in expected.values())
    rig.wait_for(lambda: rig.statuses().get("succeeded", 0) >= 60, 30, "the stream to be under way")
    scheduler.kill()
    at_kill = rig.statuses().get("succeeded", 0)
    time.sleep(1.0)
    rig.restart(scheduler)
    rig.wait_finished(total, timeout=40)
    assert 60 <= at_kill < total - 100, "the kill should land in the middle of the stream"
    assert_one_succeeded_run_per_occurrence(rig, expected)
    assert_each_run_attempted_once(rig)
    ended = rig.query("SELECT status, count(*) FROM tasks GROUP BY status")
    assert ended == [("completed", len(ids))]


def test_connections_ended_by_postgresql_mid_burst_are_reopened_and_every_run_finishes(
    rig: Cluster,
) -> None:
    receiver = Receiver(delay=0.5)
    with receiver.running():
        rig.start(schedulers=2, workers=2)
        due = soon(5)
        cheap = reminders(1500, due, spread=0.004)
        http = calls(receiver, 100, due, spread=0.06)
        ids = rig.create(cheap + http)
        rig.wait_for(
            lambda: rig.statuses().get("succeeded", 0) >= 300, 30, "the burst to be under way"
        )
        ended = rig.terminate_backends()
        assert ended >= 8, f"every process has connections to end: {ended}"
        rig.wait_for(rig.backends, 10, "the processes to connect again")
        time.sleep(0.7)
        assert rig.terminate_backends() > 0  # and once more, while they recover
        rig.wait_finished(1600, timeout=60)
        assert receiver.counts() == {f"/t{i}": 1 for i in range(100)}
    assert_one_succeeded_run_per_occurrence(rig, one_off(ids, cheap + http))
    assert all(process.alive for process in rig.processes), rig.logs()
    # They carry on: a task made now is noticed (LISTEN is back) and performed on time.
    later = reminders(1, soon(3))
    (task_id,) = rig.create(later)
    rig.wait_finished(1601, timeout=15)
    (lateness,) = rig.query(
        "SELECT extract(epoch FROM started_at - scheduled_for) FROM runs WHERE task_id = %s",
        task_id,
    )
    assert 0 <= float(lateness[0]) < 1.0, lateness


def test_a_message_delivered_again_for_a_finished_or_running_run_changes_nothing(
    rig: Cluster,
) -> None:
    receiver = Receiver(delay=4.0, delayed="/slow")
    with receiver.running():
        _, worker = rig.start(schedulers=1, workers=1)
        quick = calls(receiver, 1, soon(3), prefix="quick")
        slow = calls(receiver, 1, soon(3), prefix="slow")
        ids = rig.create(quick + slow)
        rig.wait_for(lambda: rig.statuses() == {"succeeded": 1, "running": 1}, 20, "one run to end")
        ((done,),) = rig.query("SELECT id FROM runs WHERE status = 'succeeded'")
        ((running,),) = rig.query("SELECT id FROM runs WHERE status = 'running'")
        row = rig.query("SELECT * FROM runs WHERE id = %s", done)
        before = attempts(rig)
        app = make_app(Settings(broker_url=rig.broker_url))
        sent = [
            app.send_task(
                RUNS_TASK, args=[run_ids], queue=DEFAULT, exchange="", routing_key=DEFAULT
            ).id
            for run_ids in ([done], [running], [done, running], [done, running])
        ]

        def taken(message: str) -> list[str]:
            """The worker's line saying how many runs the message reserved."""
            return [x for x in worker.output().splitlines() if f"[{message}] succeeded" in x]

        for message in sent:
            (line,) = rig.wait_for(partial(taken, message), 15, f"message {message} taken")
            assert line.endswith(": 0"), line  # it reserved nothing
        assert rig.query("SELECT * FROM runs WHERE id = %s", done) == row
        assert rig.query("SELECT status, attempt FROM runs WHERE id = %s", running) == [
            ("running", 1)
        ]
        assert attempts(rig) == before
        rig.wait_finished(2, timeout=20)
    app.close()
    assert_one_succeeded_run_per_occurrence(rig, one_off(ids, quick + slow))
    assert_each_run_attempted_once(rig)
    assert receiver.counts() == {"/quick0": 1, "/slow0": 1}


def test_an_edit_while_the_run_waits_in_the_broker_withdraws_it_and_follows_the_new_schedule(
    rig: Cluster,
) -> None:
    receiver = Receiver()
    with receiver.running():
        rig.start(schedulers=1, workers=0)  # no worker: the message waits in Redis
        old = soon(4).replace(microsecond=0)
        (task_id,) = rig.create(
            [{"title": "ping", "when": f"R/{old.isoformat()}/PT1M", "action": "http",
              "payload": {"url": f"{receiver.url}/ping"}}]
        )  # fmt: skip
        rig.wait_for(
            lambda: rig.query("SELECT id FROM runs WHERE dispatched_at IS NOT NULL"),
            15,
            "the run to be handed to the broker",
        )
        ((queued_id,),) = rig.query("SELECT id FROM runs")
        with rig.redis() as client:
            assert client.llen(DEFAULT) == 1
        new = soon(8).replace(microsecond=0)
        edited = rig.cli("edit", str(task_id), "--when", f"R/{new.isoformat()}/PT1M")
        assert edited.returncode == 0, edited.stderr
        assert rig.query("SELECT id FROM runs WHERE id = %s", queued_id) == []  # withdrawn
        worker = rig.worker("worker-1")  # takes the old message, then the new one's
        rig.wait_for(
            lambda: rig.query("SELECT 1 FROM runs WHERE status = 'succeeded'"),
            20,
            "the run on the new schedule",
        )
        time.sleep(0.5)  # the old message is surely taken by now: nothing more must run
    assert occurrences(rig) == {task_id: [(new, "succeeded")]}
    assert receiver.counts() == {"/ping": 1}
    taken = [line for line in worker.output().splitlines() if "agentcron.runs[" in line]
    assert any(line.endswith(": 0") for line in taken), taken  # the old message: nothing
    (next_run,) = rig.query("SELECT next_run_at FROM tasks WHERE id = %s", task_id)
    assert next_run == (new + timedelta(minutes=1),)


def test_agent_runs_and_notifications_go_through_the_queues_to_a_webhook(
    rig: Cluster,
) -> None:
    hook = WebhookReceiver()
    with ScriptedModelServer() as model, hook.running():
        model.script(report("BTC is at 61k."))
        rig.settings |= {
            "AGENTCRON_MODEL": "openai:scripted-model",
            "AGENTCRON_OPENAI_BASE_URL": model.base_url,
            "AGENTCRON_MIN_AGENT_INTERVAL_SECONDS": "0",
        }
        added = rig.cli("channels", "add", "hook", hook.json_url(), "--default")
        assert added.returncode == 0, added.stderr
        rig.start(schedulers=1, workers=0)
        agents = rig.worker("agents", queues="agent")
        others = rig.worker("others", queues="notify,default,maintenance")
        due = soon(4)
        ids = rig.create(
            [
                {"title": "Bitcoin", "when": due.isoformat(), "action": "agent",
                 "payload": {"instructions": "Tell me the price of bitcoin."}},
                {"title": "Stretch", "when": due.isoformat(), "payload": {"message": "Stand up"}},
            ],
            model="openai:scripted-model", openai_base_url=model.base_url,
        )  # fmt: skip
        rig.wait_finished(2, timeout=30)
        rig.wait_for(lambda: len(hook.received()) >= 2, 15, "both notifications")
        by_worker = dict(rig.query("SELECT id, details->>'node' FROM workers"))
        ran_on = dict(rig.query("SELECT task_id, worker_id FROM runs"))
        time.sleep(0.5)  # a second send of either would arrive by now
    assert_one_succeeded_run_per_occurrence(rig, {task_id: [due] for task_id in ids})
    assert by_worker[ran_on[ids[0]]].startswith("agents@")
    assert by_worker[ran_on[ids[1]]].startswith("others@")
    assert "Tell me the price of bitcoin." in model.requests[0].text
    bodies = [str(request.body) for request in hook.received()]
    assert len(bodies) == 2
    assert sum("BTC is at 61k." in body for body in bodies) == 1
    assert sum("Stand up" in body for body in bodies) == 1
    sent = rig.query("SELECT status, attempts FROM deliveries ORDER BY id")
    assert sent == [("sent", 1), ("sent", 1)]
    assert agents.alive
    assert others.alive
