"""Which runs tell their person, and how often: a run retried by hand tells nobody twice,
an agent tells only when its report says so, and a run that fails for good says why in
words a person reads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentcron.domain import Outcome
from agentcron.testing import FakeClock
from agentcron.testing.model_server import Error, ScriptedModelServer
from tests.support.agent_rig import report
from tests.support.local_http import free_port
from tests.support.notify_rig import NotifyRig, eventually
from tests.support.webhooks import WebhookReceiver

CLASS_DUMP = re.compile(r"\b[A-Z]\w*(Error|Exception|Failed)\b|\w+\(['\"]|Traceback|File \"")
"""What a person should never read: exception names, reprs, traceback lines."""


@pytest.fixture
def model_server() -> Iterator[ScriptedModelServer]:
    with ScriptedModelServer() as server:
        yield server


def agent_settings(server: ScriptedModelServer) -> dict[str, object]:
    return {
        "model": "openai:scripted-model",
        "openai_base_url": server.base_url,
        "min_agent_interval_seconds": 0,
    }


@pytest.mark.parametrize("fails_again", [False, True], ids=["then-succeeds", "fails-again"])
async def test_a_run_retried_by_hand_after_telling_its_channels_tells_nobody_twice(
    database_url: str, tmp_path: Path, clock: FakeClock, fails_again: bool
) -> None:
    hook = WebhookReceiver()
    target = WebhookReceiver(fail_first=2 if fails_again else 1)  # what the task calls
    with hook.running(), target.running():
        async with NotifyRig.running(database_url, tmp_path, clock) as rig:
            await rig.channel("hook", hook.json_url())
            task = await rig.task(
                "Ping the backups", action="http", payload={"url": f"{target.url}/ping"},
                max_attempts=1, notify_policy="always",
            )  # fmt: skip
            run = await rig.fire(task)
            assert run.status == "failed"
            (told,) = await rig.settled(run.id)
            assert told.status == "sent"
            (first_outcome,) = rig.outcomes

            await rig.service.retry("ann", run.id)
            again = await rig.finish(run.id)
            assert again.status == ("failed" if fails_again else "succeeded")
            assert again.attempt == 2
            await eventually(lambda: len(rig.outcomes) == 2)  # its outcome is recorded
            deliveries = await rig.settled(run.id)

            # and the first outcome written again (a recorder's batch written twice)
            async with rig.engine.store.transaction() as store:
                jobs = await rig.engine.deliverer.write(store, [first_outcome], clock.now())
            assert jobs == []
            assert await rig.deliveries() == deliveries
    assert len(target.received()) == 2
    assert len(hook.received()) == 1
    assert hook.received()[0].body["title"] == "Failed: Ping the backups"
    assert [(d.id, d.status, d.attempts) for d in deliveries] == [(told.id, "sent", 1)]


async def test_an_agent_task_tells_only_the_run_whose_agent_says_so(
    database_url: str, tmp_path: Path, clock: FakeClock, model_server: ScriptedModelServer
) -> None:
    model_server.script(
        report("BTC is at 61k.", notify=False),
        report("BTC is at 55k.", notify=False),
        report("BTC dropped to 49.8k.", notify=True),
    )
    hook = WebhookReceiver()
    with hook.running():
        async with NotifyRig.running(
            database_url, tmp_path, clock, **agent_settings(model_server)
        ) as rig:
            await rig.channel("hook", hook.json_url())
            task = await rig.task(
                "BTC watch", when="every day at 9am", action="agent",
                payload={"instructions": "Tell me when BTC drops under 50k."},
            )  # fmt: skip
            assert task.notify_policy == "agent"  # the default of agent tasks
            runs = []
            for _ in range(3):
                runs.append(await rig.fire(task))
                task = await rig.service.get("ann", task.id)
            (delivery,) = await rig.settled(runs[2].id)
            deliveries = await rig.deliveries()
    model_server.assert_script_consumed()
    assert [r.status for r in runs] == ["succeeded"] * 3
    assert [d.run_id for d in deliveries] == [runs[2].id]
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    (request,) = hook.received()
    assert request.body["title"] == "BTC watch"
    assert request.body["message"].startswith("BTC dropped to 49.8k.")
    assert "Wed 25 Nov 2026, 09:00 (Europe/Paris)" in request.body["message"]


def assert_readable(message: str, title: str, task_id: int) -> None:
    assert f"Your task **{title}** (task {task_id}) could not be done: " in message
    assert CLASS_DUMP.search(message) is None, message


async def test_a_run_that_fails_for_good_tells_its_owner_once_and_says_why(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    closed = free_port()
    hook = WebhookReceiver()
    with hook.running():
        async with NotifyRig.running(database_url, tmp_path, clock) as rig:
            await rig.channel("hook", hook.json_url())
            task = await rig.task(
                "Ping the NAS", action="http", max_attempts=2, backoff_seconds=0.01,
                payload={"url": f"http://127.0.0.1:{closed}/ping"},
            )  # fmt: skip
            assert task.notify_policy == "failure"  # http tasks tell only when they fail
            run = await rig.fire(task)
            (delivery,) = await rig.settled(run.id)
            outcomes: list[Outcome] = list(rig.outcomes)
    assert (run.status, run.attempt) == ("failed", 2)
    assert [o.status for o in outcomes] == ["retrying", "failed"]  # the retry told nobody
    (request,) = hook.received()
    message = request.body["message"]
    assert request.body["title"] == "Failed: Ping the NAS"
    assert_readable(message, "Ping the NAS", task.id)
    assert f"127.0.0.1:{closed}" in message  # what it could not reach
    assert "(tried 2 times)" in message
    assert f"`agentcron run-show {run.id}`" in message
    assert delivery.status == "sent"


async def test_an_agent_whose_key_is_refused_tells_its_owner_once_and_says_why(
    database_url: str, tmp_path: Path, clock: FakeClock, model_server: ScriptedModelServer
) -> None:
    model_server.default = Error(401, "Incorrect API key provided")
    hook = WebhookReceiver()
    with hook.running():
        async with NotifyRig.running(
            database_url, tmp_path, clock, **agent_settings(model_server)
        ) as rig:
            await rig.channel("hook", hook.json_url())
            task = await rig.task(
                "Morning brief", action="agent", payload={"instructions": "Brief me."}
            )
            run = await rig.fire(task)
            (delivery,) = await rig.settled(run.id)
    assert run.status == "failed"
    (request,) = hook.received()
    message = request.body["message"]
    assert request.body["title"] == "Failed: Morning brief"
    assert_readable(message, "Morning brief", task.id)
    assert "refused the request (HTTP 401: Incorrect API key provided)" in message
    assert delivery.status == "sent"
